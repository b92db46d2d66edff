/*
 * Private layout of the store: shared by the store's own .c files only.
 *
 * Item memory: a 16-byte header, an optional 8-byte absolute expiry (only
 * for items that carry a TTL, flag ITEM_F_TTL), the key, then the value. An
 * integer-encoded string keeps an int64 and a large hash keeps a pointer to
 * its table; both are 8-byte aligned so they can be read and written as
 * atomics (INCR updates the counter in place). Everything else in a
 * published item is immutable: updates publish a new item and retire the old.
 *
 * Bucket slot: item pointer in the low 48 bits, 16-bit tag from the hash in
 * the top bits, 0 = empty. Publishing or clearing a slot is one release store.
 */
#ifndef SL_STORE_PRIV_H
#define SL_STORE_PRIV_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "dataplane/common.h"
#include "dataplane/store/store.h"

#define BUCKET_SLOTS   7
#define SLOT_TAG_SHIFT 48
#define SLOT_PTR_MASK  ((UINT64_C(1) << SLOT_TAG_SHIFT) - 1)
#define MAX_LOAD       4 /* average items per bucket before growing */

struct bucket {
	_Atomic uint64_t slot[BUCKET_SLOTS];
	_Atomic(struct bucket *) next; /* overflow chain, owner-allocated */
};
static_assert(sizeof(struct bucket) == SL_CACHE_LINE, "a bucket is one cache line");

/* The header is one cache line so that buckets stay aligned; owner-only
 * fields used when the table sits on the lazy-free list. */
struct table {
	uint64_t mask;
	struct table *lazy_next;
	uint64_t lazy_pos;
	uint64_t deep; /* lazily free the items too (flush) */
	uint64_t pad[4];
	struct bucket b[];
};
static_assert(sizeof(struct table) == SL_CACHE_LINE, "table header is one cache line");

#define ITEM_F_TTL 1u

struct item {
	uint32_t vlen;
	uint32_t klen;
	uint8_t type;
	uint8_t enc;
	uint8_t flags;
	uint8_t spare;
	_Atomic uint32_t clock; /* LRU seconds, or LFU (minutes << 8 | counter) */
	unsigned char data[];
};
static_assert(sizeof(struct item) == 16, "item header is 16 bytes");

/* Large-hash entry and table (SL_STORE_ENC_TABLE). Entries are immutable
 * once linked; the chain links are published with release stores. */
struct hent {
	_Atomic(struct hent *) next;
	uint64_t hash;
	uint32_t flen;
	uint32_t vlen;
	unsigned char data[];
};

struct hobj {
	uint64_t mask;
	_Atomic uint64_t count;
	uint64_t bytes; /* owner: usable bytes of the hobj and all its entries */
	_Atomic(struct hent *) b[];
};

enum retire_kind {
	RK_ITEM = 0, /* an item (shallow: a large hash's hobj is retired separately) */
	RK_MEM,      /* plain allocation */
	RK_HOBJ,     /* a large hash table with all its entries */
	RK_TABLE,    /* a bucket table: goes to the lazy list (deep or not) */
};

struct retire {
	void *ptr;
	uint64_t size; /* bytes requested at allocation, or 0 for tables */
	uint64_t kind;
	uint64_t epoch; /* 0 = not yet stamped */
};

#define EVPOOL_SIZE 16
#define EVPOOL_KEY  255

struct evpool_entry {
	uint64_t score; /* higher = better victim */
	uint64_t hash;
	uint32_t klen;
	unsigned char key[EVPOOL_KEY];
};

/* Pin table of one partition (sl_store_pin). Records never move while
 * pinned, so a pin's handle is its record; an open-addressing index (record
 * number + 1, 0 = empty, linear probing, backward-shift deletion) finds the
 * record of an item. Everything but `live` and `zombie_head` hints is read
 * and written under `lock` only. A record whose item the owner has reclaimed
 * (retired = 1) and whose count reached 0 waits on the zombie list for the
 * owner to free the item. */
#define PIN_INDEX (2 * SL_STORE_PIN_SLOTS) /* power of two, load <= 50% */

struct pin_rec {
	struct item *it;    /* NULL = free */
	struct pinset *set; /* the record's table (unpin from any thread) */
	uint32_t count;     /* pins held */
	uint32_t retired;   /* the owner's reclaim found it pinned: owner frees */
	uint32_t next;      /* free list or zombie list: record number + 1 */
	uint32_t pad;
};

struct pinset {
	_Atomic uint32_t lock;
	_Atomic uint32_t zombie_head; /* record number + 1; read unlocked as a hint */
	_Atomic uint64_t live;        /* records in use; read unlocked as a hint */
	uint32_t free_head;           /* record number + 1 */
	uint32_t index[PIN_INDEX];
	struct pin_rec rec[SL_STORE_PIN_SLOTS];
} SL_CACHE_ALIGNED; /* aligned_alloc wants a multiple of the alignment */

struct reader {
	_Atomic uint64_t seen; /* UINT64_MAX = offline */
} SL_CACHE_ALIGNED;

struct part {
	/* read by every lcore */
	_Atomic(struct table *) cur;
	_Atomic(struct table *) old; /* non-NULL while growing from old into cur */
	_Atomic uint64_t mig_pos;    /* old buckets below this are migrated */

	/* statistics: written by the owner (relaxed), read by anyone */
	_Atomic uint64_t count;
	_Atomic uint64_t n_ttl;
	_Atomic uint64_t used;
	_Atomic uint64_t alloc;
	_Atomic uint64_t expired;
	_Atomic uint64_t evicted;
	_Atomic uint64_t pending;
	_Atomic uint64_t meta;
	_Atomic uint64_t nbuckets;       /* of cur, for stats without touching the table */
	_Atomic uint64_t pinned_retired; /* retired items kept for pins (owner-written) */
	struct pinset *pins;             /* set at create; any thread under its lock */

	/* owner only, from here on */
	unsigned arena;
	unsigned tcache;
	int mflags;
	uint64_t rng;
	uint64_t expire_cursor;

	struct retire *rq; /* ring of retired memory, oldest at rq_head */
	uint64_t rq_cap;   /* power of two */
	uint64_t rq_head;
	uint64_t rq_tail;
	uint64_t rq_unstamped; /* first entry without an epoch */
	uint64_t retire_lost;

	struct table *lazy_head; /* tables being freed a step at a time */
	struct table *lazy_tail;

	uint64_t sweep_pos;  /* eviction sweep: next bucket index (see evict_sweep) */
	uint64_t sweep_left; /* buckets left in the sweep's lap, 0 = none running */
	uint64_t sweep_keys; /* count when the lap began */
	uint64_t sweep_ttl;  /* n_ttl when the lap began */

	unsigned pool_n;
	struct evpool_entry pool[EVPOOL_SIZE];
} SL_CACHE_ALIGNED;

struct sl_store {
	struct sl_store_config cfg;
	unsigned n_parts;
	unsigned n_readers;
	_Atomic uint64_t maxmemory;
	_Atomic int policy;
	_Atomic uint64_t gp SL_CACHE_ALIGNED; /* grace-period counter */
	struct reader *readers;
	struct part *parts;
};

#endif /* SL_STORE_PRIV_H */
