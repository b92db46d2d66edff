/*
 * Unit tests for INFO's "# Dataplane" section and the INFO fields summed
 * over workers (connected_clients, total_connections_received,
 * total_commands_processed, rejected_connections, mem_clients_normal,
 * client_recent_max_output_buffer).
 *
 * The engine is given a fake published view of two workers
 * (struct sl_info_dataplane) with chosen counter values; every expected
 * line below was written by hand from those values and the format
 * docs/operations.md specifies (Redis's keyspace-line style, CRLF lines).
 * Without a published view (the kernel transport) the section shows the
 * answering engine's own requests and connections.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include <cmocka.h>

#include "dataplane/cmd/cmd.h"

#define NOW 1700000000000ull
/* exchange() runs commands at NOW + 1000 ms: unix second 1700000001. */
#define NOW_S 1700000001ull

struct fake_worker {
	struct sl_engine_stats eng;
	uint64_t busy, idle, loops, rx, tx;
	uint64_t drops[2];
	uint64_t tcp[2];
	uint64_t rej_max, rej_src, rej_prot;
	uint64_t out_mem, query_mem;
	uint64_t peak[SL_INFO_OBUF_SLOTS], peak_sec[SL_INFO_OBUF_SLOTS];
};

struct fx {
	struct sl_store *store;
	struct sl_engine_shared shared;
	struct sl_engine eng;
	struct sl_client cl[3];
	struct fake_worker fw[2];
	struct sl_info_worker iw[2];
	struct sl_info_dataplane dp;
};

static const char *const drop_names[] = {"runt", "ip_cksum"};
static const char *const tcp_names[] = {"segs_in", "retrans"};

static void fake_tcp_read(const void *ctx, uint64_t *out, unsigned n)
{
	const struct fake_worker *w = ctx;

	assert_int_equal(n, 2);
	out[0] = w->tcp[0];
	out[1] = w->tcp[1];
}

static void fill_fakes(struct fx *f)
{
	struct fake_worker *a = &f->fw[0], *b = &f->fw[1];
	unsigned i;

	a->eng.connected_clients = 5;
	a->eng.commands = 1000;
	a->eng.connections_received = 7;
	a->busy = 250500;
	a->idle = 750000;
	a->loops = 4000;
	a->rx = 1200;
	a->tx = 1100;
	a->drops[0] = 3;
	a->tcp[0] = 1300;
	a->tcp[1] = 2;
	a->rej_max = 1;
	a->rej_src = 2;
	a->rej_prot = 4;
	a->out_mem = 1000;
	a->query_mem = 16392;
	/* A peak 8 seconds old no longer counts; one of this second does. */
	a->peak[(NOW_S - 8) % SL_INFO_OBUF_SLOTS] = 999999;
	a->peak_sec[(NOW_S - 8) % SL_INFO_OBUF_SLOTS] = NOW_S - 8;
	a->peak[NOW_S % SL_INFO_OBUF_SLOTS] = 4096;
	a->peak_sec[NOW_S % SL_INFO_OBUF_SLOTS] = NOW_S;

	b->eng.connected_clients = 2;
	b->eng.connections_received = 2;
	b->idle = 500;
	b->loops = 10;
	b->rx = 5;
	b->tx = 4;
	b->drops[1] = 1;
	b->tcp[0] = 5;
	b->rej_prot = 1;
	b->out_mem = 24;
	/* 7 seconds ago: still within Redis's 8-second window. */
	b->peak[(NOW_S - 7) % SL_INFO_OBUF_SLOTS] = 8192;
	b->peak_sec[(NOW_S - 7) % SL_INFO_OBUF_SLOTS] = NOW_S - 7;

	for (i = 0; i < 2; i++) {
		struct fake_worker *w = &f->fw[i];
		struct sl_info_worker *v = &f->iw[i];

		v->eng = &w->eng;
		v->busy_cycles = &w->busy;
		v->idle_cycles = &w->idle;
		v->loops = &w->loops;
		v->rx_packets = &w->rx;
		v->tx_packets = &w->tx;
		v->drops = w->drops;
		v->drop_names = drop_names;
		v->n_drops = 2;
		v->tcp_names = tcp_names;
		v->n_tcp = 2;
		v->tcp_read = fake_tcp_read;
		v->tcp_ctx = w;
		v->rejected_maxclients = &w->rej_max;
		v->rejected_source = &w->rej_src;
		v->rejected_protected = &w->rej_prot;
		v->out_mem = &w->out_mem;
		v->query_mem = &w->query_mem;
		v->obuf_peak = w->peak;
		v->obuf_peak_sec = w->peak_sec;
	}
	f->dp.n_workers = 2;
	f->dp.tsc_hz = 2000000000;
	f->dp.workers = f->iw;
}

