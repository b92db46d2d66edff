/*
 * SPSC rings for cross-core write shipping (see ship.h). Classic Lamport
 * ring: producer index and consumer index on separate cache lines, each side
 * caching the other's index so that the shared line is only read when the
 * cached view says full/empty. Slots are fixed-size descriptors copied in.
 * The rings live in ordinary memory allocated on the control path.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/store/ship.h"

struct spsc {
	/* producer side */
	_Atomic uint32_t head SL_CACHE_ALIGNED;
	uint32_t tail_cache;
	/* consumer side */
	_Atomic uint32_t tail SL_CACHE_ALIGNED;
	uint32_t head_cache;
	/* constant */
	uint32_t mask SL_CACHE_ALIGNED;
	uint32_t esize;
	unsigned char *slots;
};

struct sl_store_ship {
	struct sl_store *s;
	unsigned n;
	struct spsc *req; /* [src * n + dst] */
	struct spsc *cpl; /* [dst * n + src]: completions from owner dst to src */
	unsigned *rr;     /* per owner: next source to start draining from */
};

static int spsc_init(struct spsc *r, uint32_t slots, uint32_t esize)
{
	memset(r, 0, sizeof(*r));
	r->mask = slots - 1;
	r->esize = esize;
	r->slots = calloc(slots, esize);
	return r->slots ? 0 : -ENOMEM;
}

static inline uint32_t spsc_free_space(struct spsc *r)
{
	uint32_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
	uint32_t room = r->mask + 1 - (head - r->tail_cache);
	if (room == 0) {
		r->tail_cache = atomic_load_explicit(&r->tail, memory_order_acquire);
		room = r->mask + 1 - (head - r->tail_cache);
	}
	return room;
}

static unsigned spsc_enqueue(struct spsc *r, const void *objs, unsigned n)
{
	uint32_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
	uint32_t room = r->mask + 1 - (head - r->tail_cache);
	if (room < n) {
		r->tail_cache = atomic_load_explicit(&r->tail, memory_order_acquire);
		room = r->mask + 1 - (head - r->tail_cache);
	}
	if (n > room)
		n = room;
	for (unsigned i = 0; i < n; i++)
		memcpy(r->slots + (size_t)((head + i) & r->mask) * r->esize,
		       (const unsigned char *)objs + (size_t)i * r->esize, r->esize);
	atomic_store_explicit(&r->head, head + n, memory_order_release);
	return n;
}

static inline uint32_t spsc_count(struct spsc *r)
{
	uint32_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
	if (r->head_cache == tail)
		r->head_cache = atomic_load_explicit(&r->head, memory_order_acquire);
	return r->head_cache - tail;
}

static inline void *spsc_peek(struct spsc *r, uint32_t i)
{
	uint32_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
	return r->slots + (size_t)((tail + i) & r->mask) * r->esize;
}

static inline void spsc_consume(struct spsc *r, uint32_t n)
{
	uint32_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
	atomic_store_explicit(&r->tail, tail + n, memory_order_release);
}

static unsigned spsc_dequeue(struct spsc *r, void *objs, unsigned n)
{
	uint32_t avail = spsc_count(r);
	if (n > avail)
		n = avail;
	for (unsigned i = 0; i < n; i++)
		memcpy((unsigned char *)objs + (size_t)i * r->esize, spsc_peek(r, i), r->esize);
	spsc_consume(r, n);
	return n;
}

struct sl_store_ship *sl_store_ship_create(struct sl_store *s, unsigned slots)
{
	unsigned n = sl_store_n_parts(s);
	if (slots < 2 || (slots & (slots - 1)) != 0) {
		errno = EINVAL;
		return NULL;
	}
	struct sl_store_ship *sh = calloc(1, sizeof(*sh));
	if (sh == NULL)
		return NULL;
	sh->s = s;
	sh->n = n;
	sh->req = aligned_alloc(SL_CACHE_LINE, (size_t)n * n * sizeof(struct spsc));
	sh->cpl = aligned_alloc(SL_CACHE_LINE, (size_t)n * n * sizeof(struct spsc));
	sh->rr = calloc(n, sizeof(unsigned));
	if (sh->req == NULL || sh->cpl == NULL || sh->rr == NULL)
		goto err;
	memset(sh->req, 0, (size_t)n * n * sizeof(struct spsc));
	memset(sh->cpl, 0, (size_t)n * n * sizeof(struct spsc));
	for (unsigned i = 0; i < n * n; i++) {
		if (spsc_init(&sh->req[i], slots, sizeof(struct sl_store_op)) != 0 ||
		    spsc_init(&sh->cpl[i], slots, sizeof(struct sl_store_completion)) != 0)
			goto err;
	}
	return sh;
err:
	sl_store_ship_destroy(&sh);
	errno = ENOMEM;
	return NULL;
}

