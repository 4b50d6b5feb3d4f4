/*
 * pbjson.h: protojson <-> protobuf-c messages, generic over protobuf-c
 * descriptors (supervisor/pbjson.c).
 */

#ifndef PBJSON_H
#define PBJSON_H

#include <stddef.h>

#include <jansson.h>
#include <protobuf-c/protobuf-c.h>

/* Encode with the proto field names instead of json_name (lowerCamelCase). */
#define PBJSON_PROTO_NAMES	0x01

/* pbjson.c */
json_t			*pbjson_encode(const ProtobufCMessage *, int);
ProtobufCMessage	*pbjson_decode(const ProtobufCMessageDescriptor *, json_t *,
			    int, char *, size_t);
int			 pbjson_json_name(const char *, char *, size_t);

#endif /* PBJSON_H */