static int setup(void **state)
{
	struct sl_store_config sc;
	struct fx *f = calloc(1, sizeof(*f));
	unsigned i;

	assert_non_null(f);
	sl_store_config_default(&sc);
	f->store = sl_store_create(&sc);
	assert_non_null(f->store);
	assert_int_equal(sl_store_reader_online(f->store, 0), 0);
	sl_engine_shared_defaults(&f->shared);
	sl_engine_shared_set_store_config(&f->shared, &sc);
	f->shared.start_ms = NOW;
	assert_int_equal(sl_engine_init(&f->eng, f->store, 0, &f->shared), 0);
	for (i = 0; i < 3; i++) {
		char addr[32];

		snprintf(addr, sizeof(addr), "127.0.0.1:%u", 50000 + i);
		sl_client_init(&f->cl[i], &f->eng, addr, NOW);
	}
	fill_fakes(f);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	unsigned i;

	for (i = 0; i < 3; i++)
		sl_client_deinit(&f->cl[i]);
	sl_engine_deinit(&f->eng);
	sl_store_reader_offline(f->store, 0);
	sl_store_destroy(&f->store);
	free(f);
	return 0;
}

/* Feeds req to client c and returns everything it replied (static buffer). */
static const char *exchange(struct sl_client *c, const char *req)
{
	static char out[1 << 16];
	size_t n = 0;
	bool held;
	struct iovec iov[16];
	size_t k, i;

	sl_client_input(c, req, strlen(req), NOW + 1000, &held);
	while ((k = sl_resp_out_peek(&c->out, iov, 16)) > 0) {
		size_t done = 0;

		for (i = 0; i < k; i++) {
			assert_true(n + iov[i].iov_len < sizeof(out));
			memcpy(out + n, iov[i].iov_base, iov[i].iov_len);
			n += iov[i].iov_len;
			done += iov[i].iov_len;
		}
		sl_resp_out_consume(&c->out, done);
	}
	out[n] = '\0';
	return out;
}

/* The RESP2 bulk string INFO replies with text as its body. */
static void assert_info_reply(const char *got, const char *text)
{
	char want[8192];

	snprintf(want, sizeof(want), "$%zu\r\n%s\r\n", strlen(text), text);
	assert_string_equal(got, want);
}

static void test_dataplane_section(void **state)
{
	struct fx *f = *state;
	const char *got;

	f->shared.transport_name = "dpdk";
	f->shared.dataplane = &f->dp;
	got = exchange(&f->cl[0], "INFO dataplane\r\n");
	assert_info_reply(got,
			  "# Dataplane\r\n"
			  "transport:dpdk\r\n"
			  "workers:2\r\n"
			  "cycle_counter:tsc\r\n"
			  "tsc_hz:2000000000\r\n"
			  "worker0:requests=1000,busy_cycles=250500,idle_cycles=750000,"
			  "cycles_per_request=250.50,loops=4000,rx_packets=1200,tx_packets=1100,"
			  "connections=5,connections_received=7,rejected_connections=7,"
			  "rx_drops_runt=3,rx_drops_ip_cksum=0,tcp_segs_in=1300,tcp_retrans=2\r\n"
			  "worker1:requests=0,busy_cycles=0,idle_cycles=500,"
			  "cycles_per_request=0.00,loops=10,rx_packets=5,tx_packets=4,"
			  "connections=2,connections_received=2,rejected_connections=1,"
			  "rx_drops_runt=0,rx_drops_ip_cksum=1,tcp_segs_in=5,tcp_retrans=0\r\n"
			  "total:requests=1000,busy_cycles=250500,idle_cycles=750500,"
			  "cycles_per_request=250.50,loops=4010,rx_packets=1205,tx_packets=1104,"
			  "connections=7,connections_received=9,rejected_connections=8,"
			  "rx_drops_runt=3,rx_drops_ip_cksum=1,tcp_segs_in=1305,tcp_retrans=2\r\n");
	/* Counters move between two INFO calls: the next one reads them afresh. */
	f->fw[1].eng.commands = 3;
	f->fw[1].busy = 900;
	got = exchange(&f->cl[0], "INFO dataplane\r\n");
	assert_non_null(strstr(got, "\r\nworker1:requests=3,busy_cycles=900,idle_cycles=500,"
				    "cycles_per_request=300.00,"));
	assert_non_null(strstr(got, "\r\ntotal:requests=1003,busy_cycles=251400,"
				    "idle_cycles=750500,cycles_per_request=250.65,"));
}

