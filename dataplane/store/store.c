/*
 * The store: partitions, bucket tables, items, strings, expiry, eviction,
 * accounting, SCAN, lazy flush and the QSBR reclamation that all of them use.
 * See store.h for the contracts and store_priv.h for the memory layout; the
 * large-hash type lives in store_hash.c.
 *
 * Grace periods. s->gp is a global counter. A reader's quiescent state
 * copies gp into its own cache line (release). The owner queues retired
 * memory unstamped; sl_store_maintain bumps gp once (a seq_cst RMW, ordered
 * after the unlinking stores) and stamps the queued entries with the new
 * value. Memory whose stamp is <= every online reader's `seen` cannot be
 * referenced any more: those readers loaded gp after the unlink, and passed
 * a quiescent state, so their older references are gone. Nothing waits; the
 * owner checks once per loop iteration.
 *
 * Incremental growth. While old != NULL, old buckets below mig_pos have been
 * copied into cur; readers and the owner go to old for the others. Migration
 * copies slot words (items are shared), so a reader that raced with the
 * migration of its bucket still finds the item in the old table, which stays
 * allocated until a grace period after the migration finished.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jemalloc/jemalloc.h>

#include "dataplane/store/store.h"
#include "dataplane/store/store_priv.h"
#include "dataplane/store/store_int.h"

/* ASan cannot see jemalloc's mallocx/sdallocx: poison what the store frees so
 * that a reader touching reclaimed memory is reported (stress suite). */
#if defined(__SANITIZE_ADDRESS__)
#define STORE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define STORE_ASAN 1
#endif
#endif
#ifdef STORE_ASAN
#include <sanitizer/asan_interface.h>
#define MEM_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#define MEM_POISON(p, n)   ASAN_POISON_MEMORY_REGION((p), (n))
#else
#define MEM_UNPOISON(p, n) ((void)0)
#define MEM_POISON(p, n)   ((void)0)
#endif

#define STORE_MAX_STRING   (512ull * 1024 * 1024)
#define LFU_INIT_VAL       5
#define EVICT_MAX_PER_CALL 128
#define EVICT_SWEEP_STEP   65536 /* buckets an eviction sweep visits per call (4 MiB) */
#define LAZY_BUCKETS_STEP  256
#define PART_SHIFT         32

#define RD(x)     atomic_load_explicit(&(x), memory_order_relaxed)
#define ACQ(x)    atomic_load_explicit(&(x), memory_order_acquire)
#define WR(x, v)  atomic_store_explicit(&(x), (v), memory_order_relaxed)
#define REL(x, v) atomic_store_explicit(&(x), (v), memory_order_release)
/* Owner-only counters: no RMW needed, a single writer. */
#define OWN_ADD(x, v) WR(x, RD(x) + (v))
#define OWN_SUB(x, v) WR(x, RD(x) - (v))

static _Thread_local uint64_t tl_rng = 0x9e3779b97f4a7c15ull;

/* Internal forms of exported helpers: the exported symbols may be
 * interposed in a PIC build, so calls inside this file go to these. */
static inline uint64_t key_hash(const void *key, size_t len);
static inline unsigned part_index(const struct sl_store *s, uint64_t hash);
static inline size_t item_bytes(unsigned flags, size_t klen, unsigned enc, size_t vlen);
static inline const uint8_t *item_key(const struct item *it);
static inline uint8_t *item_val(struct item *it);
static inline uint64_t item_expire(struct item *it);
static inline void *part_alloc(struct part *p, size_t size);
static inline struct item *item_new(struct sl_store *s, struct part *p, const void *key,
				    size_t klen, unsigned type, unsigned enc, const void *val,
				    size_t vlen, uint64_t expire_at, uint64_t now);
static inline void view_item(struct item *it, struct sl_store_value *out);
static inline struct part *owner_part(struct sl_store *s, unsigned self, uint64_t h);

/* --- small helpers ---------------------------------------------------------- */

static inline uint64_t xorshift(uint64_t *st)
{
	uint64_t x = *st;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*st = x;
	return x;
}

static inline uint64_t rd64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

static inline uint64_t mix(uint64_t a, uint64_t b)
{
	__uint128_t r = (__uint128_t)a * b;
	return (uint64_t)r ^ (uint64_t)(r >> 64);
}

static inline uint64_t key_hash(const void *key, size_t len)
{
	static const uint64_t k0 = 0xa0761d6478bd642full, k1 = 0xe7037ed1a0b428dbull,
			      k2 = 0x8ebc6af09c88c6e3ull, k3 = 0x589965cc75374cc3ull;
	const uint8_t *p = key;
	uint64_t h = k0 ^ (len * k3);
	size_t n = len;

	while (n >= 16) {
		h = mix(rd64(p) ^ k1, rd64(p + 8) ^ h);
		p += 16;
		n -= 16;
	}
	uint64_t a = 0, b = 0;
	if (n >= 8) {
		a = rd64(p);
		b = rd64(p + n - 8);
	} else if (n >= 4) {
		uint32_t x, y;
		memcpy(&x, p, 4);
		memcpy(&y, p + n - 4, 4);
		a = x;
		b = y;
	} else if (n > 0) {
		a = ((uint64_t)p[0] << 16) | ((uint64_t)p[n >> 1] << 8) | p[n - 1];
	}
	if (n > 0 || len == 0) /* whole 16-byte blocks need no tail round */
		h = mix(a ^ k1, b ^ h ^ k2);
	return mix(h ^ k3, (uint64_t)len ^ k1);
}

uint64_t sl_store_hash(const void *key, size_t len)
{
	return key_hash(key, len);
}

/* Multiply-shift range reduction of 16 hash bits (no division on the hot path). */
static inline unsigned part_index(const struct sl_store *s, uint64_t hash)
{
	return (unsigned)((((hash >> PART_SHIFT) & 0xffff) * s->n_parts) >> 16);
}

unsigned sl_store_part_of(const struct sl_store *s, uint64_t hash)
{
	return part_index(s, hash);
}

unsigned sl_store_n_parts(const struct sl_store *s)
{
	return s->n_parts;
}

static inline uint64_t slot_make(uint64_t h, const void *ptr)
{
	return ((h >> SLOT_TAG_SHIFT) << SLOT_TAG_SHIFT) | (uint64_t)(uintptr_t)ptr;
}

static inline struct item *slot_item(uint64_t sv)
{
	return (struct item *)(uintptr_t)(sv & SLOT_PTR_MASK);
}

static inline bool slot_tag_eq(uint64_t sv, uint64_t h)
{
	return sv != 0 && (sv >> SLOT_TAG_SHIFT) == (h >> SLOT_TAG_SHIFT);
}

/* --- item layout -------------------------------------------------------------- */

static inline size_t item_key_off(unsigned flags)
{
	return (flags & ITEM_F_TTL) ? 8 : 0;
}

static inline size_t item_val_off(unsigned flags, size_t klen, unsigned enc)
{
	size_t off = item_key_off(flags) + klen;
	if (enc == SL_STORE_ENC_INT || enc == SL_STORE_ENC_TABLE)
		off = (sizeof(struct item) + off + 7) / 8 * 8 - sizeof(struct item);
	return off;
}

static inline size_t item_bytes(unsigned flags, size_t klen, unsigned enc, size_t vlen)
{
	return sizeof(struct item) + item_val_off(flags, klen, enc) + vlen;
}

size_t sl_store_item_size(unsigned flags, size_t klen, unsigned enc, size_t vlen)
{
	return item_bytes(flags, klen, enc, vlen);
}

static inline size_t item_size(const struct item *it)
{
	return item_bytes(it->flags, it->klen, it->enc, it->vlen);
}

static inline const uint8_t *item_key(const struct item *it)
{
	return it->data + item_key_off(it->flags);
}

const uint8_t *sl_store_item_key(const struct item *it)
{
	return item_key(it);
}

static inline uint8_t *item_val(struct item *it)
{
	return it->data + item_val_off(it->flags, it->klen, it->enc);
}

uint8_t *sl_store_item_val(struct item *it)
{
	return item_val(it);
}

static inline _Atomic uint64_t *item_ttl(struct item *it)
{
	return (_Atomic uint64_t *)(void *)it->data;
}

static inline _Atomic int64_t *item_int(struct item *it)
{
	return (_Atomic int64_t *)(void *)item_val(it);
}

static inline uint64_t item_expire(struct item *it)
{
	return (it->flags & ITEM_F_TTL) ? RD(*item_ttl(it)) : 0;
}

uint64_t sl_store_item_expire(struct item *it)
{
	return item_expire(it);
}

/* Redis: a key is expired when now > when. */
static inline bool item_expired(struct item *it, uint64_t now)
{
	if (!(it->flags & ITEM_F_TTL))
		return false;
	uint64_t e = RD(*item_ttl(it));
	return e != 0 && now > e;
}

static inline bool key_bytes_eq(const uint8_t *a, const uint8_t *b, size_t n)
{
	/* short keys dominate: compare words without a libc call */
	while (n >= 8) {
		if (rd64(a) != rd64(b))
			return false;
		a += 8;
		b += 8;
		n -= 8;
	}
	while (n > 0) {
		if (*a++ != *b++)
			return false;
		n--;
	}
	return true;
}

static inline bool item_key_eq(const struct item *it, const void *key, size_t klen)
{
	return it->klen == klen && key_bytes_eq(item_key(it), key, klen);
}

/* --- memory: the owner's arena, with accounting ------------------------------ */

/* Usable size of small allocations from a table filled once from nallocx:
 * accounting runs on every write, and nallocx is an out-of-line call. */
#define SMALL_MAX 4096
static uint16_t small_class[SMALL_MAX / 8 + 1];
static pthread_once_t small_once = PTHREAD_ONCE_INIT;

static void small_init(void)
{
	for (size_t i = 0; i <= SMALL_MAX / 8; i++)
		small_class[i] = (uint16_t)nallocx(i ? i * 8 : 1, 0);
}

static inline size_t usable(size_t size, int flags)
{
	if (sl_likely(size <= SMALL_MAX &&
		      (flags & 0x3f) == 0 /* jemalloc keeps lg(align) in the low bits */))
		return small_class[(size + 7) / 8];
	return nallocx(size, flags);
}

