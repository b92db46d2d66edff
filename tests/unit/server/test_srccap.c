/*
 * Per-source connection caps (dataplane/srccap.h): the default cap, rules by
 * longest prefix, sources as /source_prefix networks, exact counts across
 * threads, and slots reused once their source has no connection left.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>

#include <cmocka.h>

#include "dataplane/srccap.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

static void test_default_cap_is_exact(void **state)
{
	struct sl_srccap c;
	int i;

	(void)state;
	assert_int_equal(sl_srccap_init(&c, 3, 32), 0);
	for (i = 0; i < 3; i++)
		assert_true(sl_srccap_admit(&c, IP(198, 18, 1, 1)));
	assert_false(sl_srccap_admit(&c, IP(198, 18, 1, 1)));
	assert_int_equal(sl_srccap_count(&c, IP(198, 18, 1, 1)), 3);
	/* another source has its own count */
	assert_true(sl_srccap_admit(&c, IP(198, 18, 1, 2)));
	sl_srccap_release(&c, IP(198, 18, 1, 1));
	assert_true(sl_srccap_admit(&c, IP(198, 18, 1, 1)));
	assert_false(sl_srccap_admit(&c, IP(198, 18, 1, 1)));
	sl_srccap_deinit(&c);
}

static void test_zero_means_no_cap_and_counts_anyway(void **state)
{
	struct sl_srccap c;
	int i;

	(void)state;
	assert_int_equal(sl_srccap_init(&c, 0, 32), 0);
	for (i = 0; i < 1000; i++)
		assert_true(sl_srccap_admit(&c, IP(198, 18, 2, 1)));
	assert_int_equal(sl_srccap_count(&c, IP(198, 18, 2, 1)), 1000);
	/* a cap set later applies to what is already open */
	sl_srccap_set_default(&c, 999);
	assert_false(sl_srccap_admit(&c, IP(198, 18, 2, 1)));
	sl_srccap_release(&c, IP(198, 18, 2, 1));
	sl_srccap_release(&c, IP(198, 18, 2, 1));
	assert_true(sl_srccap_admit(&c, IP(198, 18, 2, 1)));
	assert_false(sl_srccap_admit(&c, IP(198, 18, 2, 1)));
	sl_srccap_deinit(&c);
}

static void test_longest_prefix_rule_wins(void **state)
{
	struct sl_srccap c;
	struct sl_srccap_rule r[4];

	(void)state;
	assert_int_equal(sl_srccap_init(&c, 100, 32), 0);
	assert_int_equal(sl_srccap_set_rule(&c, IP(198, 18, 0, 0), 16, 10), 0);
	assert_int_equal(sl_srccap_set_rule(&c, IP(198, 18, 3, 77), 24, 5), 0); /* masked */
	assert_int_equal(sl_srccap_set_rule(&c, IP(198, 18, 3, 9), 32, 0), 0);
	assert_int_equal(sl_srccap_limit(&c, IP(198, 19, 0, 1)), 100); /* no rule */
	assert_int_equal(sl_srccap_limit(&c, IP(198, 18, 200, 1)), 10);
	assert_int_equal(sl_srccap_limit(&c, IP(198, 18, 3, 1)), 5);
	assert_int_equal(sl_srccap_limit(&c, IP(198, 18, 3, 9)), 0);
	/* replacing a prefix keeps one rule */
	assert_int_equal(sl_srccap_set_rule(&c, IP(198, 18, 3, 0), 24, 6), 0);
	assert_int_equal(sl_srccap_rules(&c, r, 4), 3);
	assert_int_equal(sl_srccap_limit(&c, IP(198, 18, 3, 1)), 6);
	assert_int_equal(sl_srccap_del_rule(&c, IP(198, 18, 3, 0), 24), 0);
	assert_int_equal(sl_srccap_del_rule(&c, IP(198, 18, 3, 0), 24), -ENOENT);
	assert_int_equal(sl_srccap_limit(&c, IP(198, 18, 3, 1)), 10);
	assert_int_equal(sl_srccap_limit(&c, IP(198, 18, 3, 9)), 0); /* moved, still there */
	assert_int_equal(sl_srccap_rules(&c, r, 4), 2);
	assert_int_equal(sl_srccap_set_rule(&c, 0, 33, 1), -EINVAL);
	sl_srccap_deinit(&c);
}

static void test_rule_table_full(void **state)
{
	struct sl_srccap c;
	unsigned i;

	(void)state;
	assert_int_equal(sl_srccap_init(&c, 0, 32), 0);
	for (i = 0; i < SL_SRCCAP_RULES; i++)
		assert_int_equal(sl_srccap_set_rule(&c, IP(198, 18, i, 0), 24, 1), 0);
	assert_int_equal(sl_srccap_set_rule(&c, IP(198, 19, 0, 0), 24, 1), -ENOSPC);
	/* an existing prefix can still change */
	assert_int_equal(sl_srccap_set_rule(&c, IP(198, 18, 5, 0), 24, 2), 0);
	assert_int_equal(sl_srccap_limit(&c, IP(198, 18, 5, 5)), 2);
	sl_srccap_deinit(&c);
}

