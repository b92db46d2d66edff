/*
 * The store: the keyspace, split into one partition per worker lcore (CREW).
 *
 * Design in one paragraph. A key's partition is chosen by its hash. Only the
 * partition's owner lcore writes it; any online reader (every worker, plus
 * any registered helper thread) reads any partition without locks. Readers
 * follow quiescent-state-based reclamation: memory a writer unlinks is freed
 * only after every online reader has announced a quiescent state
 * (sl_store_quiescent) once after the unlink. liburcu 0.13 has no
 * poll_state_synchronize_rcu, and a worker must never block in
 * synchronize_rcu, so the store keeps its own QSBR reader registry: a global
 * grace-period counter and one cache line per reader. A worker calls
 * sl_store_quiescent at the same place in its loop where it calls
 * rcu_quiescent_state. Each partition is a table of 64-byte buckets of 7
 * tagged slots (tag in the pointer's top 16 bits, so a slot is published
 * with one store) plus an overflow link; it grows incrementally, a bounded
 * number of buckets per step. Items live in the owner's own jemalloc arena.
 * Writes from other lcores are shipped to the owner over SPSC rings
 * (sl_store_ship_*).
 *
 * Borrowed views: every key or value pointer the store hands to a reader
 * points into store memory and stays valid until that reader's next call of
 * sl_store_quiescent (or sl_store_reader_offline). It must not be kept
 * longer; copy it out if it is needed later.
 *
 * Return codes used throughout:
 *   -ENOENT      no such key (or expired)
 *   -EEXIST      NX condition failed
 *   -EPROTOTYPE  WRONGTYPE Operation against a key holding the wrong kind of value
 *   -EINVAL      value is not an integer / float, or bad argument
 *   -EOVERFLOW   increment would overflow, or result too large
 *   -ENOSPC      maxmemory reached with no evictable key (SL_STORE_OOM_REPLY).
 *                The writes Redis flags denyoom (set, incrby, incrbyfloat,
 *                append, setrange, hset, hincrby) check this first, before
 *                any other outcome, as Redis rejects such a command unrun.
 *   -ENOMEM      the allocator itself failed
 *   -EXDEV       the key does not belong to the caller's partition: ship it
 */
#ifndef SL_STORE_H
#define SL_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "dataplane/common.h"

/* Redis's reply when a write is refused under maxmemory (noeviction, or nothing to evict). */
#define SL_STORE_OOM_REPLY "-OOM command not allowed when used memory > 'maxmemory'.\r\n"

#define SL_STORE_MAX_PARTS   64
#define SL_STORE_MAX_READERS 128

struct sl_store;

enum sl_store_type {
	SL_STORE_T_NONE = 0,
	SL_STORE_T_STRING = 1,
	SL_STORE_T_HASH = 2,
};

enum sl_store_enc {
	SL_STORE_ENC_RAW = 0,     /* string bytes */
	SL_STORE_ENC_INT = 1,     /* string holding a canonical int64 */
	SL_STORE_ENC_COMPACT = 2, /* small hash, flat field/value array */
	SL_STORE_ENC_TABLE = 3,   /* large hash, its own RCU hash table */
};

/* The eight Redis maxmemory-policy values. */
enum sl_store_policy {
	SL_STORE_NOEVICTION = 0,
	SL_STORE_ALLKEYS_LRU,
	SL_STORE_ALLKEYS_LFU,
	SL_STORE_ALLKEYS_RANDOM,
	SL_STORE_VOLATILE_LRU,
	SL_STORE_VOLATILE_LFU,
	SL_STORE_VOLATILE_RANDOM,
	SL_STORE_VOLATILE_TTL,
};

struct sl_store_config {
	unsigned n_parts;         /* partitions = worker lcores, 1..SL_STORE_MAX_PARTS */
	unsigned n_extra_readers; /* reader ids n_parts.. for non-owner threads */
	unsigned initial_buckets; /* per partition, rounded up to a power of two */
	uint64_t maxmemory;       /* bytes for the whole store, 0 = unlimited */
	enum sl_store_policy policy;
	unsigned maxmemory_samples;         /* Redis default 5 */
	unsigned hash_max_listpack_entries; /* Redis default 128 */
	unsigned hash_max_listpack_value;   /* Redis default 64 */
	unsigned lfu_log_factor;            /* Redis default 10 */
	unsigned lfu_decay_time;            /* minutes, Redis default 1 */
	unsigned active_expire_effort;      /* 1..10, Redis default 1 */
	unsigned resize_step;               /* buckets migrated per step, default 32 */
};

