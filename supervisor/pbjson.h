/*
 * pbjson.h: protojson <-> protobuf-c messages, generic over protobuf-c
 * descriptors (supervisor/pbjson.c).
 *
 * pbjson_encode: a new JSON value (json_name keys, or proto names with
 * PBJSON_PROTO_NAMES); NULL when out of memory or for a Timestamp or
 * Duration out of range.
 * pbjson_decode: a new message of the descriptor's type, to free with
 * protobuf_c_message_free_unpacked(m, NULL); NULL with the reason and the
 * field's path ("template.custom: expected an object") in err.  Both
 * namings are read; an unknown field is refused.  No flags are defined yet.
 * pbjson_json_name: the lowerCamelCase json_name of a proto field name.
 */

#ifndef PBJSON_H
#define PBJSON_H

#include <stddef.h>

#include <jansson.h>
#include <protobuf-c/protobuf-c.h>

/* Encode with the proto field names instead of json_name (lowerCamelCase). */
#define PBJSON_PROTO_NAMES	0x01

/* pbjson.c */
json_t		*pbjson_encode(const ProtobufCMessage *, int);
ProtobufCMessage *pbjson_decode(const ProtobufCMessageDescriptor *, json_t *,
		    int, char *, size_t);
int		 pbjson_json_name(const char *, char *, size_t);
int		 pbjson_b64_decode(const char *, size_t, ProtobufCBinaryData *);

/* pbarena.c: unpack into a block reused from one request to the next. */
struct pbarena;
struct pbarena	*pbarena_new(size_t);
void		 pbarena_free(struct pbarena *);
ProtobufCAllocator *pbarena_allocator(struct pbarena *);
void		 pbarena_reset(struct pbarena *);
size_t		 pbarena_size(const struct pbarena *);

#endif /* PBJSON_H */
