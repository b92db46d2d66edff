/*
 * Input segments, shared by the transports (dataplane/server.c over the
 * TCP stack, drivers/kernel.c over sockets): a connection holds one only
 * while a request is partial (or during the call that reads it), so an idle
 * connection costs none; each worker keeps up to SL_INSEG_CACHE free ones
 * for the next reads. A worker's cache is its own: no locks.
 */
#ifndef SL_DATAPLANE_INSEG_H
#define SL_DATAPLANE_INSEG_H

#include <stdint.h>
#include <stdlib.h>

#define SL_INSEG_SIZE  (16 * 1024)
#define SL_INSEG_CACHE 64

struct sl_inseg {
	struct sl_inseg *next;
	char data[SL_INSEG_SIZE];
};

struct sl_inseg_cache {
	struct sl_inseg *free;
	unsigned n;
};

/* A segment from the cache, else from malloc; NULL when out of memory. */
static inline struct sl_inseg *sl_inseg_get(struct sl_inseg_cache *c)
{
	struct sl_inseg *g = c->free;

	if (g != NULL) {
		c->free = g->next;
		c->n--;
		return g;
	}
	return malloc(sizeof(*g));
}

/* Gives g back (transferred): kept for reuse, or freed when the cache is full. */
static inline void sl_inseg_put(struct sl_inseg_cache *c, struct sl_inseg *g)
{
	if (c->n >= SL_INSEG_CACHE) {
		free(g);
		return;
	}
	g->next = c->free;
	c->free = g;
	c->n++;
}

/* Bytes of a segment list (a client's memory). */
static inline uint64_t sl_inseg_list_bytes(const struct sl_inseg *g)
{
	uint64_t bytes = 0;

	for (; g != NULL; g = g->next)
		bytes += sizeof(*g);
	return bytes;
}

/* Gives a whole list back; returns its bytes. */
static inline uint64_t sl_inseg_put_list(struct sl_inseg_cache *c, struct sl_inseg *g)
{
	uint64_t bytes = 0;

	while (g != NULL) {
		struct sl_inseg *n = g->next;

		sl_inseg_put(c, g);
		bytes += sizeof(*g);
		g = n;
	}
	return bytes;
}

/* Frees every cached segment (worker shutdown). */
static inline void sl_inseg_cache_clear(struct sl_inseg_cache *c)
{
	while (c->free != NULL) {
		struct sl_inseg *g = c->free;

		c->free = g->next;
		free(g);
	}
	c->n = 0;
}

#endif /* SL_DATAPLANE_INSEG_H */