/* A value seen by a reader. ptr is borrowed (see the header comment). For an
 * integer-encoded string, ptr points into ibuf inside this struct: do not move
 * the struct while using ptr. */
struct sl_store_value {
	const uint8_t *ptr;
	size_t len;
	uint8_t type; /* enum sl_store_type */
	uint8_t enc;  /* enum sl_store_enc */
	char ibuf[24];
	const void *item; /* private: the string item ptr points into (sl_store_pin), or NULL */
};

/* A key for bulk lookup; hash is filled by the caller with sl_store_hash. */
struct sl_store_key {
	const void *ptr;
	size_t len;
	uint64_t hash;
};

/* A hash field/value pair (arguments; borrowed for the call). */
struct sl_store_field {
	const void *field;
	size_t flen;
	const void *val;
	size_t vlen;
};

/* SET options (Redis SET NX|XX, KEEPTTL, GET, EX/PX/EXAT/PXAT as expire_at_ms). */
#define SL_STORE_SET_NX      (1u << 0)
#define SL_STORE_SET_XX      (1u << 1)
#define SL_STORE_SET_KEEPTTL (1u << 2)
#define SL_STORE_SET_GET     (1u << 3)

/* EXPIRE options (Redis 7 NX|XX|GT|LT). */
#define SL_STORE_EXPIRE_NX (1u << 0)
#define SL_STORE_EXPIRE_XX (1u << 1)
#define SL_STORE_EXPIRE_GT (1u << 2)
#define SL_STORE_EXPIRE_LT (1u << 3)

struct sl_store_stats {
	uint64_t keys;          /* live keys, including not yet collected expired ones */
	uint64_t volatile_keys; /* keys with a TTL */
	uint64_t used_bytes;    /* live bytes (what maxmemory compares) */
	uint64_t alloc_bytes;   /* live + retired not yet reclaimed + lazily freed */
	uint64_t buckets;
	uint64_t resizing;        /* 1 while an incremental resize is running */
	uint64_t expired;         /* keys removed by active or lazy expiry */
	uint64_t evicted;         /* keys removed by maxmemory */
	uint64_t retired_pending; /* retired objects (items, tables...) not yet freed */
	uint64_t meta_bytes;      /* the retire queue's own array (inside alloc_bytes) */
	uint64_t pinned;          /* items of this partition pinned now (sl_store_pin) */
	uint64_t pinned_retired;  /* of them, retired items kept alive only by pins */
};

/* Fill c with Redis-like defaults (one partition). */
void sl_store_config_default(struct sl_store_config *c);

/* Create a store: one jemalloc arena and tcache per partition. Control path
 * (main lcore, before workers start). Returns NULL with errno set. */
struct sl_store *sl_store_create(const struct sl_store_config *c);

/* Destroy a store and every item. No reader may be online and no pin may be
 * held (see sl_store_unpin). *s is NULLed. */
void sl_store_destroy(struct sl_store **s);

unsigned sl_store_n_parts(const struct sl_store *s);

/* --- readers (QSBR) ------------------------------------------------------ */

/* Reader ids: 0..n_parts-1 belong to the partition owners, n_parts.. to extra
 * readers. A thread brings its id online before reading and announces a
 * quiescent state (no borrowed pointer held) regularly; a worker does it once
 * per loop iteration. An offline reader holds nothing and blocks nothing;
 * call sl_store_quiescent only while online. One thread per reader id.
 * sl_store_reader_online returns 0 or -EINVAL. */
int sl_store_reader_online(struct sl_store *s, unsigned rid);
void sl_store_reader_offline(struct sl_store *s, unsigned rid);
void sl_store_quiescent(struct sl_store *s, unsigned rid);

/* --- routing --------------------------------------------------------------- */

/* 64-bit hash of a key (seeded, stable for a process). */
uint64_t sl_store_hash(const void *key, size_t len);
/* Partition owning a key of this hash. */
unsigned sl_store_part_of(const struct sl_store *s, uint64_t hash);

/* --- reads: any online reader, any partition ------------------------------- */