void sl_store_ship_destroy(struct sl_store_ship **shp)
{
	struct sl_store_ship *sh = *shp;
	if (sh == NULL)
		return;
	for (unsigned i = 0; sh->req && sh->cpl && i < sh->n * sh->n; i++) {
		free(sh->req[i].slots);
		free(sh->cpl[i].slots);
	}
	free(sh->req);
	free(sh->cpl);
	free(sh->rr);
	free(sh);
	*shp = NULL;
}

unsigned sl_store_ship_submit_burst(struct sl_store_ship *sh, unsigned src, unsigned dst,
				    const struct sl_store_op *ops, unsigned n)
{
	return spsc_enqueue(&sh->req[src * sh->n + dst], ops, n);
}

static void copy_out(const struct sl_store_op *op, struct sl_store_completion *c,
		     const struct sl_store_value *v)
{
	c->out_len = (uint32_t)v->len;
	if (op->out != NULL && v->len > 0)
		memcpy(op->out, v->ptr, SL_MIN(v->len, (size_t)op->out_cap));
}

static void apply(struct sl_store *s, unsigned self, const struct sl_store_op *op, uint64_t now,
		  struct sl_store_completion *c)
{
	struct sl_store_value v;
	size_t len;
	c->cookie = op->cookie;
	c->out_len = 0;
	c->ival = 0;
	switch ((enum sl_store_op_code)op->code) {
	case SL_STORE_OP_SET: {
		struct sl_store_set_opts o = {.flags = op->flags,
					      .expire_at_ms = (uint64_t)op->arg};
		v.type = SL_STORE_T_NONE;
		v.len = 0;
		c->rc = sl_store_set(s, self, op->key, op->klen, op->val, op->vlen, &o, now, &v);
		if ((op->flags & SL_STORE_SET_GET) && v.type != SL_STORE_T_NONE)
			copy_out(op, c, &v);
		break;
	}
	case SL_STORE_OP_DEL:
		c->rc = sl_store_del(s, self, op->key, op->klen, now);
		break;
	case SL_STORE_OP_INCRBY:
		c->rc = sl_store_incrby(s, self, op->key, op->klen, op->arg, now, &c->ival);
		break;
	case SL_STORE_OP_EXPIRE:
		c->rc = sl_store_expire(s, self, op->key, op->klen, (uint64_t)op->arg, op->flags,
					now);
		break;
	case SL_STORE_OP_PERSIST:
		c->rc = sl_store_persist(s, self, op->key, op->klen, now);
		break;
	case SL_STORE_OP_APPEND:
		c->rc = sl_store_append(s, self, op->key, op->klen, op->val, op->vlen, now, &len);
		c->ival = (int64_t)len;
		break;
	case SL_STORE_OP_GET:
		c->rc = sl_store_get(s, op->key, op->klen, now, &v);
		if (c->rc == 0)
			copy_out(op, c, &v);
		break;
	case SL_STORE_OP_FLUSH:
		c->rc = sl_store_flush(s, self);
		break;
	default:
		c->rc = -EINVAL;
		break;
	}
}

unsigned sl_store_ship_drain(struct sl_store_ship *sh, unsigned self, uint64_t now_ms,
			     unsigned budget)
{
	unsigned done = 0;
	for (unsigned k = 0; k < sh->n && done < budget; k++) {
		unsigned src = (sh->rr[self] + k) % sh->n;
		struct spsc *rq = &sh->req[src * sh->n + self];
		struct spsc *cq = &sh->cpl[self * sh->n + src];
		uint32_t n = spsc_count(rq);
		if (n == 0)
			continue;
		uint32_t room = spsc_free_space(cq); /* not inside SL_MIN: evaluated once */
		n = SL_MIN(n, budget - done);
		n = SL_MIN(n, room);
		for (uint32_t i = 0; i < n; i++) {
			struct sl_store_completion c;
			apply(sh->s, self, spsc_peek(rq, i), now_ms, &c);
			spsc_enqueue(cq, &c, 1);
		}
		spsc_consume(rq, n);
		done += n;
	}
	sh->rr[self] = (sh->rr[self] + 1) % sh->n;
	return done;
}

unsigned sl_store_ship_collect_burst(struct sl_store_ship *sh, unsigned self, unsigned owner,
				     struct sl_store_completion *c, unsigned n)
{
	return spsc_dequeue(&sh->cpl[owner * sh->n + self], c, n);
}
