/*
 * The hash type. A small hash (at most hash_max_listpack_entries fields, each
 * field and value at most hash_max_listpack_value bytes, Redis's listpack
 * thresholds) is one flat value inside its item: u32 count, then per field
 * u32 flen, u32 vlen, field bytes, value bytes. Any change publishes a new
 * item (copy on write), like a string.
 *
 * A large hash keeps a pointer to its own chained table (struct hobj) in the
 * item. Entries are immutable: an update links a new entry in place of the
 * old with one release store and retires the old; readers walk chains with
 * acquire loads. Growing builds a new hobj with copies of the entries,
 * publishes it and retires the old one whole: O(n) on a doubling, amortised
 * O(1) per insert (not bounded per step like the keyspace; noted in docs).
 * A large hash never converts back to compact (Redis does not either).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <jemalloc/jemalloc.h>

#include "dataplane/store/store.h"
#include "dataplane/store/store_int.h"
#include "dataplane/store/store_priv.h"

#define RD(x)     atomic_load_explicit(&(x), memory_order_relaxed)
#define ACQ(x)    atomic_load_explicit(&(x), memory_order_acquire)
#define WR(x, v)  atomic_store_explicit(&(x), (v), memory_order_relaxed)
#define REL(x, v) atomic_store_explicit(&(x), (v), memory_order_release)

static inline uint32_t rd32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

static inline void wr32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static inline _Atomic(struct hobj *) *item_hobj(struct item *it)
{
	return (_Atomic(struct hobj *) *)(void *)sl_store_item_val(it);
}

/* --- compact encoding --------------------------------------------------------- */

struct cwalk {
	const uint8_t *p, *end;
	uint32_t left;
};

static void cwalk_init(struct cwalk *w, struct item *it)
{
	const uint8_t *v = sl_store_item_val(it);
	w->p = v + 4;
	w->end = v + it->vlen;
	w->left = rd32(v);
}

static bool cwalk_next(struct cwalk *w, struct sl_store_field *f)
{
	if (w->left == 0)
		return false;
	uint32_t fl = rd32(w->p), vl = rd32(w->p + 4);
	f->field = w->p + 8;
	f->flen = fl;
	f->val = w->p + 8 + fl;
	f->vlen = vl;
	w->p += 8 + fl + vl;
	w->left--;
	return true;
}

/* --- table encoding --------------------------------------------------------- */

static size_t hent_size(size_t flen, size_t vlen)
{
	return sizeof(struct hent) + flen + vlen;
}

static size_t hobj_size(uint64_t nb)
{
	return sizeof(struct hobj) + nb * sizeof(_Atomic(struct hent *));
}

static struct hobj *hobj_new(struct part *p, uint64_t nb)
{
	struct hobj *ho = sl_store_part_alloc(p, hobj_size(nb));
	if (ho == NULL)
		return NULL;
	ho->mask = nb - 1;
	WR(ho->count, 0);
	ho->bytes = sl_store_usable(hobj_size(nb));
	for (uint64_t i = 0; i < nb; i++)
		WR(ho->b[i], NULL);
	return ho;
}

static struct hent *hent_new(struct part *p, uint64_t h, const void *f, size_t flen, const void *v,
			     size_t vlen)
{
	struct hent *e = sl_store_part_alloc(p, hent_size(flen, vlen));
	if (e == NULL)
		return NULL;
	WR(e->next, NULL);
	e->hash = h;
	e->flen = (uint32_t)flen;
	e->vlen = (uint32_t)vlen;
	memcpy(e->data, f, flen);
	if (vlen > 0)
		memcpy(e->data + flen, v, vlen);
	return e;
}

/* Find the link that points to field's entry (or the chain's end). */
static _Atomic(struct hent *) *hobj_link(struct hobj *ho, uint64_t h, const void *f, size_t flen)
{
	_Atomic(struct hent *) *link = &ho->b[h & ho->mask];
	for (struct hent *e = ACQ(*link); e != NULL; e = ACQ(*link)) {
		if (e->hash == h && e->flen == flen && memcmp(e->data, f, flen) == 0)
			return link;
		link = &e->next;
	}
	return link;
}