size_t sl_store_usable(size_t size)
{
	return usable(size, 0);
}

static void *arena_alloc(struct part *p, size_t size, int flags)
{
	void *m = mallocx(size, p->mflags | flags);
	if (m != NULL)
		MEM_UNPOISON(m, nallocx(size, p->mflags | flags));
	return m;
}

static void arena_free(struct part *p, void *m, size_t size, int flags)
{
	MEM_POISON(m, nallocx(size, p->mflags | flags));
	sdallocx(m, size, p->mflags | flags);
}

static void *part_alloc_flags(struct part *p, size_t size, int extra)
{
	void *m = arena_alloc(p, size, extra);
	if (m == NULL)
		return NULL;
	size_t u = usable(size, extra);
	OWN_ADD(p->alloc, u);
	OWN_ADD(p->used, u);
	return m;
}

static inline void *part_alloc(struct part *p, size_t size)
{
	return part_alloc_flags(p, size, 0);
}

void *sl_store_part_alloc(struct part *p, size_t size)
{
	return part_alloc(p, size);
}

/* Free memory that no reader ever saw (or whose grace period is over and
 * whose `used` share was already dropped: then pass was_retired). */
static void part_free_flags(struct part *p, void *m, size_t size, int extra, bool was_retired)
{
	size_t u = usable(size, extra);
	arena_free(p, m, size, extra);
	OWN_SUB(p->alloc, u);
	if (!was_retired)
		OWN_SUB(p->used, u);
}

void sl_store_part_free(struct part *p, void *m, size_t size)
{
	part_free_flags(p, m, size, 0, false);
}

static size_t table_bytes(uint64_t nbuckets)
{
	return sizeof(struct table) + nbuckets * sizeof(struct bucket);
}

#define TABLE_FLAGS (MALLOCX_ALIGN(SL_CACHE_LINE))

static struct table *table_alloc(struct part *p, uint64_t nbuckets)
{
	struct table *t = part_alloc_flags(p, table_bytes(nbuckets), TABLE_FLAGS);
	if (t == NULL)
		return NULL;
	memset(t, 0, table_bytes(nbuckets));
	t->mask = nbuckets - 1;
	return t;
}

static struct bucket *overflow_alloc(struct part *p)
{
	struct bucket *b = part_alloc_flags(p, sizeof(struct bucket), TABLE_FLAGS);
	if (b != NULL)
		memset(b, 0, sizeof(*b));
	return b;
}

/* Queue memory for reclamation after a grace period. `used` drops now. */
/* The retire ring is full: double it. False when there is no memory. */
static __attribute__((noinline)) bool retire_grow(struct part *p)
{
	uint64_t ncap = p->rq_cap ? p->rq_cap * 2 : 256;
	struct retire *nq = arena_alloc(p, ncap * sizeof(*nq), 0);
	if (nq == NULL)
		return false;
	OWN_ADD(p->alloc, nallocx(ncap * sizeof(*nq), p->mflags));
	WR(p->meta, nallocx(ncap * sizeof(*nq), p->mflags));
	for (uint64_t i = p->rq_head; i != p->rq_tail; i++)
		nq[i & (ncap - 1)] = p->rq[i & (p->rq_cap - 1)];
	if (p->rq != NULL) {
		arena_free(p, p->rq, p->rq_cap * sizeof(*nq), 0);
		OWN_SUB(p->alloc, nallocx(p->rq_cap * sizeof(*nq), p->mflags));
	}
	p->rq = nq;
	p->rq_cap = ncap;
	return true;
}

static inline void retire(struct part *p, void *ptr, uint64_t size, enum retire_kind kind,
			  uint64_t used_bytes)
{
	OWN_SUB(p->used, used_bytes);
	if (sl_unlikely(p->rq_tail - p->rq_head == p->rq_cap) && !retire_grow(p)) {
		/* Cannot queue it: leaking is the only safe choice. */
		p->retire_lost++;
		return;
	}
	struct retire *r = &p->rq[p->rq_tail & (p->rq_cap - 1)];
	r->ptr = ptr;
	r->size = size;
	r->kind = kind;
	r->epoch = 0;
	p->rq_tail++;
	OWN_ADD(p->pending, 1);
}

void sl_store_retire(struct part *p, void *ptr, uint64_t size, enum retire_kind kind,
		     uint64_t used_bytes)
{
	retire(p, ptr, size, kind, used_bytes);
}

void sl_store_retire_mem(struct part *p, void *ptr, size_t size)
{
	retire(p, ptr, size, RK_MEM, usable(size, 0));
}

static void retire_item(struct part *p, struct item *it, bool deep)
{
	if (deep && it->type == SL_STORE_T_HASH && it->enc == SL_STORE_ENC_TABLE)
		sl_store_hobj_retire(p, it);
	size_t sz = item_size(it);
	retire(p, it, sz, RK_ITEM, usable(sz, 0));
}

static void free_item_now(struct part *p, struct item *it, bool was_retired)
{
	part_free_flags(p, it, item_size(it), 0, was_retired);
}

/* --- pins (store.h "pins"; layout in store_priv.h) ----------------------------- */

