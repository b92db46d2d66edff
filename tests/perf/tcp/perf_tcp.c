/*
 * TCP stack figures (prints, never fails on a time):
 *  1. bytes per idle established connection: N connections are opened between
 *     two stack instances over an in-memory link and left idle; the program
 *     prints the control block + table share the stack reports, and checks
 *     that idle connections hold no buffer mbufs;
 *  2. in-memory two-stack loopback throughput, 1 and 50 connections: every
 *     frame is built, checksummed in software, parsed and verified, so this is
 *     the per-core protocol cost with no NIC and no copies other than the
 *     stack's own;
 *  3. for reference, the same transfer through the kernel's TCP over
 *     127.0.0.1 driven by one thread with nonblocking sockets (the kernel
 *     also spends softirq time that this thread does not see).
 * Usage: perf_tcp [idle_conns (10000, up to 1000000)] [bytes per run (1 GiB)]
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "dataplane/common.h"
#include "dataplane/net/tcp/tcp.h"

#define IP_A RTE_IPV4(10, 0, 0, 1)
#define IP_B RTE_IPV4(10, 0, 0, 2)
#define QLEN 16384
#define MAXC 65536

struct end {
	struct sl_tcp *s;
	struct end *peer;
	struct rte_mbuf *q[QLEN];
	unsigned int qh, qt;
	uint64_t now;
	uint64_t rcvd, accepted, connected;
	int offload; /* behave like a NIC with checksum offloads */
	/* sender side */
	struct sl_tcp_conn **conns;
	unsigned int nconns;
	uint64_t per_conn_budget;
	uint64_t *sent;
};

static uint8_t payload[65536];
static struct rte_mempool *pool;

/* CPU time of this thread: the figure that does not depend on what else
 * the machine is running. */
static uint64_t cpu_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static uint64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static uint16_t link_tx(void *ctx, struct rte_mbuf **pkts, uint16_t n)
{
	struct end *e = ctx, *d = e->peer;
	uint16_t i;

	for (i = 0; i < n && d->qt - d->qh < QLEN; i++) {
		if (e->offload) {
			/* What the receiving NIC would report; the TCP checksum
			 * holds only the pseudo-header sum, as handed to a NIC. */
			pkts[i]->ol_flags =
				RTE_MBUF_F_RX_L4_CKSUM_GOOD | RTE_MBUF_F_RX_IP_CKSUM_GOOD;
		}
		d->q[d->qt++ % QLEN] = pkts[i];
	}
	return i;
}

static int resolve(void *ctx, uint32_t ip, struct rte_ether_addr *mac)
{
	(void)ctx;
	(void)ip;
	memset(mac, 2, sizeof(*mac));
	return 0;
}

static void push(struct end *e, struct sl_tcp_conn *c, unsigned int idx)
{
	while (e->sent[idx] < e->per_conn_budget) {
		uint32_t n = (uint32_t)SL_MIN((uint64_t)sizeof(payload),
					      e->per_conn_budget - e->sent[idx]);
		int r = sl_tcp_send(c, payload, n, e->now);

		if (r <= 0)
			break;
		e->sent[idx] += (uint64_t)r;
	}
}

static void on_event(void *ctx, struct sl_tcp_conn *c, enum sl_tcp_event ev, int err)
{
	struct end *e = ctx;

	(void)err;
	switch (ev) {
	case SL_TCP_EV_ACCEPT:
		e->accepted++;
		break;
	case SL_TCP_EV_CONNECTED:
		e->connected++;
		/* fallthrough */
	case SL_TCP_EV_WRITABLE: {
		uintptr_t idx = (uintptr_t)sl_tcp_conn_udata(c);

		if (e->sent != NULL)
			push(e, c, (unsigned int)idx);
		break;
	}
	case SL_TCP_EV_READABLE: {
		uint32_t n = sl_tcp_readable(c);

		e->rcvd += n;
		sl_tcp_consume(c, n, e->now);
		break;
	}
	default:
		break;
	}
}

static void deliver(struct end *e)
{
	while (e->qh != e->qt) {
		struct rte_mbuf *b[SL_BURST];
		uint16_t n = 0;

		while (e->qh != e->qt && n < SL_BURST)
			b[n++] = e->q[e->qh++ % QLEN];
		sl_tcp_input_burst(e->s, b, n, e->now);
	}
}