/* Insert or replace; returns 1 if added, 0 if replaced, -ENOMEM. */
static int hobj_put(struct part *p, struct hobj *ho, const void *f, size_t flen, const void *v,
		    size_t vlen)
{
	uint64_t h = sl_store_hash(f, flen);
	_Atomic(struct hent *) *link = hobj_link(ho, h, f, flen);
	struct hent *old = RD(*link);
	struct hent *e = hent_new(p, h, f, flen, v, vlen);
	if (e == NULL)
		return -ENOMEM;
	ho->bytes += sl_store_usable(hent_size(flen, vlen));
	if (old != NULL) {
		WR(e->next, RD(old->next));
		REL(*link, e);
		ho->bytes -= sl_store_usable(hent_size(old->flen, old->vlen));
		sl_store_retire_mem(p, old, hent_size(old->flen, old->vlen));
		return 0;
	}
	WR(e->next, RD(ho->b[h & ho->mask]));
	REL(ho->b[h & ho->mask], e);
	WR(ho->count, RD(ho->count) + 1);
	return 1;
}

static int hobj_del(struct part *p, struct hobj *ho, const void *f, size_t flen)
{
	uint64_t h = sl_store_hash(f, flen);
	_Atomic(struct hent *) *link = hobj_link(ho, h, f, flen);
	struct hent *e = RD(*link);
	if (e == NULL)
		return 0;
	REL(*link, RD(e->next));
	WR(ho->count, RD(ho->count) - 1);
	ho->bytes -= sl_store_usable(hent_size(e->flen, e->vlen));
	sl_store_retire_mem(p, e, hent_size(e->flen, e->vlen));
	return 1;
}

static void hobj_free(struct part *p, struct hobj *ho)
{
	for (uint64_t i = 0; i <= ho->mask; i++) {
		struct hent *e = RD(ho->b[i]);
		while (e != NULL) {
			struct hent *n = RD(e->next);
			sl_store_part_free(p, e, hent_size(e->flen, e->vlen));
			e = n;
		}
	}
	sl_store_part_free(p, ho, hobj_size(ho->mask + 1));
}

/* The retired share was already removed from `used`; part_free removes it
 * again, so add it back first. */
static void hobj_free_retired(struct part *p, struct hobj *ho)
{
	uint64_t bytes = ho->bytes;
	atomic_store_explicit(&p->used, RD(p->used) + bytes, memory_order_relaxed);
	hobj_free(p, ho);
}

void sl_store_hobj_retire(struct part *p, struct item *it)
{
	struct hobj *ho = RD(*item_hobj(it));
	sl_store_retire(p, ho, 0, RK_HOBJ, ho->bytes);
}

void sl_store_hobj_reclaim(struct part *p, void *hobj)
{
	hobj_free_retired(p, hobj);
}

void sl_store_hobj_free_now(struct part *p, struct item *it)
{
	hobj_free_retired(p, RD(*item_hobj(it)));
}

void sl_store_hobj_move(struct item *from, struct item *to)
{
	WR(*item_hobj(to), RD(*item_hobj(from)));
}

static int hobj_grow(struct part *p, struct item *it)
{
	struct hobj *ho = RD(*item_hobj(it));
	struct hobj *nh = hobj_new(p, (ho->mask + 1) * 2);
	if (nh == NULL)
		return -ENOMEM;
	for (uint64_t i = 0; i <= ho->mask; i++) {
		for (struct hent *e = RD(ho->b[i]); e != NULL; e = RD(e->next)) {
			if (hobj_put(p, nh, e->data, e->flen, e->data + e->flen, e->vlen) < 0) {
				hobj_free(p, nh);
				return -ENOMEM;
			}
		}
	}
	REL(*item_hobj(it), nh);
	sl_store_retire(p, ho, 0, RK_HOBJ, ho->bytes);
	return 0;
}

/* --- building a new encoding from a field list ---------------------------------- */

