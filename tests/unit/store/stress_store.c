/*
 * Multi-threaded stress test for the store (suite 'stress'; run it under
 * ASan and TSan). Two owner threads write their partitions (random SET, DEL,
 * EXPIRE, INCRBY, HSET, plus SET/DEL shipped to the other owner) while they
 * and an extra reader thread read every partition. Checks:
 *  - no torn reads: every value read is self-describing (key id, version,
 *    bytes derived from both) and must be internally consistent;
 *  - no stale read after ack: for "stable" keys the owner publishes the
 *    acknowledged version after sl_store_set returns; a reader that saw
 *    that ack must read that version or a newer one;
 *  - no use-after-free: reclaimed arena memory is poisoned under ASan;
 *  - memory returns to baseline after FLUSH (and agrees with jemalloc).
 * It prints what it did; it never fails on time.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/store/ship.h"
#include "dataplane/store/store.h"

#define N_OWNERS    2
#define READER_ID   N_OWNERS /* the extra reader */
#define STABLE_KEYS 2048
#define CHURN_KEYS  65536
#define OPS         500000
#define T0          1700000000000ull

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);   \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

static struct sl_store *S;
static struct sl_store_ship *SH;
static _Atomic uint64_t now_ms = T0;
static _Atomic int owners_done;
static _Atomic int reader_done;             /* owners flush only after the reader stopped */
static _Atomic uint64_t acked[STABLE_KEYS]; /* version acknowledged per stable key */
static unsigned stable_owner[STABLE_KEYS], churn_owner[CHURN_KEYS];
static _Atomic uint64_t reads_ok, reads_miss, writes, shipped;

static int key_name(char *buf, size_t cap, char kind, unsigned id)
{
	return snprintf(buf, cap, "%c:%u", kind, id);
}

/* value = "id:version:" then filler bytes (id * 31 + version * 7 + j) */
static size_t make_value(uint8_t *buf, unsigned id, uint64_t ver)
{
	int n = snprintf((char *)buf, 64, "%u:%llu:", id, (unsigned long long)ver);
	size_t len = (size_t)n + (ver * 13 + id) % 150;
	for (size_t j = (size_t)n; j < len; j++)
		buf[j] = (uint8_t)('a' + (id * 31 + ver * 7 + j) % 26);
	return len;
}

/* parse and verify; returns the version */
static uint64_t check_value(const uint8_t *p, size_t len, unsigned want_id)
{
	char head[64];
	size_t hl = SL_MIN(len, sizeof(head) - 1);
	memcpy(head, p, hl);
	head[hl] = '\0';
	unsigned id;
	unsigned long long ver;
	CHECK(sscanf(head, "%u:%llu:", &id, &ver) == 2);
	CHECK(id == want_id);
	uint8_t ref[256];
	size_t rl = make_value(ref, id, ver);
	CHECK(rl == len);
	CHECK(memcmp(ref, p, len) == 0);
	return ver;
}

static uint64_t rnd(uint64_t *st)
{
	uint64_t x = *st;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *st = x;
}

static void read_some(unsigned rid, uint64_t *rng, unsigned n)
{
	char k[32];
	struct sl_store_value v;
	uint64_t now = atomic_load(&now_ms);
	for (unsigned i = 0; i < n; i++) {
		unsigned id = (unsigned)(rnd(rng) % STABLE_KEYS);
		key_name(k, sizeof(k), 's', id);
		uint64_t a = atomic_load_explicit(&acked[id], memory_order_acquire);
		int rc = sl_store_get(S, k, strlen(k), now, &v);
		if (a > 0) {
			CHECK(rc == 0); /* stable keys are never deleted once written */
			CHECK(check_value(v.ptr, v.len, id) >= a);
		}
		id = (unsigned)(rnd(rng) % CHURN_KEYS);
		key_name(k, sizeof(k), 'c', id);
		rc = sl_store_get(S, k, strlen(k), now, &v);
		if (rc == 0 && v.enc == SL_STORE_ENC_RAW)
			check_value(v.ptr, v.len, id);
		else if (rc == 0)
			CHECK(v.len > 0 && v.len < 21); /* an INCR counter */
		else
			CHECK(rc == -ENOENT || rc == -EPROTOTYPE);
		if (rc == -EPROTOTYPE) {
			struct sl_store_value hv;
			char f[16];
			snprintf(f, sizeof(f), "f%u", id % 4);
			if (sl_store_hget(S, k, strlen(k), f, strlen(f), now, &hv) == 0)
				check_value(hv.ptr, hv.len, id);
		}
		atomic_fetch_add_explicit(rc == 0 ? &reads_ok : &reads_miss, 1,
					  memory_order_relaxed);
	}
	(void)rid;
}