/* GET. out is filled with a borrowed view. 0, -ENOENT, -EPROTOTYPE. */
int sl_store_get(struct sl_store *s, const void *key, size_t klen, uint64_t now_ms,
		 struct sl_store_value *out);

/* Bulk GET of n <= 64 keys (hashes precomputed) with prefetching. values[i]
 * is filled for every hit; bit i of *hit_mask is set for a string hit.
 * Returns the number of hits. */
unsigned sl_store_get_bulk(struct sl_store *s, const struct sl_store_key *keys, unsigned n,
			   uint64_t now_ms, struct sl_store_value *values, uint64_t *hit_mask);

/* 1 if the key exists, else 0. */
int sl_store_exists(struct sl_store *s, const void *key, size_t klen, uint64_t now_ms);

/* enum sl_store_type of the key, SL_STORE_T_NONE if absent. */
int sl_store_type(struct sl_store *s, const void *key, size_t klen, uint64_t now_ms);

/* PTTL: *ms_left = milliseconds to live, or -1 if the key has no TTL.
 * 0 or -ENOENT (Redis replies -2). */
int sl_store_pttl(struct sl_store *s, const void *key, size_t klen, uint64_t now_ms,
		  int64_t *ms_left);

/* GETRANGE with Redis's index rules (negative from the end, clamped). The view
 * may be empty. 0, -EPROTOTYPE; a missing key gives an empty view and 0. */
int sl_store_getrange(struct sl_store *s, const void *key, size_t klen, int64_t start, int64_t end,
		      uint64_t now_ms, struct sl_store_value *out);

/* HGET: borrowed view of a field's value. 0, -ENOENT (no key or no field),
 * -EPROTOTYPE. */
int sl_store_hget(struct sl_store *s, const void *key, size_t klen, const void *field, size_t flen,
		  uint64_t now_ms, struct sl_store_value *out);

/* HLEN into *n (0 if the key is absent). 0, -EPROTOTYPE. */
int sl_store_hlen(struct sl_store *s, const void *key, size_t klen, uint64_t now_ms, uint64_t *n);

/* HGETALL-style walk: fn(arg, field, flen, val, vlen) per field, borrowed.
 * Returns the number of fields, -ENOENT or -EPROTOTYPE. */
typedef void sl_store_field_fn(void *arg, const uint8_t *field, size_t flen, const uint8_t *val,
			       size_t vlen);
int sl_store_hwalk(struct sl_store *s, const void *key, size_t klen, uint64_t now_ms,
		   sl_store_field_fn *fn, void *arg);

/* SCAN. Visits about `count` buckets' worth of keys from cursor and returns
 * the next cursor (0 when the iteration is complete). Guarantee (Redis's): a
 * key present for the whole iteration is reported at least once, across
 * partitions and incremental resizes; a key may be reported more than once.
 * fn receives borrowed keys. */
typedef void sl_store_scan_fn(void *arg, const uint8_t *key, size_t klen, uint8_t type);
uint64_t sl_store_scan(struct sl_store *s, uint64_t cursor, unsigned count, uint64_t now_ms,
		       sl_store_scan_fn *fn, void *arg);

/* DBSIZE: sum of the partitions' key counts (a relaxed snapshot). */
uint64_t sl_store_dbsize(const struct sl_store *s);

/* RANDOMKEY: a borrowed view of some live key in *key. seed picks the
 * starting point. 0 or -ENOENT if the store looks empty. */
int sl_store_randomkey(struct sl_store *s, uint64_t seed, uint64_t now_ms,
		       struct sl_store_value *key);

/* Per-partition statistics (relaxed snapshot, any thread; touches no table). */
void sl_store_part_stats(const struct sl_store *s, unsigned part, struct sl_store_stats *st);

/* jemalloc's own count of allocated bytes in partition part's arena (after
 * flushing its tcache). Slow path: call on the owner lcore, or while the
 * owner is idle. 0 or -EIO. */
int sl_store_part_jemalloc_bytes(struct sl_store *s, unsigned part, uint64_t *bytes);

/* --- pins: values that outlive a grace period ------------------------------ */

