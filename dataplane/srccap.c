#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_pause.h>

#include "dataplane/common.h"
#include "dataplane/srccap.h"

#define USED      (UINT64_C(1) << 31) /* the slot holds a source (count may be 0) */
#define COUNT_MAX ((UINT64_C(1) << 31) - 1)
#define PROBE     64 /* slots a source may sit in from its start: a bounded walk */

static uint32_t src_of(const struct sl_srccap *c, uint32_t addr)
{
	return addr & c->mask;
}

static uint32_t start_of(uint32_t src)
{
	return (uint32_t)(((uint64_t)src * 0x9e3779b97f4a7c15ULL) >> 48) & (SL_SRCCAP_SLOTS - 1);
}

static uint32_t prefix_mask(unsigned len)
{
	return len == 0 ? 0 : UINT32_MAX << (32 - len);
}

int sl_srccap_init(struct sl_srccap *c, uint32_t default_cap, unsigned source_prefix)
{
	if (source_prefix < 1 || source_prefix > 32)
		return -EINVAL;
	memset(c, 0, sizeof(*c));
	c->mask = prefix_mask(source_prefix);
	c->default_cap = default_cap;
	rte_spinlock_init(&c->claim);
	c->slots = calloc(SL_SRCCAP_SLOTS, sizeof(*c->slots));
	return c->slots == NULL ? -ENOMEM : 0;
}

void sl_srccap_deinit(struct sl_srccap *c)
{
	free(c->slots);
	c->slots = NULL;
}

uint32_t sl_srccap_limit(const struct sl_srccap *c, uint32_t addr)
{
	uint32_t seq, cap, n, i;
	int best;

	for (;;) {
		seq = atomic_load_explicit(&c->seq, memory_order_acquire);
		if (seq & 1) {
			rte_pause();
			continue;
		}
		cap = __atomic_load_n(&c->default_cap, __ATOMIC_ACQUIRE);
		n = __atomic_load_n(&c->n_rules, __ATOMIC_ACQUIRE);
		best = -1;
		for (i = 0; i < n && i < SL_SRCCAP_RULES; i++) {
			unsigned len = __atomic_load_n(&c->rules[i].len, __ATOMIC_ACQUIRE);
			uint32_t net = __atomic_load_n(&c->rules[i].net, __ATOMIC_ACQUIRE);

			if (len <= 32 && (addr & prefix_mask(len)) == net && (int)len > best) {
				best = (int)len;
				cap = __atomic_load_n(&c->rules[i].cap, __ATOMIC_ACQUIRE);
			}
		}
		if (atomic_load_explicit(&c->seq, memory_order_relaxed) == seq)
			return cap;
	}
}

/* The slot of src, or NULL. Lock-free: slots are never emptied. */
static _Atomic uint64_t *find(const struct sl_srccap *c, uint32_t src)
{
	uint32_t i = start_of(src), n;

	for (n = 0; n < PROBE; n++, i = (i + 1) & (SL_SRCCAP_SLOTS - 1)) {
		uint64_t w = atomic_load_explicit(&c->slots[i], memory_order_acquire);

		if (w == 0)
			return NULL;
		if ((uint32_t)(w >> 32) == src)
			return &c->slots[i];
	}
	return NULL;
}

/*
 * Under c->claim: src's slot, or a new one (the first of its PROBE slots that
 * is never-used or whose source has no connection left), holding src with
 * count 0. NULL when all PROBE slots hold live sources.
 */
static _Atomic uint64_t *claim(struct sl_srccap *c, uint32_t src)
{
	uint32_t i = start_of(src), n;
	_Atomic uint64_t *s = find(c, src);

	if (s != NULL)
		return s;
	for (n = 0; n < PROBE; n++, i = (i + 1) & (SL_SRCCAP_SLOTS - 1)) {
		uint64_t w = atomic_load_explicit(&c->slots[i], memory_order_acquire);

		if (w == 0) {
			atomic_store_explicit(&c->slots[i], (uint64_t)src << 32 | USED,
					      memory_order_release);
			return &c->slots[i];
		}
		/* A slot whose source has no connection: take it unless a worker
		 * counts one into it meanwhile (then look on). */
		if ((w & COUNT_MAX) == 0 && atomic_compare_exchange_strong_explicit(
						    &c->slots[i], &w, (uint64_t)src << 32 | USED,
						    memory_order_acq_rel, memory_order_acquire))
			return &c->slots[i];
	}
	return NULL;
}