struct scan_state {
	uint8_t seen[STABLE_KEYS];
	unsigned keys;
};

static void scan_cb(void *arg, const uint8_t *key, size_t klen, uint8_t type)
{
	struct scan_state *st = arg;
	char buf[32];
	CHECK(klen >= 3 && klen < sizeof(buf) && (key[0] == 's' || key[0] == 'c') && key[1] == ':');
	CHECK(type == SL_STORE_T_STRING || type == SL_STORE_T_HASH);
	memcpy(buf, key, klen);
	buf[klen] = '\0';
	if (buf[0] == 's') {
		unsigned id = (unsigned)atoi(buf + 2);
		CHECK(id < STABLE_KEYS);
		st->seen[id] = 1;
	}
	st->keys++;
}

static _Atomic uint64_t full_scans, resizing_scans;

/* Full SCAN iterations, concurrent with writers and incremental resizes:
 * a stable key acknowledged before the iteration starts is never deleted,
 * so it must be returned at least once (Redis's SCAN guarantee). */
static void *reader_main(void *arg)
{
	(void)arg;
	uint64_t rng = 0x1234567;
	static struct scan_state st;
	static uint8_t must[STABLE_KEYS];
	CHECK(sl_store_reader_online(S, READER_ID) == 0);
	uint64_t cursor = 0;
	bool overlapped = false;
	while (!atomic_load(&owners_done)) {
		if (cursor == 0) {
			memset(&st, 0, sizeof(st));
			for (unsigned i = 0; i < STABLE_KEYS; i++)
				must[i] =
					atomic_load_explicit(&acked[i], memory_order_acquire) != 0;
			overlapped = false;
		}
		read_some(READER_ID, &rng, 16);
		cursor = sl_store_scan(S, cursor, 4, atomic_load(&now_ms), scan_cb, &st);
		for (unsigned i = 0; i < N_OWNERS; i++) {
			struct sl_store_stats ps;
			sl_store_part_stats(S, i, &ps);
			overlapped |= ps.resizing != 0;
		}
		if (cursor == 0) {
			for (unsigned i = 0; i < STABLE_KEYS; i++)
				CHECK(!must[i] || st.seen[i]);
			atomic_fetch_add(&full_scans, 1);
			if (overlapped)
				atomic_fetch_add(&resizing_scans, 1);
		}
		sl_store_quiescent(S, READER_ID);
	}
	sl_store_reader_offline(S, READER_ID);
	atomic_store(&reader_done, 1);
	return NULL;
}