static struct item *build_compact(struct sl_store *s, struct part *p, const void *key, size_t klen,
				  const struct sl_store_field *f, unsigned n, uint64_t at,
				  uint64_t now)
{
	size_t vlen = 4;
	for (unsigned i = 0; i < n; i++)
		vlen += 8 + f[i].flen + f[i].vlen;
	struct item *it = sl_store_item_new(s, p, key, klen, SL_STORE_T_HASH, SL_STORE_ENC_COMPACT,
					    NULL, vlen, at, now);
	if (it == NULL)
		return NULL;
	uint8_t *d = sl_store_item_val(it);
	wr32(d, n);
	d += 4;
	for (unsigned i = 0; i < n; i++) {
		wr32(d, (uint32_t)f[i].flen);
		wr32(d + 4, (uint32_t)f[i].vlen);
		memcpy(d + 8, f[i].field, f[i].flen);
		if (f[i].vlen > 0)
			memcpy(d + 8 + f[i].flen, f[i].val, f[i].vlen);
		d += 8 + f[i].flen + f[i].vlen;
	}
	return it;
}

static struct item *build_table(struct sl_store *s, struct part *p, const void *key, size_t klen,
				const struct sl_store_field *f, unsigned n, uint64_t at,
				uint64_t now)
{
	uint64_t nb = 8;
	while (nb < n)
		nb <<= 1;
	struct hobj *ho = hobj_new(p, nb);
	if (ho == NULL)
		return NULL;
	for (unsigned i = 0; i < n; i++) {
		if (hobj_put(p, ho, f[i].field, f[i].flen, f[i].val, f[i].vlen) < 0) {
			hobj_free(p, ho);
			return NULL;
		}
	}
	struct item *it = sl_store_item_new(s, p, key, klen, SL_STORE_T_HASH, SL_STORE_ENC_TABLE,
					    NULL, 8, at, now);
	if (it == NULL) {
		hobj_free(p, ho);
		return NULL;
	}
	WR(*item_hobj(it), ho);
	return it;
}

static bool field_eq(const struct sl_store_field *a, const void *f, size_t flen)
{
	return a->flen == flen && memcmp(a->field, f, flen) == 0;
}

/* --- owner: HSET / HDEL / HINCRBY ------------------------------------------------ */

static int hset_locked(struct sl_store *s, struct part *p, uint64_t h, const void *key, size_t klen,
		       const struct sl_store_field *fv, unsigned n, uint64_t now, unsigned *added)
{
	_Atomic uint64_t *slotp;
	struct item *it = sl_store_owner_find(p, h, key, klen, now, &slotp);
	unsigned add = 0;
	if (it != NULL && it->type != SL_STORE_T_HASH)
		return -EPROTOTYPE;
	if (it != NULL && it->enc == SL_STORE_ENC_TABLE) {
		struct hobj *ho = RD(*item_hobj(it));
		for (unsigned i = 0; i < n; i++) {
			int rc = hobj_put(p, ho, fv[i].field, fv[i].flen, fv[i].val, fv[i].vlen);
			if (rc < 0)
				return rc;
			add += (unsigned)rc;
		}
		if (RD(ho->count) > 2 * (ho->mask + 1))
			(void)hobj_grow(p, it); /* a failed grow leaves longer chains */
		*added = add;
		return 0;
	}
	/* compact (or new): merge old fields and the arguments in a scratch list */
	unsigned oldn = 0;
	struct cwalk w;
	if (it != NULL) {
		cwalk_init(&w, it);
		oldn = w.left;
	}
	size_t cap = (size_t)oldn + n;
	struct sl_store_field *list = sl_store_part_alloc(p, cap * sizeof(*list));
	if (list == NULL)
		return -ENOMEM;
	unsigned cnt = 0;
	if (it != NULL)
		while (cwalk_next(&w, &list[cnt]))
			cnt++;
	for (unsigned i = 0; i < n; i++) {
		unsigned k;
		for (k = 0; k < cnt && !field_eq(&list[k], fv[i].field, fv[i].flen); k++)
			;
		if (k == cnt) {
			cnt++;
			add++;
		}
		list[k] = fv[i];
	}
	bool compact = cnt <= s->cfg.hash_max_listpack_entries;
	for (unsigned i = 0; compact && i < cnt; i++)
		if (list[i].flen > s->cfg.hash_max_listpack_value ||
		    list[i].vlen > s->cfg.hash_max_listpack_value)
			compact = false;
	uint64_t at = it ? sl_store_item_expire(it) : 0;
	struct item *nw = compact ? build_compact(s, p, key, klen, list, cnt, at, now)
				  : build_table(s, p, key, klen, list, cnt, at, now);
	sl_store_part_free(p, list, cap * sizeof(*list));
	if (nw == NULL)
		return -ENOMEM;
	int rc = sl_store_publish(s, p, h, slotp, it, nw, true);
	if (rc == 0)
		*added = add;
	return rc;
}