static void test_sources_are_networks(void **state)
{
	struct sl_srccap c;

	(void)state;
	assert_int_equal(sl_srccap_init(&c, 2, 24), 0);
	assert_true(sl_srccap_admit(&c, IP(198, 18, 4, 1)));
	assert_true(sl_srccap_admit(&c, IP(198, 18, 4, 2)));
	assert_false(sl_srccap_admit(&c, IP(198, 18, 4, 3))); /* same /24 */
	assert_true(sl_srccap_admit(&c, IP(198, 18, 5, 1)));
	assert_int_equal(sl_srccap_count(&c, IP(198, 18, 4, 200)), 2);
	assert_int_equal(sl_srccap_init(&c, 2, 0), -EINVAL);
	sl_srccap_deinit(&c);
}

/* More distinct sources over time than slots: each slot is reused once its
 * source has gone, and the caps still hold. */
static void test_slots_are_reused(void **state)
{
	struct sl_srccap c;
	uint32_t i;

	(void)state;
	assert_int_equal(sl_srccap_init(&c, 1, 32), 0);
	for (i = 0; i < 2 * SL_SRCCAP_SLOTS; i++) { /* all of 198.18.0.0/15 */
		uint32_t a = IP(198, 18, 0, 0) + i;

		assert_true(sl_srccap_admit(&c, a));
		assert_false(sl_srccap_admit(&c, a));
		sl_srccap_release(&c, a);
	}
	assert_int_equal(atomic_load(&c.untracked), 0);
	/* Half the slots with live sources: every one is tracked (capped). */
	for (i = 0; i < SL_SRCCAP_SLOTS / 2; i++)
		assert_true(sl_srccap_admit(&c, IP(198, 18, 0, 0) + i));
	assert_int_equal(atomic_load(&c.untracked), 0);
	for (i = 0; i < SL_SRCCAP_SLOTS / 2; i++)
		assert_false(sl_srccap_admit(&c, IP(198, 18, 0, 0) + i));
	/* More live sources than slots: still admitted, the excess untracked. */
	for (i = 0; i < SL_SRCCAP_SLOTS / 2 + 1; i++)
		assert_true(sl_srccap_admit(&c, IP(198, 19, 0, 0) + i));
	assert_true(atomic_load(&c.untracked) >= 1);
	sl_srccap_deinit(&c);
}

/* Two threads admitting from the same sources never pass the cap together. */
#define THREAD_ROUNDS 20000

struct racer {
	struct sl_srccap *c;
	unsigned seed;
	unsigned held[8];
};

static void *race(void *arg)
{
	struct racer *r = arg;
	unsigned i;

	for (i = 0; i < THREAD_ROUNDS; i++) {
		unsigned s = (r->seed = r->seed * 1103515245u + 12345u) >> 16 & 7;
		uint32_t a = IP(198, 18, 9, s);

		if (r->held[s] > 0 && (i & 1)) {
			sl_srccap_release(r->c, a);
			r->held[s]--;
		} else if (sl_srccap_admit(r->c, a)) {
			r->held[s]++;
		}
		if (sl_srccap_count(r->c, a) > 4)
			return (void *)1;
	}
	return NULL;
}

static void test_two_threads_never_exceed(void **state)
{
	struct sl_srccap c;
	struct racer r[2] = {{&c, 1, {0}}, {&c, 2, {0}}};
	pthread_t t[2];
	void *ret[2];
	unsigned s;

	(void)state;
	assert_int_equal(sl_srccap_init(&c, 4, 32), 0);
	assert_int_equal(pthread_create(&t[0], NULL, race, &r[0]), 0);
	assert_int_equal(pthread_create(&t[1], NULL, race, &r[1]), 0);
	pthread_join(t[0], &ret[0]);
	pthread_join(t[1], &ret[1]);
	assert_null(ret[0]);
	assert_null(ret[1]);
	for (s = 0; s < 8; s++) {
		assert_true(r[0].held[s] + r[1].held[s] <= 4);
		assert_int_equal(sl_srccap_count(&c, IP(198, 18, 9, s)),
				 r[0].held[s] + r[1].held[s]);
	}
	sl_srccap_deinit(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_cap_is_exact),
		cmocka_unit_test(test_zero_means_no_cap_and_counts_anyway),
		cmocka_unit_test(test_longest_prefix_rule_wins),
		cmocka_unit_test(test_rule_table_full),
		cmocka_unit_test(test_sources_are_networks),
		cmocka_unit_test(test_slots_are_reused),
		cmocka_unit_test(test_two_threads_never_exceed),
	};

	return cmocka_run_group_tests_name("srccap", tests, NULL, NULL);
}