static void pair_create(struct end *a, struct end *b, uint32_t max_conns, uint32_t bufsz,
			int offload)
{
	struct sl_tcp_params p = {.flags = offload ? SL_TCP_F_TX_CKSUM_OFFLOAD : 0,
				  .pool = pool,
				  .tx = link_tx,
				  .event = on_event,
				  .resolve = resolve,
				  .max_conns = max_conns,
				  .max_listeners = 128,
				  .rcv_buf = bufsz,
				  .snd_buf = bufsz,
				  .secret = {7, 9}};

	memset(a, 0, sizeof(*a));
	memset(b, 0, sizeof(*b));
	a->peer = b;
	b->peer = a;
	a->offload = b->offload = offload;
	p.local_ip = IP_A;
	p.tx_ctx = p.event_ctx = a;
	a->s = sl_tcp_create(&p);
	p.local_ip = IP_B;
	p.tx_ctx = p.event_ctx = b;
	b->s = sl_tcp_create(&p);
	if (a->s == NULL || b->s == NULL) {
		fprintf(stderr, "sl_tcp_create failed\n");
		exit(1);
	}
	sl_tcp_listen(b->s, 6379, max_conns);
}

static void step(struct end *a, struct end *b)
{
	uint64_t t = mono_us();

	a->now = b->now = t;
	deliver(b);
	deliver(a);
	sl_tcp_timers(a->s, t);
	sl_tcp_timers(b->s, t);
}

/* Resident set size of the process in bytes (/proc/self/statm). */
static uint64_t rss_bytes(void)
{
	unsigned long size = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f == NULL)
		return 0;
	if (fscanf(f, "%lu %lu", &size, &resident) != 2)
		resident = 0;
	fclose(f);
	return (uint64_t)resident * (uint64_t)sysconf(_SC_PAGESIZE);
}

static void idle_footprint(unsigned int n)
{
	static struct end a, b;
	unsigned int in_use_before;
	uint64_t rss0, rss1;
	unsigned int ports = (n + 16383) / 16384;

	pair_create(&a, &b, n + 16, 65536, 0);
	for (unsigned int p = 1; p < ports; p++)
		sl_tcp_listen(b.s, (uint16_t)(6379 + p), n);
	in_use_before = rte_mempool_in_use_count(pool);
	rss0 = rss_bytes();
	for (unsigned int i = 0; i < n; i++) {
		/* 16384 ephemeral ports per server port. */
		if (sl_tcp_connect(a.s, IP_B, (uint16_t)(6379 + i / 16384), 0, NULL, mono_us()) ==
		    NULL) {
			fprintf(stderr, "connect %u failed\n", i);
			exit(1);
		}
		if (i % 256 == 255)
			step(&a, &b);
	}
	for (int k = 0; k < 100 && b.accepted < n; k++)
		step(&a, &b);
	rss1 = rss_bytes();
	printf("idle connections established: %lu of %u (client and server stacks)\n",
	       (unsigned long)b.accepted, n);
	printf("bytes per idle established connection: %zu (control block + hash-table share; "
	       "limit 1024)\n",
	       sl_tcp_conn_footprint(b.s));
	printf("measured: process RSS grew %.1f MiB for %u connections in two stacks = %.0f "
	       "bytes per connection\n",
	       (double)(rss1 - rss0) / (1 << 20), (unsigned int)b.accepted,
	       (double)(rss1 - rss0) / (2.0 * (double)SL_MAX(b.accepted, (uint64_t)1)));
	printf("buffer mbufs held by %u idle connections: %u\n", n,
	       rte_mempool_in_use_count(pool) - in_use_before);
	sl_tcp_destroy(&a.s);
	sl_tcp_destroy(&b.s);
}

static void throughput(unsigned int nconn, uint64_t bytes, int offload)
{
	static struct end a, b;
	static struct sl_tcp_conn *conns[MAXC];
	static uint64_t sent[MAXC];
	uint64_t t0, t1, c0, c1;
	struct sl_tcp_stats st;

	/* Windows sized so that all in flight fits the in-memory link queue. */
	pair_create(&a, &b, nconn + 16, nconn == 1 ? (1u << 20) : (1u << 18), offload);
	memset(sent, 0, sizeof(sent));
	a.conns = conns;
	a.sent = sent;
	a.nconns = nconn;
	a.per_conn_budget = bytes / nconn;
	for (unsigned int i = 0; i < nconn; i++)
		conns[i] = sl_tcp_connect(a.s, IP_B, 6379, 0, (void *)(uintptr_t)i, mono_us());
	t0 = mono_us();
	c0 = cpu_us();
	while (b.rcvd < a.per_conn_budget * nconn) {
		step(&a, &b);
		if (mono_us() - t0 > 120000000) {
			printf("  (stopped after 120 s)\n");
			break;
		}
	}
	t1 = mono_us();
	c1 = cpu_us();
	sl_tcp_stats_get(a.s, &st);
	printf("loopback %2u connection(s), %s: %.2f GiB, %.3f s CPU = %.2f Gbit/s per core "
	       "(%.3f s wall; %lu segments, %lu retransmitted)\n",
	       nconn, offload ? "checksum offload" : "software checksums",
	       (double)b.rcvd / (1 << 30), (double)(c1 - c0) / 1e6,
	       (double)b.rcvd * 8 / ((double)(c1 - c0) * 1e3), (double)(t1 - t0) / 1e6,
	       (unsigned long)st.segs_out, (unsigned long)st.retrans_segs);
	for (unsigned int i = 0; i < nconn; i++)
		if (conns[i] != NULL)
			sl_tcp_abort(conns[i], mono_us());
	step(&a, &b);
	sl_tcp_destroy(&a.s);
	sl_tcp_destroy(&b.s);
}