static void *owner_main(void *arg)
{
	unsigned self = (unsigned)(uintptr_t)arg;
	unsigned peer = (self + 1) % N_OWNERS;
	uint64_t rng = 0x9e3779b9ull * (self + 1);
	uint64_t ver = 1;
	uint8_t val[256];
	char k[32];
	static uint8_t ship_vals[N_OWNERS][64][256];
	static char ship_keys[N_OWNERS][64][32];
	unsigned ship_slot = 0, in_flight = 0;
	CHECK(sl_store_reader_online(S, self) == 0);
	for (unsigned op = 0; op < OPS; op++) {
		uint64_t now = atomic_load(&now_ms);
		unsigned r = (unsigned)(rnd(&rng) % 100);
		if (r < 30) {
			/* stable key: versioned SET, then publish the ack */
			unsigned id = (unsigned)(rnd(&rng) % STABLE_KEYS);
			if (stable_owner[id] == self) {
				key_name(k, sizeof(k), 's', id);
				size_t len = make_value(val, id, ver);
				CHECK(sl_store_set(S, self, k, strlen(k), val, len, NULL, now,
						   NULL) == 0);
				atomic_store_explicit(&acked[id], ver, memory_order_release);
				ver++;
				atomic_fetch_add_explicit(&writes, 1, memory_order_relaxed);
			}
		} else if (r < 75) {
			unsigned id = (unsigned)(rnd(&rng) % CHURN_KEYS);
			key_name(k, sizeof(k), 'c', id);
			if (churn_owner[id] == self) {
				int rc = 0;
				unsigned w = (unsigned)(rnd(&rng) % 6);
				if (w == 0) {
					rc = sl_store_del(S, self, k, strlen(k), now);
					CHECK(rc == 0 || rc == -ENOENT);
				} else if (w == 1) {
					rc = sl_store_expire(S, self, k, strlen(k),
							     now + rnd(&rng) % 50, 0, now);
					CHECK(rc == 0 || rc == -ENOENT);
				} else if (w == 2) {
					int64_t res;
					char ik[32];
					snprintf(ik, sizeof(ik), "c:%u", id);
					rc = sl_store_incrby(S, self, ik, strlen(ik), 1, now, &res);
					CHECK(rc == 0 || rc == -EINVAL || rc == -EPROTOTYPE);
				} else if (w == 3) {
					char f[16];
					snprintf(f, sizeof(f), "f%u", id % 4);
					size_t len = make_value(val, id, ver++);
					struct sl_store_field fv = {f, strlen(f), val, len};
					unsigned added;
					rc = sl_store_hset(S, self, k, strlen(k), &fv, 1, now,
							   &added);
					CHECK(rc == 0 || rc == -EPROTOTYPE);
				} else {
					size_t len = make_value(val, id, ver++);
					struct sl_store_set_opts o = {
						.expire_at_ms =
							(w == 4) ? now + rnd(&rng) % 100 : 0};
					CHECK(sl_store_set(S, self, k, strlen(k), val, len, &o, now,
							   NULL) == 0);
				}
				atomic_fetch_add_explicit(&writes, 1, memory_order_relaxed);
			} else if (in_flight < 48) {
				/* ship a SET or DEL to the owner; buffers live until completion */
				struct sl_store_op sop = {.cookie = ship_slot};
				char *sk = ship_keys[self][ship_slot];
				uint8_t *sv = ship_vals[self][ship_slot];
				key_name(sk, 32, 'c', id);
				sop.key = sk;
				sop.klen = strlen(sk);
				if (rnd(&rng) % 3 == 0) {
					sop.code = SL_STORE_OP_DEL;
				} else {
					sop.code = SL_STORE_OP_SET;
					sop.val = sv;
					sop.vlen = make_value(sv, id, ver++);
				}
				if (sl_store_ship_submit_burst(SH, self, peer, &sop, 1) == 1) {
					ship_slot = (ship_slot + 1) % 64;
					in_flight++;
				}
			}
		} else {
			read_some(self, &rng, 4);
		}
		if (op % 16 == 0) {
			struct sl_store_completion c[16];
			sl_store_ship_drain(SH, self, now, 32);
			unsigned m = sl_store_ship_collect_burst(SH, self, peer, c, 16);
			for (unsigned i = 0; i < m; i++)
				CHECK(c[i].rc == 0 || c[i].rc == -ENOENT);
			in_flight -= m;
			atomic_fetch_add_explicit(&shipped, m, memory_order_relaxed);
			sl_store_quiescent(S, self);
			sl_store_maintain(S, self, now);
		}
		if (self == 0 && op % 64 == 0)
			atomic_fetch_add(&now_ms, 1);
	}
	/* wait for our shipped ops; keep serving the peer's */
	while (in_flight > 0) {
		struct sl_store_completion c[16];
		sl_store_ship_drain(SH, self, atomic_load(&now_ms), 32);
		in_flight -= sl_store_ship_collect_burst(SH, self, peer, c, 16);
		sl_store_quiescent(S, self);
	}
	atomic_fetch_add(&owners_done, 1);
	/* the peer may still ship to us until it is done */
	while (atomic_load(&owners_done) < N_OWNERS || !atomic_load(&reader_done)) {
		sl_store_ship_drain(SH, self, atomic_load(&now_ms), 32);
		sl_store_quiescent(S, self);
		sl_store_maintain(S, self, atomic_load(&now_ms));
	}
	/* FLUSH and wait until memory is back: other threads keep passing
	 * quiescent states meanwhile */
	CHECK(sl_store_flush(S, self) == 0);
	/* until settled: another thread may be preempted while online (more
	 * threads than cores), which legitimately delays reclamation */
	for (unsigned i = 0;; i++) {
		struct sl_store_stats st;
		if (i % 64 == 0)
			sched_yield();
		sl_store_quiescent(S, self);
		sl_store_maintain(S, self, atomic_load(&now_ms));
		sl_store_part_stats(S, self, &st);
		if (st.retired_pending == 0 && st.keys == 0 && i > 1000)
			break;
	}
	sl_store_reader_offline(S, self);
	return NULL;
}

