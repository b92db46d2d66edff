/*
 * The kernel transport's client limits, from real clients on 127.0.0.1:
 * per-source caps at accept (Redis's "max number of clients reached", the
 * count released at close) and maxmemory-clients eviction (the largest
 * client not CLIENT NO-EVICT is reset by the worker's sweep). Expected
 * values come from the limits set, never from the code under test.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "dataplane/srccap.h"
#include "drivers/kernel.h"

/* One port per test: a failed test leaves its transport listening. */
#define PORT_CAPS  7463
#define PORT_EVICT 7464
#define LOOPBACK   0x7f000001u

static uint16_t port;

static const char maxclients_err[] = "-ERR max number of clients reached\r\n";

struct fixture {
	struct sl_store *store;
	struct sl_engine_shared shared;
	struct sl_srccap srccap;
	struct sl_kernel *k;
};

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};

	nanosleep(&ts, NULL);
}

static int start(struct fixture *f, unsigned workers, uint32_t source_cap, uint64_t maxmem_clients)
{
	struct sl_store_config sc;
	struct sl_kernel_conf kc = {0};
	char err[256];

	memset(f, 0, sizeof(*f));
	sl_store_config_default(&sc);
	sc.n_parts = workers;
	f->store = sl_store_create(&sc);
	if (f->store == NULL)
		return -1;
	sl_engine_shared_defaults(&f->shared);
	f->shared.transport_name = "kernel";
	f->shared.maxmemory_clients = maxmem_clients; /* before the workers read it */
	sl_engine_shared_set_store_config(&f->shared, &sc);
	if (sl_srccap_init(&f->srccap, source_cap, 32) != 0)
		return -1;
	kc.bind_addr = htonl(LOOPBACK);
	kc.port = port;
	kc.workers = workers;
	kc.store = f->store;
	kc.shared = &f->shared;
	kc.srccap = &f->srccap;
	f->k = sl_kernel_start(&kc, err, sizeof(err));
	if (f->k == NULL)
		print_error("sl_kernel_start: %s\n", err);
	return f->k != NULL ? 0 : -1;
}

static void stop(struct fixture *f)
{
	sl_kernel_stop(&f->k);
	assert_null(f->k);
	/* Every connection was released when the transport closed it. */
	assert_int_equal(sl_srccap_count(&f->srccap, LOOPBACK), 0);
	sl_srccap_deinit(&f->srccap);
	sl_store_destroy(&f->store);
}

