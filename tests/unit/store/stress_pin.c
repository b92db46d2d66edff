/*
 * Pin stress test (suite 'stress'; run it under ASan and TSan too). Two
 * owner threads keep overwriting, deleting and now and then flushing their
 * partitions' large string values, announcing quiescent states and running
 * maintenance as workers do. Three readers (both owners and an extra reader
 * thread) GET random keys of either partition, pin the values and hold each
 * pin across many of their own quiescent states; half the pins are handed
 * to a releaser thread that is no reader at all. Whoever releases a pin
 * first checks the bytes: every value is self-describing (key id, version,
 * length and filler bytes derived from them), so a value freed or reused
 * under a pin shows up as a mismatch (and as a poisoned read under ASan, a
 * race under TSan). At the end every pin is gone and so is every retired
 * item. It prints what it did; it never fails on time.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/store/store.h"

#define N_OWNERS  2
#define READER_ID N_OWNERS /* the extra reader */
#define KEYS      48       /* per partition */
#define OPS       6000     /* writes per owner */
#define HOLD      24       /* pins a reader holds before releasing the oldest */
#define HANDOFF   256      /* releaser queue */
#define VMIN      SL_STORE_PIN_MIN
#define VSPAN     (48 * 1024)
#define T0        1700000000000ull

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);   \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

struct held {
	struct sl_store_pin pin;
	const uint8_t *ptr;
	size_t len;
	unsigned id;
};

static struct sl_store *S;
static char key_names[N_OWNERS][KEYS][24];
static _Atomic int owners_done, readers_done;
static _Atomic uint64_t pins_taken, pins_refused, verified, handed, writes, flushes;

/* the releaser's queue (test plumbing: a mutex is fine here) */
static pthread_mutex_t q_lock = PTHREAD_MUTEX_INITIALIZER;
static struct held q[HANDOFF];
static unsigned q_head, q_tail;

static size_t value_len(unsigned id, uint64_t ver)
{
	return VMIN + (size_t)((ver * 4099 + id * 131) % VSPAN);
}

static uint8_t filler(unsigned id, uint64_t ver, size_t j)
{
	return (uint8_t)((id * 31 + ver * 7 + j * 13 + (j >> 10)) % 251);
}

static size_t make_value(uint8_t *buf, unsigned id, uint64_t ver)
{
	int n = snprintf((char *)buf, 64, "%u:%llu:", id, (unsigned long long)ver);
	size_t len = value_len(id, ver);
	for (size_t j = (size_t)n; j < len; j++)
		buf[j] = filler(id, ver, j);
	return len;
}

static void verify(const struct held *h)
{
	char head[64], want[64];
	unsigned id;
	unsigned long long ver;
	size_t hl = h->len < sizeof(head) - 1 ? h->len : sizeof(head) - 1;
	memcpy(head, h->ptr, hl);
	head[hl] = '\0';
	CHECK(sscanf(head, "%u:%llu:", &id, &ver) == 2);
	CHECK(id == h->id);
	CHECK(h->len == value_len(id, ver));
	int n = snprintf(want, sizeof(want), "%u:%llu:", id, ver);
	CHECK(memcmp(h->ptr, want, (size_t)n) == 0);
	for (size_t j = (size_t)n; j < h->len; j++)
		CHECK(h->ptr[j] == filler(id, ver, j));
	atomic_fetch_add_explicit(&verified, 1, memory_order_relaxed);
}

static void release(struct held *h)
{
	verify(h);
	sl_store_unpin(&h->pin);
	CHECK(h->pin.ref == NULL);
}

static bool hand_off(const struct held *h)
{
	bool ok = false;
	pthread_mutex_lock(&q_lock);
	if (q_tail - q_head < HANDOFF) {
		q[q_tail++ % HANDOFF] = *h;
		ok = true;
	}
	pthread_mutex_unlock(&q_lock);
	return ok;
}

static uint64_t rng_next(uint64_t *st)
{
	uint64_t x = *st;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *st = x;
}

/* One read step of reader rid: pin a random key's value; past HOLD pins,
 * release the oldest (itself, or through the releaser). */
static void read_step(unsigned rid, uint64_t *rng, struct held *ring, unsigned *n, unsigned *first)
{
	uint64_t r = rng_next(rng);
	unsigned part = (unsigned)(r % N_OWNERS), id = (unsigned)((r >> 8) % KEYS);
	const char *k = key_names[part][id];
	struct sl_store_value v;
	if (sl_store_get(S, k, strlen(k), T0, &v) == 0) {
		struct held h = {.ptr = v.ptr, .len = v.len, .id = part * KEYS + id};
		int rc = sl_store_pin(S, rid, &v, &h.pin);
		CHECK(rc == 0 || rc == -ENOSPC);
		if (rc == 0) {
			atomic_fetch_add_explicit(&pins_taken, 1, memory_order_relaxed);
			ring[(*first + *n) % HOLD] = h;
			(*n)++;
		} else {
			atomic_fetch_add_explicit(&pins_refused, 1, memory_order_relaxed);
		}
	}
	if (*n == HOLD || (*n > 0 && (r >> 40) % 5 == 0)) {
		struct held *old = &ring[*first];
		if ((r >> 20) & 1 && hand_off(old))
			atomic_fetch_add_explicit(&handed, 1, memory_order_relaxed);
		else
			release(old);
		*first = (*first + 1) % HOLD;
		(*n)--;
	}
}

static void release_all(struct held *ring, unsigned *n, unsigned *first)
{
	while (*n > 0) {
		release(&ring[*first]);
		*first = (*first + 1) % HOLD;
		(*n)--;
	}
}

