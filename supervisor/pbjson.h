/*
 * pbjson.h: protojson <-> protobuf-c messages, generic over protobuf-c
 * descriptors (supervisor/pbjson.c).
 *
 * pbjson_gen_*: protojson text appended to a buffer by yajl's generator,
 * a whole message (pbjson_gen_message) or an object of one's own making
 * (open, fields of a message, members, close); 0, or -1 with the reason in
 * pbjson_gen_error() and the text unusable.  The text is UTF-8 as jansson
 * reads it, has no member name twice (a map key given twice on the wire is
 * written once, with its last value) and nests at most 64 deep; with
 * PBJSON_LIMITS its strings and names are within the input limits of
 * nebula-plugin-protocol(7), refused in msg_limits_check's words.
 * pbjson_encode: the same text as a new jansson value (json_name keys, or
 * proto names with PBJSON_PROTO_NAMES); NULL when out of memory or for what
 * the writer refuses (a Timestamp or Duration out of range, too deep).
 * pbjson_tree: the jansson value of text the writer made.
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
/* Refuse strings and names over the input limit (what goes to a worker). */
#define PBJSON_LIMITS		0x02

struct buf;
struct pbjson_gen;

/* pbjson.c */
struct pbjson_gen *pbjson_gen_new(struct buf *, int);
void		 pbjson_gen_free(struct pbjson_gen *);
const char	*pbjson_gen_error(const struct pbjson_gen *);
int		 pbjson_gen_message(struct pbjson_gen *,
		    const ProtobufCMessage *);
int		 pbjson_gen_open(struct pbjson_gen *);
int		 pbjson_gen_fields(struct pbjson_gen *, const ProtobufCMessage *,
		    const char *);
int		 pbjson_gen_member(struct pbjson_gen *, const char *,
		    const ProtobufCMessage *);
int		 pbjson_gen_close(struct pbjson_gen *);
json_t		*pbjson_tree(const char *, size_t);
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