static inline bool item_pinnable(const struct item *it)
{
	return it->type == SL_STORE_T_STRING && it->enc == SL_STORE_ENC_RAW &&
	       it->vlen >= SL_STORE_PIN_MIN;
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

/* Held for a few dozen instructions: never around a free or an allocation. */
static void pin_lock(struct pinset *ps)
{
	while (atomic_exchange_explicit(&ps->lock, 1, memory_order_acquire) != 0)
		while (RD(ps->lock) != 0)
			cpu_relax();
}

static void pin_unlock(struct pinset *ps)
{
	REL(ps->lock, 0);
}

static inline uint32_t pin_home(const struct item *it)
{
	uint64_t h = ((uint64_t)(uintptr_t)it >> 4) * 0x9e3779b97f4a7c15ull;
	return (uint32_t)(h >> 32) & (PIN_INDEX - 1);
}

/* Under the lock: the record of it, or NULL; *slot = its index slot, or the
 * empty slot where it would go. Terminates: the index is at most half full. */
static struct pin_rec *pin_find(struct pinset *ps, const struct item *it, uint32_t *slot)
{
	for (uint32_t i = pin_home(it);; i = (i + 1) & (PIN_INDEX - 1)) {
		uint32_t r = ps->index[i];
		*slot = i;
		if (r == 0)
			return NULL;
		if (ps->rec[r - 1].it == it)
			return &ps->rec[r - 1];
	}
}

/* Under the lock: drop the record from the index (backward-shift deletion,
 * so lookups never meet tombstones) and put it on the free list. */
static void pin_rec_free(struct pinset *ps, struct pin_rec *r)
{
	uint32_t i, j;
	pin_find(ps, r->it, &i);
	for (j = (i + 1) & (PIN_INDEX - 1); ps->index[j] != 0; j = (j + 1) & (PIN_INDEX - 1)) {
		uint32_t home = pin_home(ps->rec[ps->index[j] - 1].it);
		/* the entry at j may fill the hole at i if i lies on its probe path */
		if (((j - home) & (PIN_INDEX - 1)) >= ((j - i) & (PIN_INDEX - 1))) {
			ps->index[i] = ps->index[j];
			i = j;
		}
	}
	ps->index[i] = 0;
	r->it = NULL;
	r->count = 0;
	r->retired = 0;
	r->next = ps->free_head;
	ps->free_head = (uint32_t)(r - ps->rec) + 1;
	WR(ps->live, RD(ps->live) - 1);
}

static struct pinset *pinset_new(void)
{
	struct pinset *ps = aligned_alloc(SL_CACHE_LINE, sizeof(*ps));
	if (ps == NULL)
		return NULL;
	memset(ps, 0, sizeof(*ps));
	for (uint32_t i = 0; i < SL_STORE_PIN_SLOTS; i++) {
		ps->rec[i].set = ps;
		ps->rec[i].next = i + 1 < SL_STORE_PIN_SLOTS ? i + 2 : 0;
	}
	ps->free_head = 1;
	return ps;
}

/* Owner, at the end of its grace period (reclaim or flush's lazy free):
 * true when it is pinned; then the pin table owns the free (pins_collect).
 * The unlocked `live` hint is safe: a reader pins before its next quiescent
 * state, which the owner has seen (acquire) before reclaiming, so a pin of
 * this item is visible here. */
static bool pin_keep(struct part *p, struct item *it)
{
	struct pinset *ps = p->pins;
	if (sl_likely(!item_pinnable(it) || RD(ps->live) == 0))
		return false;
	uint32_t slot;
	pin_lock(ps);
	struct pin_rec *r = pin_find(ps, it, &slot);
	if (r != NULL)
		r->retired = 1;
	pin_unlock(ps);
	if (r == NULL)
		return false;
	OWN_ADD(p->pinned_retired, 1);
	return true;
}

#define PIN_COLLECT_STEP 32

/* Owner housekeeping: free retired items whose last pin went away (bounded;
 * the items are freed after the lock is dropped). */
static void pins_collect(struct part *p)
{
	struct pinset *ps = p->pins;
	struct item *batch[PIN_COLLECT_STEP];
	unsigned n = 0;
	if (sl_likely(RD(ps->zombie_head) == 0))
		return;
	pin_lock(ps);
	while (n < PIN_COLLECT_STEP && RD(ps->zombie_head) != 0) {
		struct pin_rec *r = &ps->rec[RD(ps->zombie_head) - 1];
		WR(ps->zombie_head, r->next);
		batch[n++] = r->it;
		pin_rec_free(ps, r);
	}
	pin_unlock(ps);
	for (unsigned i = 0; i < n; i++) {
		free_item_now(p, batch[i], true);
		OWN_SUB(p->pending, 1);
		OWN_SUB(p->pinned_retired, 1);
	}
}

/* A reclaimed table goes to the lazy list; its buckets (and, for a flushed
 * table, its items) are freed LAZY_BUCKETS_STEP buckets at a time. */
static void lazy_push(struct part *p, struct table *t)
{
	t->lazy_next = NULL;
	t->lazy_pos = 0;
	if (p->lazy_tail != NULL)
		p->lazy_tail->lazy_next = t;
	else
		p->lazy_head = t;
	p->lazy_tail = t;
}

static void deep_free_item(struct part *p, struct item *it)
{
	if (pin_keep(p, it)) {
		OWN_ADD(p->pending, 1); /* until pins_collect frees it */
		return;
	}
	if (it->type == SL_STORE_T_HASH && it->enc == SL_STORE_ENC_TABLE)
		sl_store_hobj_free_now(p, it);
	free_item_now(p, it, true);
}

static bool lazy_step(struct part *p, unsigned budget)
{
	struct table *t = p->lazy_head;
	if (t == NULL)
		return false;
	uint64_t nb = t->mask + 1;
	while (t->lazy_pos < nb && budget-- > 0) {
		struct bucket *b = &t->b[t->lazy_pos++];
		bool first = true;
		while (b != NULL) {
			struct bucket *next = RD(b->next);
			if (t->deep) {
				for (unsigned i = 0; i < BUCKET_SLOTS; i++) {
					uint64_t sv = RD(b->slot[i]);
					if (sv != 0)
						deep_free_item(p, slot_item(sv));
				}
			}
			if (!first)
				part_free_flags(p, b, sizeof(*b), TABLE_FLAGS, true);
			first = false;
			b = next;
		}
	}
	if (t->lazy_pos == nb) {
		p->lazy_head = t->lazy_next;
		if (p->lazy_head == NULL)
			p->lazy_tail = NULL;
		part_free_flags(p, t, table_bytes(nb), TABLE_FLAGS, true);
		OWN_SUB(p->pending, 1);
	}
	return true;
}

static void reclaim_one(struct part *p, struct retire *r)
{
	switch ((enum retire_kind)r->kind) {
	case RK_ITEM:
		if (pin_keep(p, r->ptr))
			return; /* still pending until its last unpin */
		free_item_now(p, r->ptr, true);
		break;
	case RK_MEM:
		part_free_flags(p, r->ptr, r->size, 0, true);
		break;
	case RK_HOBJ:
		sl_store_hobj_reclaim(p, r->ptr);
		break;
	case RK_TABLE:
		lazy_push(p, r->ptr);
		return; /* still pending until lazy_step has freed it */
	}
	OWN_SUB(p->pending, 1);
}

static uint64_t min_seen(struct sl_store *s)
{
	uint64_t m = UINT64_MAX;
	for (unsigned i = 0; i < s->n_readers; i++) {
		uint64_t v = ACQ(s->readers[i].seen);
		if (v < m)
			m = v;
	}
	return m;
}

static void reclaim(struct sl_store *s, struct part *p)
{
	if (p->rq_unstamped != p->rq_tail) {
		uint64_t e = atomic_fetch_add_explicit(&s->gp, 1, memory_order_seq_cst) + 1;
		for (; p->rq_unstamped != p->rq_tail; p->rq_unstamped++)
			p->rq[p->rq_unstamped & (p->rq_cap - 1)].epoch = e;
	}
	if (p->rq_head == p->rq_unstamped)
		return;
	uint64_t m = min_seen(s);
	while (p->rq_head != p->rq_unstamped) {
		struct retire *r = &p->rq[p->rq_head & (p->rq_cap - 1)];
		if (r->epoch > m)
			break;
		reclaim_one(p, r);
		p->rq_head++;
	}
}

/* --- readers ------------------------------------------------------------------- */

int sl_store_reader_online(struct sl_store *s, unsigned rid)
{
	if (rid >= s->n_readers)
		return -EINVAL;
	atomic_store_explicit(&s->readers[rid].seen, ACQ(s->gp), memory_order_seq_cst);
	atomic_thread_fence(memory_order_seq_cst);
	tl_rng ^= (uint64_t)(uintptr_t)&s->readers[rid] * 0x9e3779b97f4a7c15ull;
	if (tl_rng == 0)
		tl_rng = 1;
	return 0;
}

void sl_store_reader_offline(struct sl_store *s, unsigned rid)
{
	if (rid < s->n_readers)
		REL(s->readers[rid].seen, UINT64_MAX);
}

void sl_store_quiescent(struct sl_store *s, unsigned rid)
{
	REL(s->readers[rid].seen, ACQ(s->gp));
}

/* --- clocks: LRU and LFU (Redis semantics) ---------------------------------- */

static inline bool policy_lfu(int pol)
{
	return pol == SL_STORE_ALLKEYS_LFU || pol == SL_STORE_VOLATILE_LFU;
}

static inline uint32_t lru_now(uint64_t now_ms)
{
	return (uint32_t)(now_ms / 1000);
}

static inline uint32_t lfu_minutes(uint64_t now_ms)
{
	return (uint32_t)((now_ms / 60000) & 0xffff);
}

static unsigned lfu_decayed(const struct sl_store *s, uint32_t clk, uint64_t now_ms)
{
	uint32_t ldt = clk >> 8, counter = clk & 0xff;
	uint32_t nowm = lfu_minutes(now_ms);
	uint32_t elapsed = nowm >= ldt ? nowm - ldt : 65535 - ldt + nowm;
	uint32_t periods = s->cfg.lfu_decay_time ? elapsed / s->cfg.lfu_decay_time : 0;
	return periods > counter ? 0 : counter - periods;
}

static uint32_t clock_init(struct sl_store *s, uint64_t now_ms)
{
	if (policy_lfu(RD(s->policy)))
		return (lfu_minutes(now_ms) << 8) | LFU_INIT_VAL;
	return lru_now(now_ms);
}

static __attribute__((noinline)) void touch_lfu(struct sl_store *s, struct item *it,
						uint64_t now_ms)
{
	uint32_t clk = RD(it->clock);
	unsigned c = lfu_decayed(s, clk, now_ms);
	if (c < 255) {
		double r = (double)(xorshift(&tl_rng) >> 11) / (double)(1ull << 53);
		double base = c > LFU_INIT_VAL ? c - LFU_INIT_VAL : 0;
		if (r < 1.0 / (base * s->cfg.lfu_log_factor + 1))
			c++;
	}
	uint32_t n = (lfu_minutes(now_ms) << 8) | c;
	if (n != clk)
		WR(it->clock, n);
}

/* Access clock update by a reader. lru = lru_now(now_ms), hoisted by bulk
 * callers; the LRU case writes the shared line at most once per second. */
static inline void touch_with(struct sl_store *s, struct item *it, uint64_t now_ms, bool lfu,
			      uint32_t lru)
{
	if (sl_likely(!lfu)) {
		if (RD(it->clock) != lru)
			WR(it->clock, lru);
		return;
	}
	touch_lfu(s, it, now_ms);
}

static inline void touch(struct sl_store *s, struct item *it, uint64_t now_ms)
{
	touch_with(s, it, now_ms, policy_lfu(RD(s->policy)), lru_now(now_ms));
}

/* --- lookup -------------------------------------------------------------------- */

static inline struct bucket *home_bucket(struct part *p, uint64_t h)
{
	struct table *t = ACQ(p->cur);
	struct table *o = ACQ(p->old);
	if (sl_unlikely(o != NULL)) {
		uint64_t ob = h & o->mask;
		if (ob >= ACQ(p->mig_pos))
			return &o->b[ob];
	}
	return &t->b[h & t->mask];
}

static inline _Atomic uint64_t *chain_find(struct bucket *b, uint64_t h, const void *key,
					   size_t klen, struct item **itp)
{
	for (; b != NULL; b = ACQ(b->next)) {
		for (unsigned i = 0; i < BUCKET_SLOTS; i++) {
			uint64_t sv = ACQ(b->slot[i]);
			if (slot_tag_eq(sv, h) && item_key_eq(slot_item(sv), key, klen)) {
				*itp = slot_item(sv);
				return &b->slot[i];
			}
		}
	}
	*itp = NULL;
	return NULL;
}

static inline struct part *part_for(struct sl_store *s, uint64_t h)
{
	return &s->parts[part_index(s, h)];
}

/* Reader lookup: NULL when absent or expired. */
static inline struct item *reader_find(struct sl_store *s, uint64_t h, const void *key, size_t klen,
				       uint64_t now)
{
	struct item *it;
	chain_find(home_bucket(part_for(s, h), h), h, key, klen, &it);
	if (it != NULL && item_expired(it, now))
		return NULL;
	return it;
}

struct item *sl_store_reader_find(struct sl_store *s, const void *key, size_t klen, uint64_t now)
{
	return reader_find(s, key_hash(key, klen), key, klen, now);
}

/* --- owner-side table operations ---------------------------------------------- */

static void unlink_slot(struct part *p, _Atomic uint64_t *slotp, struct item *it, bool deep)
{
	REL(*slotp, 0);
	OWN_SUB(p->count, 1);
	if (item_expire(it) != 0)
		OWN_SUB(p->n_ttl, 1);
	retire_item(p, it, deep);
}

/* Owner lookup; an expired item is removed on the way (lazy expiry). */
static struct item *owner_find(struct part *p, uint64_t h, const void *key, size_t klen,
			       uint64_t now, _Atomic uint64_t **slotp)
{
	struct item *it;
	*slotp = chain_find(home_bucket(p, h), h, key, klen, &it);
	if (it != NULL && item_expired(it, now)) {
		unlink_slot(p, *slotp, it, true);
		OWN_ADD(p->expired, 1);
		*slotp = NULL;
		return NULL;
	}
	return it;
}

static int bucket_insert(struct part *p, struct bucket *b, uint64_t sv)
{
	for (;;) {
		for (unsigned i = 0; i < BUCKET_SLOTS; i++) {
			if (RD(b->slot[i]) == 0) {
				REL(b->slot[i], sv);
				return 0;
			}
		}
		struct bucket *next = RD(b->next);
		if (next == NULL) {
			next = overflow_alloc(p);
			if (next == NULL)
				return -ENOMEM;
			WR(next->slot[0], sv);
			REL(b->next, next);
			return 0;
		}
		b = next;
	}
}

static void resize_start(struct part *p)
{
	struct table *t = RD(p->cur);
	struct table *n = table_alloc(p, (t->mask + 1) * 2);
	if (n == NULL)
		return; /* stay at this size; retried on a later insert */
	WR(p->mig_pos, 0);
	REL(p->old, t);
	REL(p->cur, n);
	WR(p->nbuckets, n->mask + 1);
}

static void chains_clear(struct table *n, uint64_t ob, uint64_t omask)
{
	for (uint64_t j = ob; j <= n->mask; j += omask + 1)
		for (struct bucket *b = &n->b[j]; b != NULL; b = RD(b->next))
			for (unsigned i = 0; i < BUCKET_SLOTS; i++)
				WR(b->slot[i], 0);
}

static void resize_step(struct part *p, unsigned nbuckets)
{
	struct table *o = RD(p->old);
	if (o == NULL)
		return;
	struct table *n = RD(p->cur);
	uint64_t pos = RD(p->mig_pos);
	uint64_t end = SL_MIN(pos + nbuckets, o->mask + 1);
	for (; pos < end; pos++) {
		for (struct bucket *b = &o->b[pos]; b != NULL; b = RD(b->next)) {
			for (unsigned i = 0; i < BUCKET_SLOTS; i++) {
				uint64_t sv = RD(b->slot[i]);
				if (sv == 0)
					continue;
				struct item *it = slot_item(sv);
				uint64_t h = key_hash(item_key(it), it->klen);
				if (bucket_insert(p, &n->b[h & n->mask], sv) != 0) {
					chains_clear(n, pos, o->mask);
					return;
				}
			}
		}
		REL(p->mig_pos, pos + 1);
	}
	if (pos == o->mask + 1) {
		REL(p->old, NULL);
		o->deep = 0;
		sl_store_retire(p, o, 0, RK_TABLE,
				nallocx(table_bytes(o->mask + 1), p->mflags | TABLE_FLAGS));
	}
}

/* Publish nw for key hash h: replace old in *slotp, or insert. On failure nw
 * is freed. */
static int publish(struct sl_store *s, struct part *p, uint64_t h, _Atomic uint64_t *slotp,
		   struct item *old, struct item *nw, bool deep_retire_old)
{
	uint64_t sv = slot_make(h, nw);
	bool nttl = item_expire(nw) != 0;
	if (old != NULL) {
		bool ottl = item_expire(old) != 0;
		REL(*slotp, sv);
		if (ottl != nttl)
			WR(p->n_ttl, RD(p->n_ttl) + (nttl ? 1 : -1));
		retire_item(p, old, deep_retire_old);
		return 0;
	}
	int rc = bucket_insert(p, home_bucket(p, h), sv);
	if (rc != 0) {
		free_item_now(p, nw, false);
		return rc;
	}
	OWN_ADD(p->count, 1);
	if (nttl)
		OWN_ADD(p->n_ttl, 1);
	struct table *t = RD(p->cur);
	if (RD(p->old) == NULL && RD(p->count) > MAX_LOAD * (t->mask + 1))
		resize_start(p);
	resize_step(p, s->cfg.resize_step);
	return 0;
}

/* Allocate an item; value bytes are copied if val != NULL. */
static inline struct item *item_new(struct sl_store *s, struct part *p, const void *key,
				    size_t klen, unsigned type, unsigned enc, const void *val,
				    size_t vlen, uint64_t expire_at, uint64_t now)
{
	unsigned flags = expire_at ? ITEM_F_TTL : 0;
	struct item *it = part_alloc(p, item_bytes(flags, klen, enc, vlen));
	if (it == NULL)
		return NULL;
	it->vlen = (uint32_t)vlen;
	it->klen = (uint32_t)klen;
	it->type = (uint8_t)type;
	it->enc = (uint8_t)enc;
	it->flags = (uint8_t)flags;
	it->spare = 0;
	WR(it->clock, clock_init(s, now));
	if (flags & ITEM_F_TTL)
		WR(*item_ttl(it), expire_at);
	memcpy(it->data + item_key_off(flags), key, klen);
	if (val != NULL && vlen > 0)
		memcpy(item_val(it), val, vlen);
	return it;
}

struct item *sl_store_item_new(struct sl_store *s, struct part *p, const void *key, size_t klen,
			       unsigned type, unsigned enc, const void *val, size_t vlen,
			       uint64_t expire_at, uint64_t now)
{
	return item_new(s, p, key, klen, type, enc, val, vlen, expire_at, now);
}

/* Strict Redis-style int64 parse (string2ll): no spaces, no '+', no leading zeros. */
int sl_store_parse_int(const uint8_t *p, size_t len, int64_t *out)
{
	if (len == 0 || len > 20)
		return -EINVAL;
	size_t i = 0;
	bool neg = false;
	if (p[0] == '-') {
		neg = true;
		i = 1;
		if (len == 1)
			return -EINVAL;
	}
	if (p[i] == '0' && (len - i > 1 || neg))
		return -EINVAL;
	uint64_t v = 0;
	for (; i < len; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -EINVAL;
		unsigned d = (unsigned)(p[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
	}
	if (neg) {
		if (v > (uint64_t)INT64_MAX + 1)
			return -EINVAL;
		*out = (int64_t)(0 - v);
	} else {
		if (v > INT64_MAX)
			return -EINVAL;
		*out = (int64_t)v;
	}
	return 0;
}

static struct item *string_item(struct sl_store *s, struct part *p, const void *key, size_t klen,
				const void *val, size_t vlen, uint64_t expire_at, uint64_t now)
{
	int64_t iv;
	if (vlen <= 20 && sl_store_parse_int(val, vlen, &iv) == 0) {
		struct item *it = item_new(s, p, key, klen, SL_STORE_T_STRING, SL_STORE_ENC_INT,
					   NULL, 8, expire_at, now);
		if (it != NULL)
			WR(*item_int(it), iv);
		return it;
	}
	return item_new(s, p, key, klen, SL_STORE_T_STRING, SL_STORE_ENC_RAW, val, vlen, expire_at,
			now);
}

/* --- views ---------------------------------------------------------------------- */

/* Decimal text of v into buf (>= 20 bytes), no NUL; returns the length.
 * GET of a counter runs this instead of the printf machinery. */
static size_t fmt_i64(char *buf, int64_t v)
{
	char tmp[20];
	size_t n = 0, len = 0;
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
	do {
		tmp[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (v < 0)
		buf[len++] = '-';
	while (n > 0)
		buf[len++] = tmp[--n];
	return len;
}

static inline void view_item(struct item *it, struct sl_store_value *out)
{
	out->item = it;
	out->type = it->type;
	out->enc = it->enc;
	if (it->enc == SL_STORE_ENC_INT) {
		out->len = fmt_i64(out->ibuf, RD(*item_int(it)));
		out->ptr = (const uint8_t *)out->ibuf;
	} else {
		out->ptr = item_val(it);
		out->len = it->vlen;
	}
}

void sl_store_view_item(struct item *it, struct sl_store_value *out)
{
	view_item(it, out);
}

/* --- maxmemory and eviction ------------------------------------------------------ */

static uint64_t part_limit(struct sl_store *s)
{
	uint64_t m = RD(s->maxmemory);
	return m ? SL_MAX(m / s->n_parts, 1) : 0;
}

static bool policy_volatile(int pol)
{
	return pol >= SL_STORE_VOLATILE_LRU;
}

/* A bucket where owner lookups for some hash go: uniform over cur. */
static struct bucket *random_bucket(struct part *p, uint64_t r)
{
	struct table *t = RD(p->cur);
	struct table *o = RD(p->old);
	uint64_t idx = r & t->mask;
	if (o != NULL && (idx & o->mask) >= RD(p->mig_pos))
		return &o->b[idx & o->mask];
	return &t->b[idx];
}

static uint64_t evict_score(struct sl_store *s, int pol, struct item *it, uint64_t now)
{
	switch (pol) {
	case SL_STORE_ALLKEYS_LFU:
	case SL_STORE_VOLATILE_LFU:
		return 255 - lfu_decayed(s, RD(it->clock), now);
	case SL_STORE_VOLATILE_TTL:
		return UINT64_MAX - item_expire(it);
	default:
		return (uint32_t)(lru_now(now) - RD(it->clock));
	}
}

static void pool_insert(struct part *p, uint64_t h, struct item *it, uint64_t score)
{
	const uint8_t *key = item_key(it);
	unsigned n = p->pool_n, k;
	if (it->klen > EVPOOL_KEY)
		return;
	for (k = 0; k < n; k++) {
		if (p->pool[k].hash == h && p->pool[k].klen == it->klen &&
		    memcmp(p->pool[k].key, key, it->klen) == 0)
			return;
	}
	/* find the first entry with a higher score: insert before it */
	for (k = 0; k < n && p->pool[k].score < score; k++)
		;
	if (n == EVPOOL_SIZE) {
		if (k == 0)
			return; /* worse than everything in a full pool */
		memmove(&p->pool[0], &p->pool[1], (k - 1) * sizeof(p->pool[0]));
		k--;
	} else {
		memmove(&p->pool[k + 1], &p->pool[k], (n - k) * sizeof(p->pool[0]));
		p->pool_n++;
	}
	p->pool[k].score = score;
	p->pool[k].hash = h;
	p->pool[k].klen = it->klen;
	memcpy(p->pool[k].key, key, it->klen);
}

static bool evictable(int pol, struct item *it)
{
	return !policy_volatile(pol) || item_expire(it) != 0;
}

/* Sampling random buckets found no victim although the partition holds
 * candidates: the table is sparse (it grew, then lost its keys: tables never
 * shrink), keys with a TTL are rare under a volatile policy, or the sampled
 * keys were too long for the pool. Redis samples its key dictionaries, which
 * yield a key whenever there is one, so sluice must not answer OOM here.
 * Walk the buckets from a cursor kept across calls, EVICT_SWEEP_STEP at most
 * per call, and evict the best-scored of the first `samples` candidates met.
 * 0 evicted one; -EAGAIN the step ran out mid-lap (the caller lets this write
 * through, as Redis does when its eviction time limit is hit, and the next
 * write continues the lap); -ENOENT a whole lap met no candidate and the
 * key counts (keys, keys with a TTL) are what they were when it began. */
static int evict_sweep(struct sl_store *s, struct part *p, int pol, uint64_t now, unsigned samples)
{
	bool random = pol == SL_STORE_ALLKEYS_RANDOM || pol == SL_STORE_VOLATILE_RANDOM;
	uint64_t keys = RD(p->count), ttl = RD(p->n_ttl);
	_Atomic uint64_t *best_slot = NULL;
	struct item *best = NULL;
	uint64_t best_score = 0;
	unsigned got = 0;

	if (p->sweep_left == 0) {
		p->sweep_left = RD(p->cur)->mask + 1;
		p->sweep_keys = keys;
		p->sweep_ttl = ttl;
	}
	for (unsigned n = 0; n < EVICT_SWEEP_STEP && p->sweep_left > 0 && got < samples; n++) {
		p->sweep_left--;
		for (struct bucket *b = random_bucket(p, p->sweep_pos++); b != NULL;
		     b = RD(b->next)) {
			for (unsigned i = 0; i < BUCKET_SLOTS; i++) {
				uint64_t sv = RD(b->slot[i]);
				if (sv == 0 || !evictable(pol, slot_item(sv)))
					continue;
				struct item *it = slot_item(sv);
				uint64_t score = random ? 0 : evict_score(s, pol, it, now);
				if (best == NULL || score > best_score) {
					best = it;
					best_slot = &b->slot[i];
					best_score = score;
				}
				got++;
			}
		}
	}
	if (best != NULL) {
		p->sweep_left = 0; /* the next sweep starts a new lap from here */
		unlink_slot(p, best_slot, best, true);
		OWN_ADD(p->evicted, 1);
		return 0;
	}
	if (p->sweep_left > 0)
		return -EAGAIN;
	return keys == p->sweep_keys && ttl == p->sweep_ttl ? -ENOENT : -EAGAIN;
}

static int evict_one(struct sl_store *s, struct part *p, int pol, uint64_t now)
{
	bool random = pol == SL_STORE_ALLKEYS_RANDOM || pol == SL_STORE_VOLATILE_RANDOM;
	unsigned samples = s->cfg.maxmemory_samples ? s->cfg.maxmemory_samples : 5;
	if (RD(p->count) == 0 || (policy_volatile(pol) && RD(p->n_ttl) == 0))
		return -ENOENT;
	unsigned got = 0;
	for (unsigned tries = 0; tries < samples * 16 && got < samples; tries++) {
		struct bucket *b = random_bucket(p, xorshift(&p->rng));
		for (; b != NULL; b = RD(b->next)) {
			for (unsigned i = 0; i < BUCKET_SLOTS; i++) {
				uint64_t sv = RD(b->slot[i]);
				if (sv == 0)
					continue;
				struct item *it = slot_item(sv);
				if (!evictable(pol, it))
					continue;
				if (random) {
					unlink_slot(p, &b->slot[i], it, true);
					OWN_ADD(p->evicted, 1);
					return 0;
				}
				uint64_t h = key_hash(item_key(it), it->klen);
				pool_insert(p, h, it, evict_score(s, pol, it, now));
				got++;
			}
		}
	}
	while (p->pool_n > 0) {
		struct evpool_entry *e = &p->pool[--p->pool_n];
		_Atomic uint64_t *slotp;
		struct item *it;
		slotp = chain_find(home_bucket(p, e->hash), e->hash, e->key, e->klen, &it);
		if (it != NULL && evictable(pol, it)) {
			unlink_slot(p, slotp, it, true);
			OWN_ADD(p->evicted, 1);
			return 0;
		}
	}
	return evict_sweep(s, p, pol, now, samples);
}

/* Called before any write that may grow memory (Redis performEvictions). */
static __attribute__((noinline)) int ensure_memory_evict(struct sl_store *s, struct part *p,
							 uint64_t now, uint64_t lim)
{
	int pol = RD(s->policy);
	if (pol == SL_STORE_NOEVICTION)
		return -ENOSPC;
	for (unsigned n = 0; RD(p->used) > lim; n++) {
		if (n == EVICT_MAX_PER_CALL)
			return 0; /* progress made; continue at the next write */
		int rc = evict_one(s, p, pol, now);
		if (rc == -EAGAIN)
			return 0; /* a sweep is under way: continue at the next write */
		if (rc != 0)
			return -ENOSPC;
	}
	return 0;
}

static inline int ensure_memory(struct sl_store *s, struct part *p, uint64_t now)
{
	uint64_t lim = part_limit(s);
	if (lim == 0 || RD(p->used) <= lim)
		return 0;
	return ensure_memory_evict(s, p, now, lim);
}

int sl_store_ensure_memory(struct sl_store *s, struct part *p, uint64_t now)
{
	return ensure_memory(s, p, now);
}

int sl_store_make_room(struct sl_store *s, unsigned self, uint64_t now_ms)
{
	if (self >= s->n_parts)
		return -EINVAL;
	return ensure_memory(s, &s->parts[self], now_ms);
}

void sl_store_set_hash_limits(struct sl_store *s, unsigned entries, unsigned value)
{
	/* Plain word stores: an owner reads one limit or the other per write. */
	__atomic_store_n(&s->cfg.hash_max_listpack_entries, entries, __ATOMIC_RELAXED);
	__atomic_store_n(&s->cfg.hash_max_listpack_value, value, __ATOMIC_RELAXED);
}

void sl_store_set_maxmemory(struct sl_store *s, uint64_t bytes, enum sl_store_policy policy)
{
	WR(s->maxmemory, bytes);
	WR(s->policy, (int)policy);
}

/* --- owner entry points ----------------------------------------------------------- */

static inline struct part *owner_part(struct sl_store *s, unsigned self, uint64_t h)
{
	if (self >= s->n_parts || part_index(s, h) != self)
		return NULL;
	return &s->parts[self];
}

struct part *sl_store_owner_part(struct sl_store *s, unsigned self, uint64_t h)
{
	return owner_part(s, self, h);
}

struct item *sl_store_owner_find(struct part *p, uint64_t h, const void *key, size_t klen,
				 uint64_t now, _Atomic uint64_t **slotp)
{
	return owner_find(p, h, key, klen, now, slotp);
}

int sl_store_publish(struct sl_store *s, struct part *p, uint64_t h, _Atomic uint64_t *slotp,
		     struct item *old, struct item *nw, bool deep_retire_old)
{
	return publish(s, p, h, slotp, old, nw, deep_retire_old);
}

void sl_store_unlink(struct part *p, _Atomic uint64_t *slotp, struct item *it)
{
	unlink_slot(p, slotp, it, true);
}

#define OWNER_PROLOGUE(key, klen)                                                                  \
	uint64_t h = key_hash((key), (klen));                                                      \
	struct part *p = owner_part(s, self, h);                                                   \
	if (p == NULL)                                                                             \
		return -EXDEV;

/* The writes Redis flags denyoom make room (or answer OOM) before anything
 * else, as Redis's processCommand rejects such a command before running it:
 * over maxmemory with nothing to evict, SET NX of an existing key, INCR of a
 * counter in place or a write to a key of the wrong type answer OOM too. The
 * owner's lookup comes after, so it never sees a key eviction just removed. */
#define OWNER_DENYOOM()                                                                            \
	do {                                                                                       \
		int oom_rc_ = sl_store_ensure_memory(s, p, now_ms);                                \
		if (oom_rc_ != 0)                                                                  \
			return oom_rc_;                                                            \
	} while (0)

int sl_store_set(struct sl_store *s, unsigned self, const void *key, size_t klen, const void *val,
		 size_t vlen, const struct sl_store_set_opts *o, uint64_t now_ms,
		 struct sl_store_value *old_out)
{
	OWNER_PROLOGUE(key, klen);
	unsigned flags = o ? o->flags : 0;
	uint64_t at = o ? o->expire_at_ms : 0;
	if (vlen > STORE_MAX_STRING)
		return -EOVERFLOW;
	OWNER_DENYOOM();
	_Atomic uint64_t *slotp;
	struct item *old = owner_find(p, h, key, klen, now_ms, &slotp);
	if (flags & SL_STORE_SET_GET) {
		if (old != NULL && old->type != SL_STORE_T_STRING)
			return -EPROTOTYPE;
		if (old != NULL) {
			view_item(old, old_out);
		} else {
			old_out->type = SL_STORE_T_NONE;
			old_out->ptr = NULL;
			old_out->item = NULL;
			old_out->len = 0;
		}
	}
	if ((flags & SL_STORE_SET_NX) && old != NULL)
		return -EEXIST;
	if ((flags & SL_STORE_SET_XX) && old == NULL)
		return -ENOENT;
	if ((flags & SL_STORE_SET_KEEPTTL) && old != NULL)
		at = item_expire(old);
	struct item *nw = string_item(s, p, key, klen, val, vlen, at, now_ms);
	if (nw == NULL)
		return -ENOMEM;
	return publish(s, p, h, slotp, old, nw, true);
}

int sl_store_del(struct sl_store *s, unsigned self, const void *key, size_t klen, uint64_t now_ms)
{
	OWNER_PROLOGUE(key, klen);
	_Atomic uint64_t *slotp;
	struct item *it = owner_find(p, h, key, klen, now_ms, &slotp);
	if (it == NULL)
		return -ENOENT;
	unlink_slot(p, slotp, it, true);
	return 0;
}

/* Publish a copy of `it` with a different expiry field layout. */
static int republish_ttl(struct sl_store *s, struct part *p, uint64_t h, _Atomic uint64_t *slotp,
			 struct item *it, uint64_t at, uint64_t now)
{
	struct item *nw =
		item_new(s, p, item_key(it), it->klen, it->type, it->enc, NULL, it->vlen, at, now);
	if (nw == NULL)
		return -ENOMEM;
	if (it->enc == SL_STORE_ENC_INT)
		WR(*item_int(nw), RD(*item_int(it)));
	else if (it->enc == SL_STORE_ENC_TABLE)
		sl_store_hobj_move(it, nw);
	else
		memcpy(item_val(nw), item_val(it), it->vlen);
	WR(nw->clock, RD(it->clock));
	return publish(s, p, h, slotp, it, nw, false);
}

int sl_store_expire(struct sl_store *s, unsigned self, const void *key, size_t klen, uint64_t at_ms,
		    unsigned flags, uint64_t now_ms)
{
	OWNER_PROLOGUE(key, klen);
	_Atomic uint64_t *slotp;
	struct item *it = owner_find(p, h, key, klen, now_ms, &slotp);
	if (it == NULL)
		return -ENOENT;
	uint64_t cur = item_expire(it);
	/* Redis 7: a key without TTL counts as infinite TTL for GT/LT. */
	if ((flags & SL_STORE_EXPIRE_NX) && cur != 0)
		return -EALREADY;
	if ((flags & SL_STORE_EXPIRE_XX) && cur == 0)
		return -EALREADY;
	if ((flags & SL_STORE_EXPIRE_GT) && (cur == 0 || at_ms <= cur))
		return -EALREADY;
	if ((flags & SL_STORE_EXPIRE_LT) && cur != 0 && at_ms >= cur)
		return -EALREADY;
	if (at_ms <= now_ms) {
		unlink_slot(p, slotp, it, true);
		return 0;
	}
	if (it->flags & ITEM_F_TTL) {
		WR(*item_ttl(it), at_ms);
		if (cur == 0)
			OWN_ADD(p->n_ttl, 1);
		return 0;
	}
	return republish_ttl(s, p, h, slotp, it, at_ms, now_ms);
}

int sl_store_persist(struct sl_store *s, unsigned self, const void *key, size_t klen,
		     uint64_t now_ms)
{
	OWNER_PROLOGUE(key, klen);
	_Atomic uint64_t *slotp;
	struct item *it = owner_find(p, h, key, klen, now_ms, &slotp);
	if (it == NULL)
		return -ENOENT;
	if (item_expire(it) == 0)
		return -EALREADY;
	WR(*item_ttl(it), 0);
	OWN_SUB(p->n_ttl, 1);
	return 0;
}

int sl_store_incrby(struct sl_store *s, unsigned self, const void *key, size_t klen, int64_t delta,
		    uint64_t now_ms, int64_t *result)
{
	OWNER_PROLOGUE(key, klen);
	OWNER_DENYOOM();
	_Atomic uint64_t *slotp;
	struct item *it = owner_find(p, h, key, klen, now_ms, &slotp);
	int64_t v = 0;
	if (it != NULL) {
		if (it->type != SL_STORE_T_STRING)
			return -EPROTOTYPE;
		if (it->enc == SL_STORE_ENC_INT)
			v = RD(*item_int(it));
		else if (sl_store_parse_int(item_val(it), it->vlen, &v) != 0)
			return -EINVAL;
	}
	if ((delta < 0 && v < INT64_MIN - delta) || (delta > 0 && v > INT64_MAX - delta))
		return -EOVERFLOW;
	v += delta;
	if (it != NULL && it->enc == SL_STORE_ENC_INT) {
		WR(*item_int(it), v); /* in place: readers load it atomically */
		*result = v;
		return 0;
	}
	struct item *nw = item_new(s, p, key, klen, SL_STORE_T_STRING, SL_STORE_ENC_INT, NULL, 8,
				   it ? item_expire(it) : 0, now_ms);
	if (nw == NULL)
		return -ENOMEM;
	WR(*item_int(nw), v);
	int rc = publish(s, p, h, slotp, it, nw, true);
	if (rc == 0)
		*result = v;
	return rc;
}

/* Redis's human-friendly long double format: %.17Lf without trailing zeros. */
static int format_ld(long double v, char *buf, size_t cap)
{
	int n = snprintf(buf, cap, "%.17Lf", v);
	if (n <= 0 || (size_t)n >= cap)
		return -EOVERFLOW;
	if (strchr(buf, '.') != NULL) {
		while (n > 0 && buf[n - 1] == '0')
			n--;
		if (n > 0 && buf[n - 1] == '.')
			n--;
	}
	buf[n] = '\0';
	if (n == 2 && buf[0] == '-' && buf[1] == '0')
		n = 1, buf[0] = '0', buf[1] = '\0';
	return n;
}

int sl_store_incrbyfloat(struct sl_store *s, unsigned self, const void *key, size_t klen,
			 long double delta, uint64_t now_ms, struct sl_store_value *out)
{
	OWNER_PROLOGUE(key, klen);
	OWNER_DENYOOM();
	_Atomic uint64_t *slotp;
	struct item *it = owner_find(p, h, key, klen, now_ms, &slotp);
	long double v = 0;
	if (it != NULL) {
		struct sl_store_value cv;
		/* Redis string2ld: up to MAX_LONG_DOUBLE_CHARS, the whole value must
		 * parse (an embedded NUL must not end it), no leading space, and only
		 * overflow or underflow to zero count as out of range. */
		char tmp[5 * 1024];
		if (it->type != SL_STORE_T_STRING)
			return -EPROTOTYPE;
		view_item(it, &cv);
		if (cv.len == 0 || cv.len >= sizeof(tmp) || isspace((unsigned char)cv.ptr[0]))
			return -EINVAL;
		memcpy(tmp, cv.ptr, cv.len);
		tmp[cv.len] = '\0';
		char *end;
		errno = 0;
		v = strtold(tmp, &end);
		if (*end != '\0' || (size_t)(end - tmp) != cv.len || isnan(v) ||
		    (errno == ERANGE &&
		     (v == HUGE_VALL || v == -HUGE_VALL || fpclassify(v) == FP_ZERO)))
			return -EINVAL;
	}
	v += delta;
	if (isnan(v) || isinf(v))
		return -EINVAL;
	char buf[5120];
	int n = format_ld(v, buf, sizeof(buf));
	if (n < 0)
		return n;
	struct item *nw = item_new(s, p, key, klen, SL_STORE_T_STRING, SL_STORE_ENC_RAW, buf,
				   (size_t)n, it ? item_expire(it) : 0, now_ms);
	if (nw == NULL)
		return -ENOMEM;
	int rc = publish(s, p, h, slotp, it, nw, true);
	if (rc == 0)
		view_item(nw, out);
	return rc;
}

/* Build a RAW string item of total length len from the old value (prefix)
 * with `val` written at offset; the gap is zero-filled. */
static int splice(struct sl_store *s, unsigned self, const void *key, size_t klen, uint64_t offset,
		  const void *val, size_t vlen, bool append, uint64_t now_ms, size_t *newlen)
{
	OWNER_PROLOGUE(key, klen);
	OWNER_DENYOOM();
	_Atomic uint64_t *slotp;
	struct item *it = owner_find(p, h, key, klen, now_ms, &slotp);
	struct sl_store_value cv = {.ptr = NULL, .len = 0};
	if (it != NULL) {
		if (it->type != SL_STORE_T_STRING)
			return -EPROTOTYPE;
		view_item(it, &cv);
	}
	if (append)
		offset = cv.len;
	if (!append && vlen == 0) {
		*newlen = cv.len;
		return 0;
	}
	if (offset + vlen > STORE_MAX_STRING)
		return -EOVERFLOW;
	size_t len = SL_MAX(cv.len, offset + vlen);
	struct item *nw = item_new(s, p, key, klen, SL_STORE_T_STRING, SL_STORE_ENC_RAW, NULL, len,
				   it ? item_expire(it) : 0, now_ms);
	if (nw == NULL)
		return -ENOMEM;
	uint8_t *d = item_val(nw);
	if (cv.len > 0)
		memcpy(d, cv.ptr, cv.len);
	if (offset > cv.len)
		memset(d + cv.len, 0, offset - cv.len);
	memcpy(d + offset, val, vlen);
	int rc = publish(s, p, h, slotp, it, nw, true);
	if (rc == 0)
		*newlen = len;
	return rc;
}

int sl_store_append(struct sl_store *s, unsigned self, const void *key, size_t klen,
		    const void *val, size_t vlen, uint64_t now_ms, size_t *newlen)
{
	return splice(s, self, key, klen, 0, val, vlen, true, now_ms, newlen);
}

int sl_store_setrange(struct sl_store *s, unsigned self, const void *key, size_t klen,
		      uint64_t offset, const void *val, size_t vlen, uint64_t now_ms,
		      size_t *newlen)
{
	return splice(s, self, key, klen, offset, val, vlen, false, now_ms, newlen);
}

int sl_store_rename(struct sl_store *s, unsigned self, const void *src, size_t slen,
		    const void *dst, size_t dlen, int nx, uint64_t now_ms)
{
	uint64_t hs = key_hash(src, slen), hd = key_hash(dst, dlen);
	struct part *p = owner_part(s, self, hs);
	if (p == NULL || owner_part(s, self, hd) == NULL)
		return -EXDEV;
	_Atomic uint64_t *ss, *ds;
	struct item *si = owner_find(p, hs, src, slen, now_ms, &ss);
	if (si == NULL)
		return -ENOENT;
	if (slen == dlen && memcmp(src, dst, slen) == 0)
		return nx ? -EEXIST : 0;
	struct item *di = owner_find(p, hd, dst, dlen, now_ms, &ds);
	if (di != NULL && nx)
		return -EEXIST;
	struct item *nw = item_new(s, p, dst, dlen, si->type, si->enc, NULL, si->vlen,
				   item_expire(si), now_ms);
	if (nw == NULL)
		return -ENOMEM;
	if (si->enc == SL_STORE_ENC_INT)
		WR(*item_int(nw), RD(*item_int(si)));
	else if (si->enc == SL_STORE_ENC_TABLE)
		sl_store_hobj_move(si, nw);
	else
		memcpy(item_val(nw), item_val(si), si->vlen);
	WR(nw->clock, RD(si->clock));
	int rc = publish(s, p, hd, ds, di, nw, true);
	if (rc != 0)
		return rc;
	/* the source's value moved to nw: retire the source shallowly; the
	 * insert may have moved slots (resize), so find it again */
	ss = chain_find(home_bucket(p, hs), hs, src, slen, &si);
	unlink_slot(p, ss, si, false);
	return 0;
}

/* --- reads ------------------------------------------------------------------------ */

int sl_store_get(struct sl_store *s, const void *key, size_t klen, uint64_t now_ms,
		 struct sl_store_value *out)
{
	uint64_t h = key_hash(key, klen);
	struct item *it = reader_find(s, h, key, klen, now_ms);
	if (it == NULL)
		return -ENOENT;
	if (it->type != SL_STORE_T_STRING)
		return -EPROTOTYPE;
	touch(s, it, now_ms);
	view_item(it, out);
	return 0;
}

unsigned sl_store_get_bulk(struct sl_store *s, const struct sl_store_key *keys, unsigned n,
			   uint64_t now_ms, struct sl_store_value *values, uint64_t *hit_mask)
{
	struct bucket *bk[64];
	struct item *cand[64];
	uint64_t mask = 0;
	unsigned hits = 0;
	bool lfu = policy_lfu(RD(s->policy));
	uint32_t lru = lru_now(now_ms);
	if (n > 64)
		n = 64;
	for (unsigned i = 0; i < n; i++) {
		bk[i] = home_bucket(part_for(s, keys[i].hash), keys[i].hash);
		__builtin_prefetch(bk[i]);
	}
	for (unsigned i = 0; i < n; i++) {
		cand[i] = NULL;
		for (unsigned j = 0; j < BUCKET_SLOTS; j++) {
			uint64_t sv = ACQ(bk[i]->slot[j]);
			if (slot_tag_eq(sv, keys[i].hash)) {
				cand[i] = slot_item(sv);
				__builtin_prefetch(cand[i]);
				break;
			}
		}
	}
	for (unsigned i = 0; i < n; i++) {
		struct item *it = cand[i];
		/* a full walk only when the first bucket was not conclusive */
		if (it == NULL ? ACQ(bk[i]->next) != NULL
			       : !item_key_eq(it, keys[i].ptr, keys[i].len))
			chain_find(bk[i], keys[i].hash, keys[i].ptr, keys[i].len, &it);
		if (it == NULL || item_expired(it, now_ms) || it->type != SL_STORE_T_STRING)
			continue;
		touch_with(s, it, now_ms, lfu, lru);
		if (sl_likely(it->enc == SL_STORE_ENC_RAW)) {
			values[i].ptr = item_val(it);
			values[i].len = it->vlen;
			values[i].type = SL_STORE_T_STRING;
			values[i].enc = SL_STORE_ENC_RAW;
			values[i].item = it;
		} else {
			view_item(it, &values[i]);
		}
		mask |= UINT64_C(1) << i;
		hits++;
	}
	*hit_mask = mask;
	return hits;
}

int sl_store_exists(struct sl_store *s, const void *key, size_t klen, uint64_t now_ms)
{
	return sl_store_reader_find(s, key, klen, now_ms) != NULL;
}

int sl_store_type(struct sl_store *s, const void *key, size_t klen, uint64_t now_ms)
{
	struct item *it = sl_store_reader_find(s, key, klen, now_ms);
	return it ? it->type : SL_STORE_T_NONE;
}

int sl_store_pttl(struct sl_store *s, const void *key, size_t klen, uint64_t now_ms,
		  int64_t *ms_left)
{
	struct item *it = sl_store_reader_find(s, key, klen, now_ms);
	if (it == NULL)
		return -ENOENT;
	uint64_t e = item_expire(it);
	*ms_left = e == 0 ? -1 : (int64_t)(e - now_ms);
	return 0;
}

int sl_store_getrange(struct sl_store *s, const void *key, size_t klen, int64_t start, int64_t end,
		      uint64_t now_ms, struct sl_store_value *out)
{
	struct item *it = sl_store_reader_find(s, key, klen, now_ms);
	out->ptr = (const uint8_t *)"";
	out->len = 0;
	out->type = SL_STORE_T_STRING;
	out->enc = SL_STORE_ENC_RAW;
	out->item = NULL;
	if (it == NULL)
		return 0;
	if (it->type != SL_STORE_T_STRING)
		return -EPROTOTYPE;
	struct sl_store_value v;
	view_item(it, out);
	v = *out;
	int64_t len = (int64_t)v.len;
	if (start < 0 && end < 0 && start > end)
		goto empty;
	if (start < 0)
		start = len + start;
	if (end < 0)
		end = len + end;
	if (start < 0)
		start = 0;
	if (end < 0)
		end = 0;
	if (end >= len)
		end = len - 1;
	if (len == 0 || start > end)
		goto empty;
	out->ptr += start;
	out->len = (size_t)(end - start + 1);
	return 0;
empty:
	out->ptr = (const uint8_t *)"";
	out->len = 0;
	out->item = NULL;
	return 0;
}

/* --- pins: the API (the table's mechanics are next to the reclaim code) ---------- */

int sl_store_pin(struct sl_store *s, unsigned rid, const struct sl_store_value *v,
		 struct sl_store_pin *pin)
{
	if (rid >= s->n_readers || RD(s->readers[rid].seen) == UINT64_MAX)
		return -EINVAL;
	struct item *it = (struct item *)(uintptr_t)v->item;
	if (it == NULL || !item_pinnable(it))
		return -EINVAL;
	const uint8_t *val = item_val(it);
	if (v->ptr < val || v->len > it->vlen || (size_t)(v->ptr - val) > it->vlen - v->len)
		return -EINVAL;
	struct pinset *ps = s->parts[part_index(s, key_hash(item_key(it), it->klen))].pins;
	uint32_t slot;
	pin_lock(ps);
	struct pin_rec *r = pin_find(ps, it, &slot);
	if (r == NULL) {
		if (ps->free_head == 0) {
			pin_unlock(ps);
			return -ENOSPC;
		}
		r = &ps->rec[ps->free_head - 1];
		ps->free_head = r->next;
		r->it = it;
		r->count = 0;
		r->retired = 0;
		r->next = 0;
		ps->index[slot] = (uint32_t)(r - ps->rec) + 1;
		WR(ps->live, RD(ps->live) + 1);
	}
	r->count++;
	pin_unlock(ps);
	pin->ref = r;
	return 0;
}

void sl_store_unpin(struct sl_store_pin *pin)
{
	struct pin_rec *r = pin->ref;
	if (r == NULL)
		return;
	struct pinset *ps = r->set;
	pin_lock(ps);
	if (--r->count == 0) {
		if (r->retired) {
			/* the owner's reclaim already came by: the owner frees it */
			r->next = RD(ps->zombie_head);
			WR(ps->zombie_head, (uint32_t)(r - ps->rec) + 1);
		} else {
			pin_rec_free(ps, r);
		}
	}
	pin_unlock(ps);
	pin->ref = NULL;
}

/* --- SCAN (Redis's reverse-binary cursor, per partition) ------------------------- */

#define SCAN_PART_SHIFT 56
#define SCAN_V_MASK     ((UINT64_C(1) << SCAN_PART_SHIFT) - 1)

static inline uint64_t rev64(uint64_t v)
{
	v = __builtin_bswap64(v);
	v = ((v >> 4) & 0x0f0f0f0f0f0f0f0full) | ((v & 0x0f0f0f0f0f0f0f0full) << 4);
	v = ((v >> 2) & 0x3333333333333333ull) | ((v & 0x3333333333333333ull) << 2);
	v = ((v >> 1) & 0x5555555555555555ull) | ((v & 0x5555555555555555ull) << 1);
	return v;
}

static inline uint64_t rev_incr(uint64_t v, uint64_t m)
{
	v |= ~m;
	v = rev64(v);
	v++;
	return rev64(v);
}

static void emit_chain(struct bucket *b, uint64_t now, sl_store_scan_fn *fn, void *arg)
{
	for (; b != NULL; b = ACQ(b->next)) {
		for (unsigned i = 0; i < BUCKET_SLOTS; i++) {
			uint64_t sv = ACQ(b->slot[i]);
			if (sv == 0)
				continue;
			struct item *it = slot_item(sv);
			if (!item_expired(it, now))
				fn(arg, item_key(it), it->klen, it->type);
		}
	}
}

uint64_t sl_store_scan(struct sl_store *s, uint64_t cursor, unsigned count, uint64_t now_ms,
		       sl_store_scan_fn *fn, void *arg)
{
	unsigned pi = (unsigned)(cursor >> SCAN_PART_SHIFT);
	uint64_t v = cursor & SCAN_V_MASK;
	if (count == 0)
		count = 1;
	while (count-- > 0 && pi < s->n_parts) {
		struct part *p = &s->parts[pi];
		struct table *t = ACQ(p->cur);
		struct table *o = ACQ(p->old);
		if (o == NULL || o == t) {
			emit_chain(&t->b[v & t->mask], now_ms, fn, arg);
			v = rev_incr(v, t->mask);
		} else {
			/* growing: o is the smaller table */
			uint64_t m0 = o->mask, m1 = t->mask;
			if ((v & m0) >= ACQ(p->mig_pos))
				emit_chain(&o->b[v & m0], now_ms, fn, arg);
			do {
				emit_chain(&t->b[v & m1], now_ms, fn, arg);
				v = rev_incr(v, m1);
			} while (v & (m0 ^ m1));
		}
		v &= SCAN_V_MASK;
		if (v == 0)
			pi++;
	}
	if (pi >= s->n_parts)
		return 0;
	return ((uint64_t)pi << SCAN_PART_SHIFT) | v;
}

uint64_t sl_store_dbsize(const struct sl_store *s)
{
	uint64_t n = 0;
	for (unsigned i = 0; i < s->n_parts; i++)
		n += RD(s->parts[i].count);
	return n;
}

int sl_store_randomkey(struct sl_store *s, uint64_t seed, uint64_t now_ms,
		       struct sl_store_value *key)
{
	uint64_t r = seed | 1;
	for (unsigned tries = 0; tries < 1024; tries++) {
		struct part *p = &s->parts[xorshift(&r) % s->n_parts];
		if (RD(p->count) == 0)
			continue;
		for (struct bucket *b = home_bucket(p, xorshift(&r)); b != NULL; b = ACQ(b->next)) {
			for (unsigned i = 0; i < BUCKET_SLOTS; i++) {
				uint64_t sv = ACQ(b->slot[i]);
				if (sv == 0 || item_expired(slot_item(sv), now_ms))
					continue;
				struct item *it = slot_item(sv);
				key->ptr = item_key(it);
				key->len = it->klen;
				key->type = it->type;
				key->enc = SL_STORE_ENC_RAW;
				key->item = NULL;
				return 0;
			}
		}
	}
	return -ENOENT;
}

/* --- flush, maintenance, stats ----------------------------------------------------- */

int sl_store_flush(struct sl_store *s, unsigned self)
{
	if (self >= s->n_parts)
		return -EINVAL;
	struct part *p = &s->parts[self];
	struct table *n = table_alloc(p, s->cfg.initial_buckets);
	if (n == NULL)
		return -ENOMEM;
	struct table *t = RD(p->cur), *o = RD(p->old);
	uint64_t migrated = RD(p->mig_pos);
	uint64_t used_after = nallocx(table_bytes(s->cfg.initial_buckets), p->mflags | TABLE_FLAGS);
	REL(p->cur, n);
	REL(p->old, NULL);
	WR(p->mig_pos, 0);
	WR(p->nbuckets, n->mask + 1);
	if (o != NULL) {
		/* items not migrated yet are only in o's buckets >= mig_pos; the
		 * migrated ones are in t. Free o's slots shallowly: clear the
		 * migrated part of o so that deep freeing does not see them twice. */
		o->deep = 1;
		t->deep = 1;
		for (uint64_t j = 0; j < migrated; j++)
			for (struct bucket *b = &o->b[j]; b != NULL; b = RD(b->next))
				for (unsigned i = 0; i < BUCKET_SLOTS; i++)
					WR(b->slot[i], 0);
		sl_store_retire(p, o, 0, RK_TABLE, 0);
	}
	t->deep = 1;
	sl_store_retire(p, t, 0, RK_TABLE, 0);
	WR(p->used, used_after);
	WR(p->count, 0);
	WR(p->n_ttl, 0);
	p->pool_n = 0;
	p->sweep_left = 0;
	return 0;
}

static void expire_step(struct sl_store *s, struct part *p, uint64_t now)
{
	if (RD(p->n_ttl) == 0)
		return;
	unsigned effort = s->cfg.active_expire_effort ? s->cfg.active_expire_effort : 1;
	unsigned per_round = 16 + 4 * effort;
	unsigned stale_pct = 11 - effort; /* Redis: 10% at effort 1 */
	for (unsigned round = 0; round < 4 * effort; round++) {
		unsigned sampled = 0, expired = 0;
		for (unsigned k = 0; k < per_round; k++) {
			/* during a resize, the bucket owner lookups use (old or new) */
			struct bucket *b = random_bucket(p, p->expire_cursor++);
			for (; b != NULL; b = RD(b->next)) {
				for (unsigned i = 0; i < BUCKET_SLOTS; i++) {
					uint64_t sv = RD(b->slot[i]);
					if (sv == 0 || item_expire(slot_item(sv)) == 0)
						continue;
					sampled++;
					if (item_expired(slot_item(sv), now)) {
						unlink_slot(p, &b->slot[i], slot_item(sv), true);
						OWN_ADD(p->expired, 1);
						expired++;
					}
				}
			}
		}
		if (sampled == 0 || expired * 100 <= sampled * stale_pct)
			break;
	}
}

void sl_store_maintain(struct sl_store *s, unsigned self, uint64_t now_ms)
{
	struct part *p = &s->parts[self];
	reclaim(s, p);
	pins_collect(p);
	lazy_step(p, LAZY_BUCKETS_STEP);
	resize_step(p, s->cfg.resize_step * 4);
	expire_step(s, p, now_ms);
}

void sl_store_part_stats(const struct sl_store *s, unsigned part, struct sl_store_stats *st)
{
	const struct part *p = &s->parts[part];
	st->keys = RD(p->count);
	st->volatile_keys = RD(p->n_ttl);
	st->used_bytes = RD(p->used);
	st->alloc_bytes = RD(p->alloc);
	st->buckets = RD(p->nbuckets);
	st->resizing = RD(p->old) != NULL;
	st->expired = RD(p->expired);
	st->evicted = RD(p->evicted);
	st->retired_pending = RD(p->pending);
	st->meta_bytes = RD(p->meta);
	st->pinned = p->pins != NULL ? RD(p->pins->live) : 0;
	st->pinned_retired = RD(p->pinned_retired);
}

int sl_store_part_jemalloc_bytes(struct sl_store *s, unsigned part, uint64_t *bytes)
{
	struct part *p = &s->parts[part];
	uint64_t epoch = 1;
	size_t sz = sizeof(epoch);
	char name[64];
	size_t small = 0, large = 0;
	if (mallctl("tcache.flush", NULL, NULL, &p->tcache, sizeof(p->tcache)) != 0)
		return -EIO;
	if (mallctl("epoch", &epoch, &sz, &epoch, sz) != 0)
		return -EIO;
	sz = sizeof(small);
	snprintf(name, sizeof(name), "stats.arenas.%u.small.allocated", p->arena);
	if (mallctl(name, &small, &sz, NULL, 0) != 0)
		return -EIO;
	snprintf(name, sizeof(name), "stats.arenas.%u.large.allocated", p->arena);
	if (mallctl(name, &large, &sz, NULL, 0) != 0)
		return -EIO;
	*bytes = small + large;
	return 0;
}

/* --- lifecycle --------------------------------------------------------------------- */

void sl_store_config_default(struct sl_store_config *c)
{
	memset(c, 0, sizeof(*c));
	c->n_parts = 1;
	c->n_extra_readers = 1;
	c->initial_buckets = 16;
	c->policy = SL_STORE_NOEVICTION;
	c->maxmemory_samples = 5;
	c->hash_max_listpack_entries = 128;
	c->hash_max_listpack_value = 64;
	c->lfu_log_factor = 10;
	c->lfu_decay_time = 1;
	c->active_expire_effort = 1;
	c->resize_step = 32;
}

static uint64_t pow2_at_least(uint64_t v)
{
	uint64_t n = 1;
	while (n < v)
		n <<= 1;
	return n;
}

struct sl_store *sl_store_create(const struct sl_store_config *c)
{
	pthread_once(&small_once, small_init);
	if (c == NULL || c->n_parts == 0 || c->n_parts > SL_STORE_MAX_PARTS ||
	    c->n_parts + c->n_extra_readers > SL_STORE_MAX_READERS) {
		errno = EINVAL;
		return NULL;
	}
	struct sl_store *s = aligned_alloc(SL_CACHE_LINE, sizeof(*s) + SL_CACHE_LINE);
	if (s == NULL)
		return NULL;
	memset(s, 0, sizeof(*s));
	s->cfg = *c;
	s->cfg.initial_buckets = (unsigned)pow2_at_least(SL_MAX(c->initial_buckets, 2u));
	if (s->cfg.resize_step == 0)
		s->cfg.resize_step = 32;
	s->n_parts = c->n_parts;
	s->n_readers = c->n_parts + c->n_extra_readers;
	WR(s->maxmemory, c->maxmemory);
	WR(s->policy, (int)c->policy);
	WR(s->gp, 1);
	s->readers = aligned_alloc(SL_CACHE_LINE, s->n_readers * sizeof(struct reader));
	s->parts = aligned_alloc(SL_CACHE_LINE, s->n_parts * sizeof(struct part));
	if (s->readers == NULL || s->parts == NULL)
		goto err;
	for (unsigned i = 0; i < s->n_readers; i++)
		WR(s->readers[i].seen, UINT64_MAX);
	memset(s->parts, 0, s->n_parts * sizeof(struct part));
	for (unsigned i = 0; i < s->n_parts; i++) {
		struct part *p = &s->parts[i];
		size_t sz = sizeof(unsigned);
		if (mallctl("arenas.create", &p->arena, &sz, NULL, 0) != 0 ||
		    mallctl("tcache.create", &p->tcache, &sz, NULL, 0) != 0) {
			errno = ENOMEM;
			goto err;
		}
		p->mflags = MALLOCX_ARENA(p->arena) | MALLOCX_TCACHE(p->tcache);
		p->rng = 0x2545f4914f6cdd1dull * (i + 1);
		p->pins = pinset_new();
		if (p->pins == NULL) {
			errno = ENOMEM;
			goto err;
		}
		struct table *t = table_alloc(p, s->cfg.initial_buckets);
		if (t == NULL) {
			errno = ENOMEM;
			goto err;
		}
		WR(p->cur, t);
		WR(p->nbuckets, t->mask + 1);
	}
	return s;
err:
	sl_store_destroy(&s);
	return NULL;
}

void sl_store_destroy(struct sl_store **sp)
{
	struct sl_store *s = *sp;
	if (s == NULL)
		return;
	if (s->parts != NULL) {
		for (unsigned i = 0; i < s->n_parts; i++) {
			struct part *p = &s->parts[i];
			if (RD(p->cur) == NULL)
				continue;
			sl_store_flush(s, i);
			/* no reader is online: everything can go now */
			for (; p->rq_head != p->rq_tail; p->rq_head++)
				reclaim_one(p, &p->rq[p->rq_head & (p->rq_cap - 1)]);
			while (lazy_step(p, UINT_MAX))
				;
			/* pins still held (a caller bug, see store.h): their items go too */
			for (unsigned j = 0; j < SL_STORE_PIN_SLOTS; j++) {
				struct pin_rec *r = &p->pins->rec[j];
				if (r->it != NULL && r->retired) {
					free_item_now(p, r->it, true);
					r->it = NULL;
				}
			}
			struct table *t = RD(p->cur);
			part_free_flags(p, t, table_bytes(t->mask + 1), TABLE_FLAGS, false);
			if (p->rq != NULL)
				arena_free(p, p->rq, p->rq_cap * sizeof(*p->rq), 0);
			mallctl("tcache.destroy", NULL, NULL, &p->tcache, sizeof(p->tcache));
#ifndef STORE_ASAN
			/* give the arena index back (arenas.create recycles it). Not
			 * under ASan: jemalloc would hand the extents we poisoned to
			 * other allocations. */
			char name[64];
			snprintf(name, sizeof(name), "arena.%u.destroy", p->arena);
			mallctl(name, NULL, NULL, NULL, 0);
#endif
		}
	}
	for (unsigned i = 0; s->parts != NULL && i < s->n_parts; i++)
		free(s->parts[i].pins);
	free(s->parts);
	free(s->readers);
	free(s);
	*sp = NULL;
}
