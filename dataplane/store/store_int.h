/*
 * Functions shared between the store's own .c files (not a public API).
 * All of them run on the partition's owner lcore unless they say "reader".
 */
#ifndef SL_STORE_INT_H
#define SL_STORE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dataplane/store/store.h"
#include "dataplane/store/store_priv.h"

size_t sl_store_item_size(unsigned flags, size_t klen, unsigned enc, size_t vlen);
const uint8_t *sl_store_item_key(const struct item *it);
uint8_t *sl_store_item_val(struct item *it);
uint64_t sl_store_item_expire(struct item *it);
struct item *sl_store_item_new(struct sl_store *s, struct part *p, const void *key, size_t klen,
			       unsigned type, unsigned enc, const void *val, size_t vlen,
			       uint64_t expire_at, uint64_t now);
void sl_store_view_item(struct item *it, struct sl_store_value *out);
int sl_store_parse_int(const uint8_t *p, size_t len, int64_t *out);

size_t sl_store_usable(size_t size);
void *sl_store_part_alloc(struct part *p, size_t size);
void sl_store_part_free(struct part *p, void *m, size_t size);
void sl_store_retire(struct part *p, void *ptr, uint64_t size, enum retire_kind kind,
		     uint64_t used_bytes);
void sl_store_retire_mem(struct part *p, void *ptr, size_t size);

struct part *sl_store_owner_part(struct sl_store *s, unsigned self, uint64_t h);
struct item *sl_store_owner_find(struct part *p, uint64_t h, const void *key, size_t klen,
				 uint64_t now, _Atomic uint64_t **slotp);
int sl_store_publish(struct sl_store *s, struct part *p, uint64_t h, _Atomic uint64_t *slotp,
		     struct item *old, struct item *nw, bool deep_retire_old);
void sl_store_unlink(struct part *p, _Atomic uint64_t *slotp, struct item *it);
int sl_store_ensure_memory(struct sl_store *s, struct part *p, uint64_t now);

/* reader */
struct item *sl_store_reader_find(struct sl_store *s, const void *key, size_t klen, uint64_t now);

/* large hashes (store_hash.c) */
void sl_store_hobj_retire(struct part *p, struct item *it);
void sl_store_hobj_free_now(struct part *p, struct item *it);
void sl_store_hobj_reclaim(struct part *p, void *hobj);
void sl_store_hobj_move(struct item *from, struct item *to);

#endif /* SL_STORE_INT_H */
