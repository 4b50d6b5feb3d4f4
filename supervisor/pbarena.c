/*
 * A protobuf-c allocator for messages that live only while one request is
 * handled: allocation bumps a pointer in a block kept from one request to
 * the next, free does nothing, and pbarena_reset() takes the whole message
 * back at once.  A request larger than the block gets extra blocks, freed at
 * the reset, and the kept block grows to fit the next one (up to a bound).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pbjson.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define PBARENA_POISON(p, n)	ASAN_POISON_MEMORY_REGION((p), (n))
#define PBARENA_UNPOISON(p, n)	ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define PBARENA_POISON(p, n)	((void)(p), (void)(n))
#define PBARENA_UNPOISON(p, n)	((void)(p), (void)(n))
#endif

#define PBARENA_ALIGN	16
#define PBARENA_KEEP	(4 * 1024 * 1024)	/* most a kept block grows to */

struct pbarena_block {
	struct pbarena_block	*pb_next;
	size_t			 pb_size;	/* bytes after the header */
	size_t			 pb_used;
};

struct pbarena {
	ProtobufCAllocator	 pa_alloc;	/* first: its data is the arena */
	struct pbarena_block	*pa_kept;
	struct pbarena_block	*pa_extra;	/* this request's, newest first */
	size_t			 pa_total;	/* bytes handed out since reset */
};

#define PBARENA_HDR	((sizeof(struct pbarena_block) + PBARENA_ALIGN - 1) & \
			    ~(size_t)(PBARENA_ALIGN - 1))

static struct pbarena_block *
pbarena_block_new(size_t size)
{
	struct pbarena_block	*b;

	if (size > SIZE_MAX - PBARENA_HDR ||
	    (b = malloc(PBARENA_HDR + size)) == NULL)
		return NULL;
	b->pb_next = NULL;
	b->pb_size = size;
	b->pb_used = 0;
	PBARENA_POISON((char *)b + PBARENA_HDR, size);
	return b;
}

static void
pbarena_block_free(struct pbarena_block *b)
{
	if (b == NULL)
		return;
	PBARENA_UNPOISON((char *)b + PBARENA_HDR, b->pb_size);
	free(b);
}

/* n bytes (aligned) of which size are usable; the rest stays poisoned. */
static void *
pbarena_block_take(struct pbarena_block *b, size_t n, size_t size)
{
	char	*p;

	if (b == NULL || b->pb_size - b->pb_used < n)
		return NULL;
	p = (char *)b + PBARENA_HDR + b->pb_used;
	b->pb_used += n;
	PBARENA_UNPOISON(p, size);
	return p;
}

static void *
pbarena_alloc(void *data, size_t size)
{
	struct pbarena		*a = data;
	struct pbarena_block	*b;
	size_t			 n, want;
	void			*p;

	if (size > SIZE_MAX - PBARENA_ALIGN)
		return NULL;
	n = (size + PBARENA_ALIGN - 1) & ~(size_t)(PBARENA_ALIGN - 1);
	if (n == 0)
		n = PBARENA_ALIGN;
	if ((p = pbarena_block_take(a->pa_kept, n, size)) == NULL &&
	    (p = pbarena_block_take(a->pa_extra, n, size)) == NULL) {
		want = a->pa_extra != NULL ? a->pa_extra->pb_size * 2 :
		    a->pa_kept->pb_size;
		if (want < n)
			want = n;
		if ((b = pbarena_block_new(want)) == NULL)
			return NULL;
		b->pb_next = a->pa_extra;
		a->pa_extra = b;
		p = pbarena_block_take(b, n, size);
	}
	a->pa_total += n;
	return p;
}

static void
pbarena_nofree(void *data, void *p)
{
	(void)data;
	(void)p;
}

/* An arena whose kept block holds size bytes at first; NULL: no memory. */
struct pbarena *
pbarena_new(size_t size)
{
	struct pbarena	*a;

	if ((a = calloc(1, sizeof(*a))) == NULL)
		return NULL;
	if ((a->pa_kept = pbarena_block_new(size ? size : 4096)) == NULL) {
		free(a);
		return NULL;
	}
	a->pa_alloc.alloc = pbarena_alloc;
	a->pa_alloc.free = pbarena_nofree;
	a->pa_alloc.allocator_data = a;
	return a;
}

/* For protobuf-c's unpack: valid until the arena's next reset. */
ProtobufCAllocator *
pbarena_allocator(struct pbarena *a)
{
	return &a->pa_alloc;
}

static void
pbarena_free_extra(struct pbarena *a)
{
	struct pbarena_block	*b;

	while ((b = a->pa_extra) != NULL) {
		a->pa_extra = b->pb_next;
		pbarena_block_free(b);
	}
}

/*
 * Takes back every allocation at once: the messages unpacked since the last
 * reset are gone.  A request that needed extra blocks makes the kept block
 * as large as that request was, within PBARENA_KEEP.
 */
void
pbarena_reset(struct pbarena *a)
{
	struct pbarena_block	*b;

	if (a == NULL)
		return;
	pbarena_free_extra(a);
	if (a->pa_total > a->pa_kept->pb_size && a->pa_total <= PBARENA_KEEP &&
	    (b = pbarena_block_new(a->pa_total)) != NULL) {
		pbarena_block_free(a->pa_kept);
		a->pa_kept = b;
	}
	PBARENA_POISON((char *)a->pa_kept + PBARENA_HDR, a->pa_kept->pb_size);
	a->pa_kept->pb_used = 0;
	a->pa_total = 0;
}

/* The kept block's size, for tests. */
size_t
pbarena_size(const struct pbarena *a)
{
	return a->pa_kept->pb_size;
}

void
pbarena_free(struct pbarena *a)
{
	if (a == NULL)
		return;
	pbarena_free_extra(a);
	pbarena_block_free(a->pa_kept);
	free(a);
}
