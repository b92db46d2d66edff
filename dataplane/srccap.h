/*
 * Per-source connection caps, exact across every worker.
 *
 * A source is the client's address masked to /source_prefix (32 = each
 * address on its own). Every established connection is counted against its
 * source in one table shared by all workers, whether or not a cap is set, so
 * a cap set later applies at once to what is already open.
 *
 * The cap of a source is that of the longest rule whose prefix contains it,
 * else the default; 0 means no cap. Rules are per source inside the prefix:
 * "198.18.3.0/24 -> 5" lets every source of that /24 hold 5 connections, it
 * does not share 5 among them.
 *
 * Concurrency. Workers admit and release on their own lcores; the control
 * thread changes the default and the rules. A slot is one 64-bit word
 * (source << 32 | count) changed only by compare-and-swap, so a source's
 * count never passes its cap, whichever worker accepts. Slots are claimed
 * under a spinlock (a new source, not every connection) and are never
 * emptied, only reused once their count is back to 0, so a lock-free probe
 * ends at a never-used slot or after the 64 slots a source may occupy from
 * its hash (a bounded cost per accept, however many sources came and went).
 * Rules are read under a sequence lock. A new source whose 64 slots all hold
 * live sources goes uncounted and uncapped (counted in `untracked`): rare
 * below tens of thousands of sources with open connections.
 */
#ifndef SL_DATAPLANE_SRCCAP_H
#define SL_DATAPLANE_SRCCAP_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_spinlock.h>

#define SL_SRCCAP_SLOTS 65536 /* power of two */
#define SL_SRCCAP_RULES 64

struct sl_srccap_rule {
	uint32_t net; /* host order, masked */
	uint8_t len;  /* prefix length 0..32 */
	uint32_t cap; /* connections per source; 0 = none */
};

struct sl_srccap {
	uint32_t mask;        /* source network mask, host order; fixed */
	_Atomic uint32_t seq; /* odd while the control thread writes the rules */
	uint32_t default_cap;
	uint32_t n_rules;
	struct sl_srccap_rule rules[SL_SRCCAP_RULES];
	rte_spinlock_t claim;
	_Atomic uint64_t untracked;
	_Atomic uint64_t *slots; /* SL_SRCCAP_SLOTS words: source << 32 | count; 0 = never used */
};

/* Sets up an empty table. source_prefix 1..32. Control path. 0 or -ENOMEM/-EINVAL. */
int sl_srccap_init(struct sl_srccap *c, uint32_t default_cap, unsigned source_prefix);
void sl_srccap_deinit(struct sl_srccap *c);

/* The cap that applies to address addr (host order); 0 = none. Any thread. */
uint32_t sl_srccap_limit(const struct sl_srccap *c, uint32_t addr);

/*
 * Counts a new connection from addr if its source is under its cap. Returns
 * true (counted: call sl_srccap_release when it ends) or false (at the cap,
 * nothing counted). Any worker.
 */
bool sl_srccap_admit(struct sl_srccap *c, uint32_t addr);

/* A connection admitted from addr ended. Any worker. */
void sl_srccap_release(struct sl_srccap *c, uint32_t addr);

/* Open connections of addr's source (a relaxed read). Any thread. */
uint32_t sl_srccap_count(const struct sl_srccap *c, uint32_t addr);

/* Control thread only: the default cap, a rule (replaced if the prefix
 * exists), removing one. 0, -ENOSPC (SL_SRCCAP_RULES rules), -ENOENT, -EINVAL. */
void sl_srccap_set_default(struct sl_srccap *c, uint32_t cap);
int sl_srccap_set_rule(struct sl_srccap *c, uint32_t net, unsigned len, uint32_t cap);
int sl_srccap_del_rule(struct sl_srccap *c, uint32_t net, unsigned len);

/* Copies the rules (control thread), returns their count. */
unsigned sl_srccap_rules(const struct sl_srccap *c, struct sl_srccap_rule *out, unsigned max);

#endif /* SL_DATAPLANE_SRCCAP_H */