int sl_store_hset(struct sl_store *s, unsigned self, const void *key, size_t klen,
		  const struct sl_store_field *fv, unsigned n, uint64_t now_ms, unsigned *added)
{
	uint64_t h = sl_store_hash(key, klen);
	struct part *p = sl_store_owner_part(s, self, h);
	if (p == NULL)
		return -EXDEV;
	/* denyoom (Redis rejects before running the command): room first */
	int rc = sl_store_ensure_memory(s, p, now_ms);
	if (rc != 0)
		return rc;
	_Atomic uint64_t *slotp;
	struct item *it = sl_store_owner_find(p, h, key, klen, now_ms, &slotp);
	if (it != NULL && it->type != SL_STORE_T_HASH)
		return -EPROTOTYPE;
	return hset_locked(s, p, h, key, klen, fv, n, now_ms, added);
}

int sl_store_hdel(struct sl_store *s, unsigned self, const void *key, size_t klen,
		  const struct sl_store_field *fields, unsigned n, uint64_t now_ms,
		  unsigned *removed)
{
	uint64_t h = sl_store_hash(key, klen);
	struct part *p = sl_store_owner_part(s, self, h);
	if (p == NULL)
		return -EXDEV;
	_Atomic uint64_t *slotp;
	struct item *it = sl_store_owner_find(p, h, key, klen, now_ms, &slotp);
	unsigned rem = 0;
	*removed = 0;
	if (it == NULL)
		return 0;
	if (it->type != SL_STORE_T_HASH)
		return -EPROTOTYPE;
	if (it->enc == SL_STORE_ENC_TABLE) {
		struct hobj *ho = RD(*item_hobj(it));
		for (unsigned i = 0; i < n; i++)
			rem += (unsigned)hobj_del(p, ho, fields[i].field, fields[i].flen);
		if (RD(ho->count) == 0)
			sl_store_unlink(p, slotp, it);
		*removed = rem;
		return 0;
	}
	struct cwalk w;
	cwalk_init(&w, it);
	size_t cap = w.left ? w.left : 1;
	struct sl_store_field *list = sl_store_part_alloc(p, cap * sizeof(*list));
	if (list == NULL)
		return -ENOMEM;
	unsigned cnt = 0;
	struct sl_store_field f;
	while (cwalk_next(&w, &f)) {
		bool del = false;
		for (unsigned i = 0; i < n && !del; i++)
			del = field_eq(&f, fields[i].field, fields[i].flen);
		if (del)
			rem++;
		else
			list[cnt++] = f;
	}
	int rc = 0;
	if (rem > 0 && cnt == 0) {
		sl_store_unlink(p, slotp, it);
	} else if (rem > 0) {
		struct item *nw =
			build_compact(s, p, key, klen, list, cnt, sl_store_item_expire(it), now_ms);
		rc = nw ? sl_store_publish(s, p, h, slotp, it, nw, true) : -ENOMEM;
	}
	sl_store_part_free(p, list, cap * sizeof(*list));
	if (rc == 0)
		*removed = rem;
	return rc;
}

/* Field lookup on an item (reader or owner). */
static int field_get(struct item *it, const void *f, size_t flen, struct sl_store_value *out)
{
	if (it->enc == SL_STORE_ENC_TABLE) {
		struct hobj *ho = ACQ(*item_hobj(it));
		uint64_t h = sl_store_hash(f, flen);
		for (struct hent *e = ACQ(ho->b[h & ho->mask]); e != NULL; e = ACQ(e->next)) {
			if (e->hash == h && e->flen == flen && memcmp(e->data, f, flen) == 0) {
				out->ptr = e->data + flen;
				out->len = e->vlen;
				return 0;
			}
		}
		return -ENOENT;
	}
	struct cwalk w;
	struct sl_store_field x;
	cwalk_init(&w, it);
	while (cwalk_next(&w, &x)) {
		if (field_eq(&x, f, flen)) {
			out->ptr = x.val;
			out->len = x.vlen;
			return 0;
		}
	}
	return -ENOENT;
}

