/*
 * Cross-core write shipping (CREW): a worker that must write a key owned by
 * another partition sends an operation descriptor to the owner over a
 * single-producer single-consumer ring dedicated to the (source, owner)
 * pair; the owner applies it in its loop (sl_store_ship_drain) and returns a
 * completion on the (owner, source) completion ring.
 *
 * Program order. Each ring is FIFO and the owner applies one source's ops in
 * ring order, so all ops one connection sends to one owner execute in the
 * order they were issued, and their completions come back in that order. A
 * connection can therefore pipeline any number of remote writes without
 * waiting for round trips. For read-your-writes, a read of a partition to
 * which the same connection still has writes in flight is shipped too
 * (SL_STORE_OP_GET) and so is ordered behind them; the engine keeps a
 * per-connection in-flight count per owner to decide. Replies across
 * different owners are put back in request order by the engine using the
 * cookie (e.g. connection id and request sequence number).
 *
 * Memory. The key/value bytes a descriptor points to belong to the source
 * and must stay valid until its completion has been collected. A value
 * result (GET, SET ... GET) is copied by the owner into the
 * source-provided out buffer, because the owner's item may be reclaimed
 * before the source looks at it. out_len reports the full length; if it
 * exceeds out_cap the copy is truncated and the source may re-read.
 */
#ifndef SL_STORE_SHIP_H
#define SL_STORE_SHIP_H

#include <stddef.h>
#include <stdint.h>

#include "dataplane/common.h"
#include "dataplane/store/store.h"

struct sl_store_ship;

enum sl_store_op_code {
	SL_STORE_OP_SET = 1, /* flags = SL_STORE_SET_*, arg = expire_at_ms */
	SL_STORE_OP_DEL,
	SL_STORE_OP_INCRBY, /* arg = delta; completion ival = result */
	SL_STORE_OP_EXPIRE, /* arg = at_ms, flags = SL_STORE_EXPIRE_* */
	SL_STORE_OP_PERSIST,
	SL_STORE_OP_APPEND, /* completion ival = new length */
	SL_STORE_OP_GET,    /* ordered read; value copied to out */
	SL_STORE_OP_FLUSH,  /* flush the owner's partition */
};

struct sl_store_op {
	uint64_t cookie; /* opaque to the store, returned in the completion */
	uint32_t code;   /* enum sl_store_op_code */
	uint32_t flags;
	int64_t arg;
	const void *key; /* borrowed from the source until completion */
	size_t klen;
	const void *val;
	size_t vlen;
	uint8_t *out; /* source-owned result buffer, may be NULL */
	uint32_t out_cap;
};

struct sl_store_completion {
	uint64_t cookie;
	int32_t rc; /* the store call's return code */
	uint32_t out_len;
	int64_t ival;
};

/* Create rings for every (source, owner) pair of s's partitions; `slots`
 * (power of two) is each ring's capacity. Control path. NULL + errno. */
struct sl_store_ship *sl_store_ship_create(struct sl_store *s, unsigned slots);
void sl_store_ship_destroy(struct sl_store_ship **sh);

/* Source lcore `src`: enqueue up to n ops for owner `dst`, in order. Returns
 * how many were accepted (a prefix of ops); the caller keeps the rest. */
unsigned sl_store_ship_submit_burst(struct sl_store_ship *sh, unsigned src, unsigned dst,
				    const struct sl_store_op *ops, unsigned n);

/* Owner lcore `self`: apply up to `budget` ops from all sources' rings, each
 * source's in order, posting a completion for each (an op is only taken
 * when its completion fits). Returns the number applied. */
unsigned sl_store_ship_drain(struct sl_store_ship *sh, unsigned self, uint64_t now_ms,
			     unsigned budget);

/* Source lcore `self`: take up to n completions returned by owner `owner`,
 * in the order the ops were submitted. Returns the count. */
unsigned sl_store_ship_collect_burst(struct sl_store_ship *sh, unsigned self, unsigned owner,
				     struct sl_store_completion *c, unsigned n);

#endif /* SL_STORE_SHIP_H */