/*
 * A borrowed view lasts until the reader's next quiescent state. A reply
 * that must send a large value to a slow client lasts much longer, and
 * copying the value into output memory is what pinning avoids: a pin keeps
 * the item the view points into allocated and unchanged, whatever happens
 * to its key (overwrite, DEL, expiry, eviction, FLUSHALL), until it is
 * unpinned. Readers pin without waiting for anyone: each partition keeps a
 * small pin table (SL_STORE_PIN_SLOTS items, a spinlock, a count per item)
 * that only large string values ever enter, so the small value path never
 * sees it. The owner, when a retired item's grace period is over, keeps a
 * pinned item instead of freeing it and frees it at the first
 * sl_store_maintain after its last unpin; until then it still counts in
 * alloc_bytes and retired_pending (used_bytes dropped when it was retired,
 * as for any retired item). Integer-encoded strings, hash fields and views
 * shorter than SL_STORE_PIN_MIN are never pinned: copy them.
 */
/* 16 KiB, measured with tests/perf/engine/bench_bigget (CPU per GET reply
 * drained through a send window): a reference costs the same as a copy at
 * 4 KiB, 5% less at 8 KiB and 44% less at 16 KiB, where a copy first needs a
 * second output chunk; below it a reference also holds more output memory
 * than replies packed into a shared chunk, and would crowd the pin table. */
#define SL_STORE_PIN_MIN   (16u * 1024) /* smallest value (item vlen) a pin accepts */
#define SL_STORE_PIN_SLOTS 2048         /* distinct pinned items per partition */

/* A held pin: opaque; valid from a successful sl_store_pin to sl_store_unpin. */
struct sl_store_pin {
	void *ref;
};

/*
 * Pin the item that view v points into. v: borrowed, filled by sl_store_get
 * or sl_store_getrange (or sl_store_get_bulk) on reader rid, which must be
 * online and must not have announced a quiescent state since the lookup (the
 * view is still valid). After 0, v->ptr[0..v->len) stays valid and
 * unchanged until sl_store_unpin(pin), on any thread, even across quiescent
 * states and reader_offline. Any thread that is an online reader. No
 * allocation, no syscall; a short spinlock on the item's partition.
 * 0; -EINVAL: not a raw string item of at least SL_STORE_PIN_MIN bytes, or
 * rid offline; -ENOSPC: the partition's pin table is full (copy instead).
 */
int sl_store_pin(struct sl_store *s, unsigned rid, const struct sl_store_value *v,
		 struct sl_store_pin *pin);

/*
 * Release a pin taken by sl_store_pin; pin->ref is NULLed. Any thread, online
 * or not; never blocks on the owner (the owner frees a retired item at its
 * next sl_store_maintain). Every pin must be released before
 * sl_store_destroy: destroy frees the items of pins still held, and an
 * unpin after it is a use after free.
 */
void sl_store_unpin(struct sl_store_pin *pin);

/* --- writes: owner lcore only (self = caller's partition) ------------------ */
/* Every write returns -EXDEV without doing anything if the key's partition is
 * not self. Borrowed arguments are only read during the call. The caller
 * must be an online reader (rid == self) for old-value views. */

struct sl_store_set_opts {
	unsigned flags;        /* SL_STORE_SET_* */
	uint64_t expire_at_ms; /* absolute unix ms, 0 = no expiry */
};

/* SET. With SL_STORE_SET_GET, *old gets the previous value (borrowed) and
 * old->type is SL_STORE_T_NONE if there was none; without it old may be
 * NULL. o may be NULL (plain SET). 0 set, -EEXIST (NX) or
 * -ENOENT (XX) not set, -EPROTOTYPE (GET on a non-string), -ENOSPC, -ENOMEM. */
int sl_store_set(struct sl_store *s, unsigned self, const void *key, size_t klen, const void *val,
		 size_t vlen, const struct sl_store_set_opts *o, uint64_t now_ms,
		 struct sl_store_value *old);

/* Make room for a write to partition self as Redis's performEvictions does
 * before a denyoom command: while used memory is over the partition's share
 * of maxmemory, evict under the policy (bounded work per call). An engine
 * calls it before running a command Redis flags denyoom, so that the OOM
 * answer comes before the command's own checks (argument syntax, NX...).
 * 0, -ENOSPC (answer SL_STORE_OOM_REPLY), -EINVAL (no such partition). */
int sl_store_make_room(struct sl_store *s, unsigned self, uint64_t now_ms);

/* DEL of one key. 0 or -ENOENT. */
int sl_store_del(struct sl_store *s, unsigned self, const void *key, size_t klen, uint64_t now_ms);