static void *owner_main(void *arg)
{
	unsigned self = (unsigned)(uintptr_t)arg;
	uint64_t rng = 0x9e3779b97f4a7c15ull * (self + 1);
	uint8_t *buf = malloc(VMIN + VSPAN + 64);
	struct held ring[HOLD];
	unsigned n = 0, first = 0;
	uint64_t ver = 1;
	CHECK(buf != NULL);
	CHECK(sl_store_reader_online(S, self) == 0);
	for (unsigned op = 0; op < OPS; op++) {
		uint64_t r = rng_next(&rng);
		unsigned id = (unsigned)(r % KEYS);
		const char *k = key_names[self][id];
		if ((r >> 32) % 1000 == 0) {
			CHECK(sl_store_flush(S, self) == 0);
			atomic_fetch_add_explicit(&flushes, 1, memory_order_relaxed);
		} else if ((r >> 32) % 10 == 0) {
			sl_store_del(S, self, k, strlen(k), T0);
		} else {
			struct sl_store_set_opts o = {0, 0};
			size_t len = make_value(buf, self * KEYS + id, ver++);
			CHECK(sl_store_set(S, self, k, strlen(k), buf, len, &o, T0, NULL) == 0);
			atomic_fetch_add_explicit(&writes, 1, memory_order_relaxed);
		}
		read_step(self, &rng, ring, &n, &first);
		sl_store_quiescent(S, self);
		sl_store_maintain(S, self, T0);
	}
	release_all(ring, &n, &first);
	atomic_fetch_add(&owners_done, 1);
	/* keep maintaining until the readers and the releaser are done */
	while (atomic_load(&readers_done) < 2) {
		sl_store_quiescent(S, self);
		sl_store_maintain(S, self, T0);
	}
	for (unsigned i = 0; i < 64; i++) {
		sl_store_quiescent(S, self);
		sl_store_maintain(S, self, T0);
	}
	sl_store_reader_offline(S, self);
	free(buf);
	return NULL;
}

static void *reader_main(void *arg)
{
	(void)arg;
	uint64_t rng = 0x2545f4914f6cdd1dull;
	struct held ring[HOLD];
	unsigned n = 0, first = 0;
	CHECK(sl_store_reader_online(S, READER_ID) == 0);
	while (atomic_load(&owners_done) < N_OWNERS) {
		read_step(READER_ID, &rng, ring, &n, &first);
		sl_store_quiescent(S, READER_ID);
	}
	release_all(ring, &n, &first);
	sl_store_reader_offline(S, READER_ID);
	atomic_fetch_add(&readers_done, 1);
	return NULL;
}

/* No reader id: releases what the readers handed over. */
static void *releaser_main(void *arg)
{
	(void)arg;
	for (;;) {
		struct held h;
		bool have = false;
		/* the flags first: every hand-off before them is in the queue */
		bool done =
			atomic_load(&owners_done) == N_OWNERS && atomic_load(&readers_done) >= 1;
		pthread_mutex_lock(&q_lock);
		if (q_head != q_tail) {
			h = q[q_head++ % HANDOFF];
			have = true;
		}
		pthread_mutex_unlock(&q_lock);
		if (have)
			release(&h);
		else if (done)
			break;
	}
	atomic_fetch_add(&readers_done, 1);
	return NULL;
}

int main(void)
{
	struct sl_store_config c;
	pthread_t th[N_OWNERS + 2];
	sl_store_config_default(&c);
	c.n_parts = N_OWNERS;
	c.n_extra_readers = 1;
	S = sl_store_create(&c);
	CHECK(S != NULL);
	for (unsigned p = 0; p < N_OWNERS; p++) {
		unsigned found = 0;
		for (unsigned i = 0; found < KEYS; i++) {
			char k[24];
			snprintf(k, sizeof(k), "pin:%u", i);
			if (sl_store_part_of(S, sl_store_hash(k, strlen(k))) == p)
				memcpy(key_names[p][found++], k, sizeof(k));
		}
	}
	for (unsigned i = 0; i < N_OWNERS; i++)
		CHECK(pthread_create(&th[i], NULL, owner_main, (void *)(uintptr_t)i) == 0);
	CHECK(pthread_create(&th[N_OWNERS], NULL, reader_main, NULL) == 0);
	CHECK(pthread_create(&th[N_OWNERS + 1], NULL, releaser_main, NULL) == 0);
	for (unsigned i = 0; i < N_OWNERS + 2; i++)
		CHECK(pthread_join(th[i], NULL) == 0);
	CHECK(q_head == q_tail);
	/* every pin released: nothing pinned, nothing retired left (the owners
	 * maintained after the last unpin) */
	for (unsigned p = 0; p < N_OWNERS; p++) {
		struct sl_store_stats st;
		sl_store_part_stats(S, p, &st);
		CHECK(st.pinned == 0);
		CHECK(st.pinned_retired == 0);
		CHECK(st.retired_pending == 0);
	}
	printf("stress_pin: %llu writes, %llu flushes, %llu pins (%llu refused), %llu verified, "
	       "%llu released by a non-reader thread\n",
	       (unsigned long long)writes, (unsigned long long)flushes,
	       (unsigned long long)pins_taken, (unsigned long long)pins_refused,
	       (unsigned long long)verified, (unsigned long long)handed);
	CHECK(verified == pins_taken);
	CHECK(pins_taken > 1000);
	sl_store_destroy(&S);
	return 0;
}