int main(void)
{
	struct sl_store_config c;
	sl_store_config_default(&c);
	c.n_parts = N_OWNERS;
	c.n_extra_readers = 1;
	c.resize_step = 1; /* slow migration: SCANs overlap resizes */
	S = sl_store_create(&c);
	CHECK(S != NULL);
	SH = sl_store_ship_create(S, 64);
	CHECK(SH != NULL);
	uint64_t base[N_OWNERS];
	for (unsigned i = 0; i < N_OWNERS; i++) {
		struct sl_store_stats st;
		sl_store_part_stats(S, i, &st);
		base[i] = st.alloc_bytes;
	}
	char k[32];
	for (unsigned i = 0; i < STABLE_KEYS; i++) {
		key_name(k, sizeof(k), 's', i);
		stable_owner[i] = sl_store_part_of(S, sl_store_hash(k, strlen(k)));
	}
	for (unsigned i = 0; i < CHURN_KEYS; i++) {
		key_name(k, sizeof(k), 'c', i);
		churn_owner[i] = sl_store_part_of(S, sl_store_hash(k, strlen(k)));
	}
	pthread_t th[N_OWNERS + 1];
	for (unsigned i = 0; i < N_OWNERS; i++)
		CHECK(pthread_create(&th[i], NULL, owner_main, (void *)(uintptr_t)i) == 0);
	CHECK(pthread_create(&th[N_OWNERS], NULL, reader_main, NULL) == 0);
	for (unsigned i = 0; i <= N_OWNERS; i++)
		CHECK(pthread_join(th[i], NULL) == 0);
	/* memory back to baseline (+ the retire queue's own array) */
	for (unsigned i = 0; i < N_OWNERS; i++) {
		struct sl_store_stats st;
		uint64_t je;
		sl_store_part_stats(S, i, &st);
		CHECK(st.keys == 0 && st.retired_pending == 0);
		CHECK(sl_store_part_jemalloc_bytes(S, i, &je) == 0);
		fprintf(stderr,
			"partition %u: alloc %llu (baseline %llu + queue %llu), jemalloc %llu\n", i,
			(unsigned long long)st.alloc_bytes, (unsigned long long)base[i],
			(unsigned long long)st.meta_bytes, (unsigned long long)je);
		CHECK(st.alloc_bytes == base[i] + st.meta_bytes);
		CHECK(je == st.alloc_bytes);
	}
	printf("full scans %llu (%llu overlapping a resize)\n",
	       (unsigned long long)atomic_load(&full_scans),
	       (unsigned long long)atomic_load(&resizing_scans));
	CHECK(atomic_load(&full_scans) > 0);
	printf("writes %llu shipped %llu reads hit %llu miss %llu\n",
	       (unsigned long long)atomic_load(&writes), (unsigned long long)atomic_load(&shipped),
	       (unsigned long long)atomic_load(&reads_ok),
	       (unsigned long long)atomic_load(&reads_miss));
	sl_store_ship_destroy(&SH);
	sl_store_destroy(&S);
	printf("stress: OK\n");
	return 0;
}