bool sl_srccap_admit(struct sl_srccap *c, uint32_t addr)
{
	uint32_t src = src_of(c, addr), cap = sl_srccap_limit(c, addr);
	_Atomic uint64_t *s;
	uint64_t w;

	for (;;) {
		s = find(c, src);
		if (s == NULL) {
			rte_spinlock_lock(&c->claim);
			s = claim(c, src);
			rte_spinlock_unlock(&c->claim);
			if (s == NULL) {
				atomic_fetch_add_explicit(&c->untracked, 1, memory_order_relaxed);
				return true;
			}
		}
		w = atomic_load_explicit(s, memory_order_acquire);
		while ((uint32_t)(w >> 32) == src && (w & USED) != 0) {
			if ((cap != 0 && (w & COUNT_MAX) >= cap) || (w & COUNT_MAX) == COUNT_MAX)
				return false;
			if (atomic_compare_exchange_weak_explicit(
				    s, &w, w + 1, memory_order_acq_rel, memory_order_acquire))
				return true;
		}
		/* The slot went to another source between find and CAS: look again. */
	}
}

void sl_srccap_release(struct sl_srccap *c, uint32_t addr)
{
	_Atomic uint64_t *s = find(c, src_of(c, addr));
	uint64_t w;

	if (s == NULL) /* admitted untracked */
		return;
	w = atomic_load_explicit(s, memory_order_acquire);
	while ((w & COUNT_MAX) != 0 &&
	       !atomic_compare_exchange_weak_explicit(s, &w, w - 1, memory_order_acq_rel,
						      memory_order_acquire))
		;
}

uint32_t sl_srccap_count(const struct sl_srccap *c, uint32_t addr)
{
	_Atomic uint64_t *s = find(c, src_of(c, addr));

	return s == NULL ? 0
			 : (uint32_t)(atomic_load_explicit(s, memory_order_relaxed) & COUNT_MAX);
}

/*
 * The sequence lock without fences: the writer's field stores are releases
 * that follow the odd increment, the reader's field loads are acquires that
 * precede its recheck, so a reader that saw any new field sees the count move.
 */
static void write_begin(struct sl_srccap *c)
{
	atomic_fetch_add_explicit(&c->seq, 1, memory_order_acq_rel);
}

static void write_end(struct sl_srccap *c)
{
	atomic_fetch_add_explicit(&c->seq, 1, memory_order_release);
}

void sl_srccap_set_default(struct sl_srccap *c, uint32_t cap)
{
	write_begin(c);
	__atomic_store_n(&c->default_cap, cap, __ATOMIC_RELEASE);
	write_end(c);
}

/* Index of the rule for net/len (net masked), or c->n_rules. Control thread. */
static unsigned rule_index(const struct sl_srccap *c, uint32_t net, unsigned len)
{
	unsigned i;

	for (i = 0; i < c->n_rules; i++)
		if (c->rules[i].len == len && c->rules[i].net == net)
			break;
	return i;
}

/* Rule i becomes (net, len, cap), inside a write section. */
static void rule_store(struct sl_srccap *c, unsigned i, uint32_t net, unsigned len, uint32_t cap)
{
	__atomic_store_n(&c->rules[i].net, net, __ATOMIC_RELEASE);
	__atomic_store_n(&c->rules[i].len, (uint8_t)len, __ATOMIC_RELEASE);
	__atomic_store_n(&c->rules[i].cap, cap, __ATOMIC_RELEASE);
}

int sl_srccap_set_rule(struct sl_srccap *c, uint32_t net, unsigned len, uint32_t cap)
{
	unsigned i;

	if (len > 32)
		return -EINVAL;
	net &= prefix_mask(len);
	i = rule_index(c, net, len);
	if (i == SL_SRCCAP_RULES)
		return -ENOSPC;
	write_begin(c);
	rule_store(c, i, net, len, cap);
	if (i == c->n_rules)
		__atomic_store_n(&c->n_rules, i + 1, __ATOMIC_RELEASE);
	write_end(c);
	return 0;
}

int sl_srccap_del_rule(struct sl_srccap *c, uint32_t net, unsigned len)
{
	unsigned i, last = c->n_rules - 1;

	if (len > 32)
		return -EINVAL;
	net &= prefix_mask(len);
	i = rule_index(c, net, len);
	if (i == c->n_rules)
		return -ENOENT;
	write_begin(c);
	rule_store(c, i, c->rules[last].net, c->rules[last].len, c->rules[last].cap);
	__atomic_store_n(&c->n_rules, last, __ATOMIC_RELEASE);
	write_end(c);
	return 0;
}

unsigned sl_srccap_rules(const struct sl_srccap *c, struct sl_srccap_rule *out, unsigned max)
{
	unsigned i, n = SL_MIN(c->n_rules, max);

	for (i = 0; i < n; i++)
		out[i] = c->rules[i];
	return n;
}
