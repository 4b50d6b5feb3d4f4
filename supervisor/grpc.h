/*
 * grpc.c's interface for the gRPC services: a table of methods, and per
 * call its metadata, deadline, response messages and final status.  A call
 * lives from its handler's first call until grpc_finish, or until its
 * cancel callback has run (stream reset, connection gone).
 */
#ifndef NEBULA_GRPC_H
#define NEBULA_GRPC_H

#include <stddef.h>
#include <stdint.h>

/* Status codes, as grpc defines them. */
#define GRPC_OK			 0
#define GRPC_CANCELLED		 1
#define GRPC_UNKNOWN		 2
#define GRPC_INVALID_ARGUMENT	 3
#define GRPC_DEADLINE_EXCEEDED	 4
#define GRPC_NOT_FOUND		 5
#define GRPC_ALREADY_EXISTS	 6
#define GRPC_PERMISSION_DENIED	 7
#define GRPC_RESOURCE_EXHAUSTED	 8
#define GRPC_FAILED_PRECONDITION 9
#define GRPC_ABORTED		10
#define GRPC_OUT_OF_RANGE	11
#define GRPC_UNIMPLEMENTED	12
#define GRPC_INTERNAL		13
#define GRPC_UNAVAILABLE	14
#define GRPC_DATA_LOSS		15
#define GRPC_UNAUTHENTICATED	16

struct grpc_call;

struct grpc_method {
	const char	*gm_path;	/* "/package.Service/Method" */
	int		 gm_streaming;	/* 0: unary, 1: each message */
	/*
	 * Unary: called once with the request at the client's end of stream.
	 * Streaming: called for each message, then once with msg NULL at the
	 * client's end of stream, or when the stream goes first and no
	 * cancel callback is set.  msg is valid during the call only.  Every
	 * call a handler has seen ends with grpc_finish or its cancel
	 * callback.
	 */
	void		(*gm_handler)(struct grpc_call *, const uint8_t *msg,
			    size_t len);
};

void		 grpc_set_methods(const struct grpc_method *, size_t);
const char	*grpc_metadata(struct grpc_call *, const char *);
double		 grpc_timeout(struct grpc_call *);
const char	*grpc_request_id(struct grpc_call *);
const char	*grpc_path(struct grpc_call *);
int		 grpc_send(struct grpc_call *, const void *, size_t);
int		 grpc_can_send(struct grpc_call *, size_t);
void		 grpc_set_drained(struct grpc_call *, void (*)(void *), void *);
void		 grpc_finish(struct grpc_call *, int, const char *);
void		 grpc_set_cancel(struct grpc_call *, void (*)(void *), void *);
void		*grpc_data(struct grpc_call *);
void		 grpc_set_data(struct grpc_call *, void *);
size_t		 grpc_percent_encode(const char *, char *, size_t);
int		 grpc_parse_timeout(const char *, double *);
const char	*grpc_status_name(int);

#endif