static void test_sections_chosen(void **state)
{
	struct fx *f = *state;
	const char *got, *sluice, *dp;

	f->shared.transport_name = "dpdk";
	f->shared.dataplane = &f->dp;
	got = exchange(&f->cl[0], "INFO\r\n");
	assert_non_null(strstr(got, "# Sluice\r\n"));
	assert_null(strstr(got, "# Dataplane"));
	got = exchange(&f->cl[0], "INFO default\r\n");
	assert_null(strstr(got, "# Dataplane"));
	got = exchange(&f->cl[0], "INFO all\r\n");
	sluice = strstr(got, "\r\n\r\n# Sluice\r\n");
	dp = strstr(got, "\r\n\r\n# Dataplane\r\ntransport:dpdk\r\n");
	assert_non_null(sluice);
	assert_non_null(dp);
	assert_true(sluice < dp); /* last, after Redis's sections and # Sluice */
	got = exchange(&f->cl[0], "INFO everything\r\n");
	assert_non_null(strstr(got, "\r\n\r\n# Dataplane\r\ntransport:dpdk\r\n"));
	got = exchange(&f->cl[0], "INFO DataPlane\r\n");
	assert_true(strncmp(got + 6, "# Dataplane\r\n", 13) == 0);
}

/* Fields that were fixed numbers before are now sums over the published workers. */
static void test_summed_fields(void **state)
{
	struct fx *f = *state;
	const char *got;

	f->shared.transport_name = "dpdk";
	f->shared.dataplane = &f->dp;
	got = exchange(&f->cl[0], "INFO clients\r\n");
	assert_info_reply(got, "# Clients\r\n"
			       "connected_clients:7\r\n"
			       "cluster_connections:0\r\n"
			       "client_recent_max_output_buffer:8192\r\n"
			       "blocked_clients:0\r\n"
			       "tracking_clients:0\r\n"
			       "clients_in_timeout_table:0\r\n");
	got = exchange(&f->cl[0], "INFO memory\r\n");
	/* 1000 + 16392 + 24 + 0 */
	assert_non_null(strstr(got, "\r\nmem_clients_normal:17416\r\n"));
	got = exchange(&f->cl[0], "INFO stats\r\n");
	assert_non_null(strstr(got, "# Stats\r\ntotal_connections_received:9\r\n"
				    "total_commands_processed:1000\r\n"));
	assert_non_null(strstr(got, "\r\nrejected_connections:8\r\n"));
	assert_non_null(strstr(got, "\r\nevicted_keys:0\r\nevicted_clients:0\r\n"));
	/* Each refusal kind counts (maxclients, per source, protected mode). */
	f->fw[1].rej_max = 10;
	f->fw[1].rej_src = 100;
	got = exchange(&f->cl[0], "INFO stats\r\n");
	assert_non_null(strstr(got, "\r\nrejected_connections:118\r\n"));
	/* The newest peak expires 8 seconds after it was seen; nothing newer: 0. */
	f->fw[0].peak_sec[NOW_S % SL_INFO_OBUF_SLOTS] = NOW_S - 8;
	f->fw[1].peak_sec[(NOW_S - 7) % SL_INFO_OBUF_SLOTS] = NOW_S - 9;
	got = exchange(&f->cl[0], "INFO clients\r\n");
	assert_non_null(strstr(got, "\r\nclient_recent_max_output_buffer:0\r\n"));
}

/* No published view (the kernel transport): the answering engine's own counters. */
static void test_unpublished(void **state)
{
	struct fx *f = *state;
	const char *got;

	f->shared.transport_name = "kernel";
	f->shared.dataplane = NULL;
	exchange(&f->cl[1], "PING\r\nPING\r\n");
	got = exchange(&f->cl[0], "INFO dataplane\r\n");
	assert_info_reply(got, "# Dataplane\r\n"
			       "transport:kernel\r\n"
			       "workers:1\r\n"
			       "cycle_counter:none\r\n"
			       "tsc_hz:0\r\n"
			       "worker0:requests=2,connections=3,connections_received=3\r\n"
			       "total:requests=2,connections=3,connections_received=3\r\n");
	got = exchange(&f->cl[0], "INFO stats\r\n");
	assert_non_null(strstr(got, "# Stats\r\ntotal_connections_received:3\r\n"
				    "total_commands_processed:3\r\n"));
	assert_non_null(strstr(got, "\r\nrejected_connections:0\r\n"));
	got = exchange(&f->cl[0], "INFO clients\r\n");
	assert_non_null(strstr(got, "# Clients\r\nconnected_clients:3\r\n"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_dataplane_section, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sections_chosen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_summed_fields, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unpublished, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