/* PEXPIREAT with Redis 7 flags. A time in the past deletes the key.
 * 0 applied, -ENOENT, -EALREADY (condition not met). */
int sl_store_expire(struct sl_store *s, unsigned self, const void *key, size_t klen, uint64_t at_ms,
		    unsigned flags, uint64_t now_ms);

/* PERSIST. 0, -ENOENT, -EALREADY (no TTL). */
int sl_store_persist(struct sl_store *s, unsigned self, const void *key, size_t klen,
		     uint64_t now_ms);

/* INCRBY/DECRBY. A missing key counts as 0. *result gets the new value.
 * 0, -EPROTOTYPE, -EINVAL (not an integer), -EOVERFLOW, -ENOSPC, -ENOMEM. */
int sl_store_incrby(struct sl_store *s, unsigned self, const void *key, size_t klen, int64_t delta,
		    uint64_t now_ms, int64_t *result);

/* INCRBYFLOAT. *out gets the new value as text (borrowed). Same codes as
 * incrby; -EINVAL also for NaN/Inf results. */
int sl_store_incrbyfloat(struct sl_store *s, unsigned self, const void *key, size_t klen,
			 long double delta, uint64_t now_ms, struct sl_store_value *out);

/* APPEND. *newlen gets the new length. 0, -EPROTOTYPE, -ENOSPC, -ENOMEM. */
int sl_store_append(struct sl_store *s, unsigned self, const void *key, size_t klen,
		    const void *val, size_t vlen, uint64_t now_ms, size_t *newlen);

/* SETRANGE. Zero-pads as Redis does. 0, -EPROTOTYPE, -EOVERFLOW (> 512 MiB),
 * -ENOSPC, -ENOMEM. */
int sl_store_setrange(struct sl_store *s, unsigned self, const void *key, size_t klen,
		      uint64_t offset, const void *val, size_t vlen, uint64_t now_ms,
		      size_t *newlen);

/* RENAME / RENAMENX when both keys are in partition self (else -EXDEV).
 * 0, -ENOENT (no source), -EEXIST (nx and destination exists). */
int sl_store_rename(struct sl_store *s, unsigned self, const void *src, size_t slen,
		    const void *dst, size_t dlen, int nx, uint64_t now_ms);

/* HSET of n pairs; *added = fields that were new. 0, -EPROTOTYPE, -ENOSPC,
 * -ENOMEM. */
int sl_store_hset(struct sl_store *s, unsigned self, const void *key, size_t klen,
		  const struct sl_store_field *fv, unsigned n, uint64_t now_ms, unsigned *added);

/* HDEL of n fields (only field/flen are read); *removed = fields removed.
 * The key goes away with its last field. 0, -EPROTOTYPE. */
int sl_store_hdel(struct sl_store *s, unsigned self, const void *key, size_t klen,
		  const struct sl_store_field *fields, unsigned n, uint64_t now_ms,
		  unsigned *removed);

/* HINCRBY. 0, -EPROTOTYPE, -EINVAL, -EOVERFLOW, -ENOSPC, -ENOMEM. */
int sl_store_hincrby(struct sl_store *s, unsigned self, const void *key, size_t klen,
		     const void *field, size_t flen, int64_t delta, uint64_t now_ms,
		     int64_t *result);

/* FLUSHALL/FLUSHDB for partition self: the partition is empty on return; the
 * old contents are freed lazily by sl_store_maintain after a grace period,
 * a bounded number of items per call. The engine ships a flush to every
 * partition. Returns 0 or -ENOMEM. */
int sl_store_flush(struct sl_store *s, unsigned self);

/* Owner housekeeping, once per loop iteration (bounded work): reclaim retired
 * memory whose grace period is over, advance the incremental resize, run the
 * adaptive active-expiry step and the lazy free of flushed tables. */
void sl_store_maintain(struct sl_store *s, unsigned self, uint64_t now_ms);

/* Change the compact-hash limits (Redis hash-max-listpack-entries/-value).
 * Any thread; hashes written afterwards follow the new limits. */
void sl_store_set_hash_limits(struct sl_store *s, unsigned entries, unsigned value);

/* Change maxmemory (whole store) and policy. Any thread; takes effect at the
 * owners' next writes. */
void sl_store_set_maxmemory(struct sl_store *s, uint64_t bytes, enum sl_store_policy policy);

#endif /* SL_STORE_H */