/* A client socket to the transport; rcvbuf > 0 sets SO_RCVBUF first. */
static int dial(int rcvbuf)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	struct timeval tv = {5, 0};
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	if (rcvbuf > 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	sa.sin_addr.s_addr = htonl(LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

/* Sends req, reads until the reply is as long as want, compares. */
static void roundtrip(int fd, const char *req, const char *want)
{
	char buf[256];
	size_t got = 0, n = strlen(want);

	assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	while (got < n) {
		ssize_t r = read(fd, buf + got, n - got);

		assert_true(r > 0);
		got += (size_t)r;
	}
	assert_memory_equal(buf, want, n);
}

/* The first bytes the server sends unasked (a refusal), or 0 after 300 ms. */
static size_t unasked(int fd, char *buf, size_t len)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	size_t got = 0;

	if (poll(&p, 1, 300) <= 0)
		return 0;
	while (got < len) {
		ssize_t r = read(fd, buf + got, len - got);

		if (r <= 0)
			break;
		got += (size_t)r;
	}
	return got;
}

/* True once the server closed fd (EOF or reset) within 3 s, data discarded. */
static bool closed_by_server(int fd)
{
	static char sink[1 << 16];
	struct timeval tv = {3, 0};

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	for (;;) {
		ssize_t r = read(fd, sink, sizeof(sink));

		if (r == 0 || (r < 0 && errno == ECONNRESET))
			return true;
		if (r < 0)
			return false; /* timed out: still open */
	}
}

static uint32_t count_after(const struct sl_srccap *c, uint32_t want)
{
	uint32_t n = sl_srccap_count(c, LOOPBACK);

	for (int i = 0; i < 200 && n != want; i++) {
		sleep_ms(10);
		n = sl_srccap_count(c, LOOPBACK);
	}
	return n;
}

/* Two workers share one table: a cap of 2 admits 2, refuses the 3rd, and
 * frees a place when one closes. */
static void test_source_cap(void **state)
{
	static struct fixture f;
	struct sl_kernel_limits lim;
	char buf[sizeof(maxclients_err)];
	int a, b, c, d;

	(void)state;
	port = PORT_CAPS;
	assert_int_equal(start(&f, 2, 2, 0), 0);
	a = dial(0);
	roundtrip(a, "PING\r\n", "+PONG\r\n");
	b = dial(0);
	roundtrip(b, "PING\r\n", "+PONG\r\n");
	assert_int_equal(count_after(&f.srccap, 2), 2);
	c = dial(0);
	assert_int_equal(unasked(c, buf, sizeof(buf) - 1), sizeof(maxclients_err) - 1);
	assert_memory_equal(buf, maxclients_err, sizeof(maxclients_err) - 1);
	assert_true(closed_by_server(c));
	close(c);
	/* Counted after the refusal is sent: wait for it. */
	for (int i = 0; i < 200 && atomic_load(&f.shared.rejected_connections) == 0; i++)
		sleep_ms(10);
	sl_kernel_limits_get(f.k, &lim);
	assert_int_equal(lim.source_rejected, 1);
	assert_int_equal(lim.rejected, 0);
	assert_int_equal(atomic_load(&f.shared.rejected_connections), 1);
	assert_int_equal(sl_srccap_count(&f.srccap, LOOPBACK), 2);

	close(a);
	assert_int_equal(count_after(&f.srccap, 1), 1);
	d = dial(0);
	assert_int_equal(unasked(d, buf, sizeof(buf) - 1), 0);
	roundtrip(d, "PING\r\n", "+PONG\r\n");

	/* A rule set live applies to what is open: 1 for 127.0.0.1/32, 2 open. */
	assert_int_equal(sl_srccap_set_rule(&f.srccap, LOOPBACK, 32, 1), 0);
	c = dial(0);
	assert_int_equal(unasked(c, buf, sizeof(buf) - 1), sizeof(maxclients_err) - 1);
	assert_memory_equal(buf, maxclients_err, sizeof(maxclients_err) - 1);
	assert_true(closed_by_server(c));
	close(c);
	for (int i = 0; i < 200 && atomic_load(&f.shared.rejected_connections) < 2; i++)
		sleep_ms(10);
	sl_kernel_limits_get(f.k, &lim);
	assert_int_equal(lim.source_rejected, 2);
	close(b);
	close(d);
	stop(&f);
}

/*
 * maxmemory-clients 1 MiB, one worker: A pipelines 8 GETs of a 1 MiB value
 * and does not read (a 4 KiB receive buffer: nearly all 8 MiB stay with the
 * server), B (CLIENT NO-EVICT on) does the same. A is evicted within a few
 * sweeps; B, though over the limit alone, is kept and still answers.
 */
static void test_eviction(void **state)
{
	static struct fixture f;
	static char set[(1 << 20) + 64];
	struct sl_kernel_limits lim;
	size_t n;
	int a, b, s;

	(void)state;
	port = PORT_EVICT;
	assert_int_equal(start(&f, 1, 0, 1 << 20), 0);
	n = (size_t)snprintf(set, sizeof(set), "*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$%d\r\n", 1 << 20);
	memset(set + n, 'v', 1 << 20);
	memcpy(set + n + (1 << 20), "\r\n", 2);
	s = dial(0);
	n += (1 << 20) + 2;
	for (size_t off = 0; off < n;) {
		ssize_t w = write(s, set + off, n - off);

		assert_true(w > 0);
		off += (size_t)w;
	}
	roundtrip(s, "", "+OK\r\n");
	close(s);

	a = dial(4096);
	b = dial(4096);
	roundtrip(b, "CLIENT NO-EVICT on\r\n", "+OK\r\n");
	for (int i = 0; i < 8; i++) {
		assert_int_equal(write(a, "GET big\r\n", 9), 9);
		assert_int_equal(write(b, "GET big\r\n", 9), 9);
	}
	assert_true(closed_by_server(a));
	close(a);
	sl_kernel_limits_get(f.k, &lim);
	assert_int_equal(lim.evicted, 1);
	assert_int_equal(atomic_load(&f.shared.evicted_clients), 1);
	sleep_ms(500); /* five more sweeps: B stays */
	sl_kernel_limits_get(f.k, &lim);
	assert_int_equal(lim.evicted, 1);
	assert_int_equal(sl_srccap_count(&f.srccap, LOOPBACK), 1);
	close(b);
	stop(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_source_cap),
		cmocka_unit_test(test_eviction),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
