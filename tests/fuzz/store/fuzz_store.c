/*
 * Differential fuzz target for the store: the input is a program of string
 * operations over 8 keys on a two-partition store; a trivial model (arrays of
 * bytes with an expiry) runs the same program and every read must agree.
 * Exercises item replacement, integer encoding, APPEND/SETRANGE, expiry,
 * deletes, reclamation (quiescent + maintain between ops) and growth.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/store/store.h"

#define FAIL()                                                                                     \
	do {                                                                                       \
		fprintf(stderr, "fuzz_store: model mismatch at line %d\n", __LINE__);              \
		abort();                                                                           \
	} while (0)

#define NK   8
#define VMAX 96

struct model {
	int present;
	uint64_t expire; /* 0 = none */
	size_t len;
	uint8_t v[VMAX * 4];
};

static int alive(const struct model *m, uint64_t now)
{
	return m->present && !(m->expire != 0 && now > m->expire);
}

static int parse_i64(const uint8_t *p, size_t len, int64_t *out)
{
	char buf[32];
	if (len == 0 || len > 20)
		return -1;
	memcpy(buf, p, len);
	buf[len] = '\0';
	if (buf[0] == '0' && len > 1)
		return -1;
	if (buf[0] == '-' && (len == 1 || buf[1] == '0'))
		return -1;
	for (size_t i = buf[0] == '-' ? 1 : 0; i < len; i++)
		if (buf[i] < '0' || buf[i] > '9')
			return -1;
	errno = 0;
	long long v = strtoll(buf, NULL, 10);
	if (errno == ERANGE)
		return -1;
	*out = v;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* one store for the whole run (arenas are not recreated per input);
	 * every input starts from an empty, fully reclaimed store */
	static struct sl_store *s;
	if (s == NULL) {
		struct sl_store_config c;
		sl_store_config_default(&c);
		c.n_parts = 2;
		c.initial_buckets = 2;
		s = sl_store_create(&c);
		if (s == NULL)
			abort();
	}
	sl_store_reader_online(s, 0);
	sl_store_reader_online(s, 1);
	static struct model m[NK];
	memset(m, 0, sizeof(m));
	char keys[NK][8];
	for (int i = 0; i < NK; i++)
		snprintf(keys[i], sizeof(keys[i]), "k%d", i);
	uint64_t now = 1000000;
	size_t pos = 0;
	while (pos + 3 <= size) {
		unsigned op = data[pos] % 8, k = data[pos + 1] % NK;
		size_t vl = SL_MIN((size_t)data[pos + 2] % VMAX, size - pos - 3);
		const uint8_t *val = data + pos + 3;
		pos += 3 + vl;
		const char *key = keys[k];
		size_t klen = strlen(key);
		unsigned own = sl_store_part_of(s, sl_store_hash(key, klen));
		struct model *mk = &m[k];
		if (!alive(mk, now))
			mk->present = 0;
		struct sl_store_value v;
		int rc;
		switch (op) {
		case 0: /* SET */
			rc = sl_store_set(s, own, key, klen, val, vl, NULL, now, NULL);
			if (rc != 0)
				FAIL();
			mk->present = 1;
			mk->expire = 0;
			mk->len = vl;
			memcpy(mk->v, val, vl);
			break;
		case 1: /* DEL */
			rc = sl_store_del(s, own, key, klen, now);
			if (rc != (mk->present ? 0 : -ENOENT))
				FAIL();
			mk->present = 0;
			break;
		case 2: { /* INCRBY small */
			int64_t d = (int64_t)(vl % 7) - 3, r, cur = 0;
			int ok = !mk->present || parse_i64(mk->v, mk->len, &cur) == 0;
			rc = sl_store_incrby(s, own, key, klen, d, now, &r);
			if (!ok) {
				if (rc != -EINVAL)
					FAIL();
				break;
			}
			if (rc == -EOVERFLOW)
				break;
			if (rc != 0 || r != cur + d)
				FAIL();
			mk->len = (size_t)snprintf((char *)mk->v, sizeof(mk->v), "%lld",
						   (long long)r);
			if (!mk->present)
				mk->expire = 0;
			mk->present = 1;
			break;
		}
		case 3: { /* APPEND, bounded */
			size_t nl;
			if (mk->present && mk->len + vl > sizeof(mk->v))
				break;
			rc = sl_store_append(s, own, key, klen, val, vl, now, &nl);
			if (!mk->present) {
				mk->len = 0;
				mk->expire = 0;
			}
			memcpy(mk->v + mk->len, val, vl);
			mk->len += vl;
			mk->present = 1;
			if (rc != 0 || nl != mk->len)
				FAIL();
			break;
		}
		case 4: { /* SETRANGE at a small offset */
			size_t off = vl % 16, nl;
			if (vl == 0 || off + vl > sizeof(mk->v))
				break;
			rc = sl_store_setrange(s, own, key, klen, off, val, vl, now, &nl);
			if (!mk->present) {
				mk->len = 0;
				mk->expire = 0;
			}
			if (off > mk->len)
				memset(mk->v + mk->len, 0, off - mk->len);
			memcpy(mk->v + off, val, vl);
			mk->len = SL_MAX(mk->len, off + vl);
			mk->present = 1;
			if (rc != 0 || nl != mk->len)
				FAIL();
			break;
		}
		case 5: /* PEXPIREAT now + small */
			rc = sl_store_expire(s, own, key, klen, now + vl, 0, now);
			if (rc != (mk->present ? 0 : -ENOENT))
				FAIL();
			if (mk->present && vl == 0)
				mk->present = 0; /* at <= now deletes */
			else if (mk->present)
				mk->expire = now + vl;
			break;
		case 6: /* time passes */
			now += vl;
			break;
		default: /* GET */
			break;
		}
		/* every op is followed by a full check of the key it touched */
		if (!alive(mk, now))
			mk->present = 0;
		rc = sl_store_get(s, key, klen, now, &v);
		if (mk->present) {
			if (rc != 0 || v.len != mk->len || memcmp(v.ptr, mk->v, v.len) != 0)
				FAIL();
		} else if (rc != -ENOENT) {
			FAIL();
		}
		sl_store_quiescent(s, 0);
		sl_store_quiescent(s, 1);
		sl_store_maintain(s, own, now);
	}
	for (unsigned i = 0; i < 2; i++) {
		if (sl_store_flush(s, i) != 0)
			abort();
		struct sl_store_stats st;
		do {
			sl_store_quiescent(s, 0);
			sl_store_quiescent(s, 1);
			sl_store_maintain(s, i, now);
			sl_store_part_stats(s, i, &st);
		} while (st.retired_pending != 0);
		if (st.keys != 0 || st.used_bytes != st.alloc_bytes - st.meta_bytes)
			FAIL(); /* memory is back to the empty table */
	}
	sl_store_reader_offline(s, 0);
	sl_store_reader_offline(s, 1);
	return 0;
}