/* Kernel reference: nconn connections over 127.0.0.1, one thread. */
static void kernel_throughput(unsigned int nconn, uint64_t bytes)
{
	static int cfd[64], sfd[64];
	static uint64_t sent[64], got[64];
	static char buf[65536];
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof(sa);
	int one = 1, lfd;
	uint64_t per = bytes / nconn, total = 0, t0 = 0, t1 = 0;

	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd == -1 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) == -1 ||
	    listen(lfd, 128) == -1 || getsockname(lfd, (struct sockaddr *)&sa, &sl) == -1) {
		printf("kernel loopback: socket setup failed (%s)\n", strerror(errno));
		return;
	}
	for (unsigned int i = 0; i < nconn; i++) {
		cfd[i] = socket(AF_INET, SOCK_STREAM, 0);
		if (cfd[i] == -1 || connect(cfd[i], (struct sockaddr *)&sa, sizeof(sa)) == -1 ||
		    (sfd[i] = accept(lfd, NULL, NULL)) == -1) {
			printf("kernel loopback: connect failed (%s)\n", strerror(errno));
			return;
		}
		setsockopt(cfd[i], IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		fcntl(cfd[i], F_SETFL, O_NONBLOCK);
		fcntl(sfd[i], F_SETFL, O_NONBLOCK);
		sent[i] = got[i] = 0;
	}
	t0 = mono_us();
	while (total < per * nconn && mono_us() - t0 < 120000000) {
		for (unsigned int i = 0; i < nconn; i++) {
			if (sent[i] < per) {
				ssize_t w = write(
					cfd[i], payload,
					(size_t)SL_MIN(per - sent[i], (uint64_t)sizeof(payload)));

				if (w > 0)
					sent[i] += (uint64_t)w;
			}
			for (;;) {
				ssize_t r = read(sfd[i], buf, sizeof(buf));

				if (r <= 0)
					break;
				got[i] += (uint64_t)r;
				total += (uint64_t)r;
			}
		}
	}
	t1 = mono_us();
	/* Wall time only: the kernel does part of the work in softirq context
	 * on other cores, which this thread's CPU time does not show. */
	printf("kernel 127.0.0.1 reference (lo: 64 KiB MTU, no checksums, not comparable) "
	       "%2u connection(s): %.2f GiB in %.3f s wall = %.2f Gbit/s\n",
	       nconn, (double)total / (1 << 30), (double)(t1 - t0) / 1e6,
	       (double)total * 8 / ((double)(t1 - t0) * 1e3));
	for (unsigned int i = 0; i < nconn; i++) {
		close(cfd[i]);
		close(sfd[i]);
	}
	close(lfd);
}

int main(int argc, char **argv)
{
	char *eal[] = {argv[0],
		       "--no-huge",
		       "-m",
		       "512",
		       "--no-pci",
		       "--no-shconf",
		       "-l",
		       "0",
		       "--log-level",
		       "lib.*:error",
		       "--no-telemetry",
		       "--file-prefix",
		       "sl-perf-tcp"};
	unsigned int idle = argc > 1 ? (unsigned int)strtoul(argv[1], NULL, 0) : 10000;
	uint64_t bytes = argc > 2 ? strtoull(argv[2], NULL, 0) : (1ull << 30);

	if (rte_eal_init((int)SL_ARRAY_SIZE(eal), eal) < 0) {
		fprintf(stderr, "EAL init failed\n");
		return 1;
	}
	if (idle == 0 || idle > 1000000)
		idle = 10000;
	pool = rte_pktmbuf_pool_create("perf_tcp", 65535, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				       SOCKET_ID_ANY);
	if (pool == NULL) {
		fprintf(stderr, "mempool: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)i;
	idle_footprint(idle);
	throughput(1, bytes, 0);
	throughput(50, bytes, 0);
	throughput(1, bytes, 1);
	throughput(50, bytes, 1);
	kernel_throughput(1, bytes);
	kernel_throughput(50, bytes);
	rte_eal_cleanup();
	return 0;
}