int sl_store_hincrby(struct sl_store *s, unsigned self, const void *key, size_t klen,
		     const void *field, size_t flen, int64_t delta, uint64_t now_ms,
		     int64_t *result)
{
	uint64_t h = sl_store_hash(key, klen);
	struct part *p = sl_store_owner_part(s, self, h);
	if (p == NULL)
		return -EXDEV;
	/* denyoom (Redis rejects before running the command): room first */
	int rc = sl_store_ensure_memory(s, p, now_ms);
	if (rc != 0)
		return rc;
	_Atomic uint64_t *slotp;
	struct item *it = sl_store_owner_find(p, h, key, klen, now_ms, &slotp);
	int64_t v = 0;
	if (it != NULL) {
		struct sl_store_value cv;
		if (it->type != SL_STORE_T_HASH)
			return -EPROTOTYPE;
		if (field_get(it, field, flen, &cv) == 0 &&
		    sl_store_parse_int(cv.ptr, cv.len, &v) != 0)
			return -EINVAL;
	}
	if ((delta < 0 && v < INT64_MIN - delta) || (delta > 0 && v > INT64_MAX - delta))
		return -EOVERFLOW;
	v += delta;
	char buf[24];
	int n = snprintf(buf, sizeof(buf), "%lld", (long long)v);
	struct sl_store_field fv = {.field = field, .flen = flen, .val = buf, .vlen = (size_t)n};
	unsigned added;
	rc = hset_locked(s, p, h, key, klen, &fv, 1, now_ms, &added);
	if (rc == 0)
		*result = v;
	return rc;
}

/* --- readers ------------------------------------------------------------------------ */

int sl_store_hget(struct sl_store *s, const void *key, size_t klen, const void *field, size_t flen,
		  uint64_t now_ms, struct sl_store_value *out)
{
	struct item *it = sl_store_reader_find(s, key, klen, now_ms);
	if (it == NULL)
		return -ENOENT;
	if (it->type != SL_STORE_T_HASH)
		return -EPROTOTYPE;
	out->type = SL_STORE_T_STRING;
	out->enc = SL_STORE_ENC_RAW;
	out->item = NULL; /* hash fields are not pinned */
	return field_get(it, field, flen, out);
}

int sl_store_hlen(struct sl_store *s, const void *key, size_t klen, uint64_t now_ms, uint64_t *n)
{
	struct item *it = sl_store_reader_find(s, key, klen, now_ms);
	*n = 0;
	if (it == NULL)
		return 0;
	if (it->type != SL_STORE_T_HASH)
		return -EPROTOTYPE;
	if (it->enc == SL_STORE_ENC_TABLE)
		*n = RD(ACQ(*item_hobj(it))->count);
	else
		*n = rd32(sl_store_item_val(it));
	return 0;
}

int sl_store_hwalk(struct sl_store *s, const void *key, size_t klen, uint64_t now_ms,
		   sl_store_field_fn *fn, void *arg)
{
	struct item *it = sl_store_reader_find(s, key, klen, now_ms);
	int n = 0;
	if (it == NULL)
		return -ENOENT;
	if (it->type != SL_STORE_T_HASH)
		return -EPROTOTYPE;
	if (it->enc == SL_STORE_ENC_TABLE) {
		struct hobj *ho = ACQ(*item_hobj(it));
		for (uint64_t i = 0; i <= ho->mask; i++) {
			for (struct hent *e = ACQ(ho->b[i]); e != NULL; e = ACQ(e->next)) {
				fn(arg, e->data, e->flen, e->data + e->flen, e->vlen);
				n++;
			}
		}
		return n;
	}
	struct cwalk w;
	struct sl_store_field f;
	cwalk_init(&w, it);
	while (cwalk_next(&w, &f)) {
		fn(arg, f.field, f.flen, f.val, f.vlen);
		n++;
	}
	return n;
}
