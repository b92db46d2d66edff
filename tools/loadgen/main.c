/*
 * sluice-loadgen: a Redis load generator that runs on sluice's own
 * userspace TCP stack (active open) over a DPDK port, so the client side of
 * a benchmark costs no kernel socket work and is not the bottleneck.
 *
 * Design: one lcore (the EAL main lcore, pinned with --cpu) runs one poll
 * loop: rx_burst -> our ARP replies are taken out, the rest goes through
 * sl_net (ARP replies to us, IPv4 checks) into sl_tcp -> the TCP event
 * callback parses and validates replies (loadgen.h) and, in closed loop,
 * issues the next requests at once -> open loop issues what the schedule
 * says is due -> TCP timers -> TX flush (when the burst is full, when
 * nothing arrived, or on a 100 us drain timer). No syscalls, locks or
 * allocation in the loop except a connection's reply buffer growing to fit
 * the largest reply seen (rare, bounded by --value).
 *
 * Closed loop: every connection keeps --pipeline requests outstanding;
 * latency is from the moment a request was written. Open loop: request i
 * of connection c is scheduled at start + (c + i * C) / R; it is sent when
 * due and room allows, and its latency runs from the scheduled time, so a
 * slow server cannot hide its stalls by slowing the generator down (no
 * coordinated omission).
 *
 * Every reply is validated; any wrong reply, protocol error, lost request
 * or failed connection makes the exit status 1 (setup failures: 2).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <rte_arp.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_random.h>

#include "dataplane/net/net.h"
#include "dataplane/net/tcp/tcp.h"
#include "drivers/port.h"
#include "tools/loadgen/loadgen.h"

#define MAX_EAL_ARGS   32
#define DRAIN_US       100
#define RX_BUF_MIN     (16 * 1024)
#define RX_BUF_MAX     (64u * 1024 * 1024)
#define ARP_RETRY_MS   200
#define CLOSE_LINGER_S 0.3

enum workload { WL_GET, WL_SET, WL_INCR, WL_MGET, WL_MIX };
enum phase { PH_CONNECT, PH_PRELOAD, PH_RUN, PH_DRAIN, PH_CLOSE };

static const char *const workload_names[] = {"get", "set", "incr", "mget", "mix"};

struct opts {
	char port[80];
	uint32_t ip, prefix, gateway; /* host order */
	uint32_t server;
	uint16_t server_port;
	uint32_t conns, pipeline, max_out;
	double duration, rate;
	uint64_t requests;
	enum workload wl;
	uint32_t ratio_get, ratio_set;
	uint32_t keys, vsize;
	double zipf_s; /* < 0: uniform */
	int preload;
	int show_hist;
	uint64_t seed;
	const char *json;
	const char *label;
	int cpu;
	int no_huge; /* -1 auto */
	uint32_t mbufs, sockbuf;
	double connect_timeout, drain_timeout;
};

struct conn {
	struct sl_tcp_conn *tc;
	struct sl_lg_pipe pipe;
	char *rx;
	size_t rx_len, rx_cap;
	char *tx;
	size_t tx_off, tx_len, tx_cap;
	uint64_t next_sched; /* open loop: when the next request is due */
	uint8_t up, gone, failed;
};

struct lg {
	struct opts o;
	struct sl_net *net;
	struct sl_tcp *tcp;
	uint16_t port_id;
	struct rte_mempool *pool;
	uint32_t nexthop;
	struct rte_ether_addr nexthop_mac;
	int have_mac;
	struct conn *conns;
	struct sl_lg_keyspace *ks;
	struct sl_lg_zipf zipf;
	uint64_t rng;
	struct sl_lg_hist hist;
	struct sl_lg_counts counts;
	enum phase phase;
	uint64_t hz;
	double ticks_per_us;
	uint64_t now;
	uint64_t issued, issue_limit;
	uint32_t preload_next;
	uint64_t interval; /* open loop: ticks between a connection's requests */
	uint32_t connected, conn_failed, conn_lost;
	uint64_t t_start, t_stop, t_last_reply;
	uint64_t busy_cycles, loop_cycles;
	uint64_t unsent; /* open loop: due before the run ended, never sent */
	size_t cmd_max;
};

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: sluice-loadgen --port af_xdp:IF|tap:NAME|pci:ADDR --address IP/LEN\n"
		   "         --server IP[:PORT] [options]\n"
		   "  --gateway IP          next hop for a server outside the subnet\n"
		   "  --connections C       connections [50]\n"
		   "  --pipeline P          closed loop: requests outstanding per connection [1]\n"
		   "  --rate R              open loop: aggregate requests/s over all connections\n"
		   "  --max-outstanding M   open loop: cap per connection [1024]\n"
		   "  --duration S          seconds to run [10]\n"
		   "  --requests N          stop after N requests instead\n"
		   "  --workload W          get|set|incr|mget|mix [get]\n"
		   "  --ratio G:S           mix: GET:SET ratio [9:1]\n"
		   "  --keys K              keyspace size [100000]\n"
		   "  --dist D              uniform | zipf:S (e.g. zipf:0.99) [uniform]\n"
		   "  --value V             value size in bytes [32]\n"
		   "  --preload             SET every key once before the run\n"
		   "  --seed S              PRNG seed [1]\n"
		   "  --json FILE           write results as JSON\n"
		   "  --histogram           print the latency histogram (powers of two)\n"
		   "  --label NAME          name of the run in the JSON\n"
		   "  --cpu N               CPU of the generator's lcore [first allowed]\n"
		   "  --no-huge             run without hugepages [auto]\n"
		   "  --mbufs N             packet buffers [16384 + 64 per connection]\n"
		   "  --sockbuf BYTES       TCP send/receive buffer per connection [auto: twice\n"
		   "                        what the pipeline can have in flight, 64 KiB..4 MiB]\n"
		   "  --connect-timeout S   [10]   --drain-timeout S   [5]\n"
		   "Exit status: 0 all replies valid, 1 any error counted, 2 setup failure.\n");
}

static int parse_ip(const char *s, uint32_t *ip)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		return -EINVAL;
	*ip = ntohl(a.s_addr);
	return 0;
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "sluice-loadgen: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(2);
}

static void parse_opts(struct opts *o, int argc, char **argv)
{
	enum {
		O_PORT = 256,
		O_ADDR,
		O_GW,
		O_SERVER,
		O_CONNS,
		O_PIPE,
		O_RATE,
		O_MAXOUT,
		O_DUR,
		O_REQS,
		O_WL,
		O_RATIO,
		O_KEYS,
		O_DIST,
		O_VALUE,
		O_PRELOAD,
		O_SEED,
		O_JSON,
		O_LABEL,
		O_CPU,
		O_NOHUGE,
		O_MBUFS,
		O_SOCKBUF,
		O_CTO,
		O_DTO,
		O_HIST,
		O_HELP,
	};
	static const struct option lo[] = {
		{"port", required_argument, NULL, O_PORT},
		{"address", required_argument, NULL, O_ADDR},
		{"gateway", required_argument, NULL, O_GW},
		{"server", required_argument, NULL, O_SERVER},
		{"connections", required_argument, NULL, O_CONNS},
		{"pipeline", required_argument, NULL, O_PIPE},
		{"rate", required_argument, NULL, O_RATE},
		{"max-outstanding", required_argument, NULL, O_MAXOUT},
		{"duration", required_argument, NULL, O_DUR},
		{"requests", required_argument, NULL, O_REQS},
		{"workload", required_argument, NULL, O_WL},
		{"ratio", required_argument, NULL, O_RATIO},
		{"keys", required_argument, NULL, O_KEYS},
		{"dist", required_argument, NULL, O_DIST},
		{"value", required_argument, NULL, O_VALUE},
		{"preload", no_argument, NULL, O_PRELOAD},
		{"seed", required_argument, NULL, O_SEED},
		{"json", required_argument, NULL, O_JSON},
		{"label", required_argument, NULL, O_LABEL},
		{"cpu", required_argument, NULL, O_CPU},
		{"no-huge", no_argument, NULL, O_NOHUGE},
		{"mbufs", required_argument, NULL, O_MBUFS},
		{"sockbuf", required_argument, NULL, O_SOCKBUF},
		{"connect-timeout", required_argument, NULL, O_CTO},
		{"drain-timeout", required_argument, NULL, O_DTO},
		{"histogram", no_argument, NULL, O_HIST},
		{"help", no_argument, NULL, O_HELP},
		{NULL, 0, NULL, 0},
	};
	char *slash, *end;
	int c;
	unsigned w;

	memset(o, 0, sizeof(*o));
	o->server_port = 6379;
	o->conns = 50;
	o->pipeline = 1;
	o->max_out = 1024;
	o->duration = 10;
	o->wl = WL_GET;
	o->ratio_get = 9;
	o->ratio_set = 1;
	o->keys = 100000;
	o->vsize = 32;
	o->zipf_s = -1;
	o->seed = 1;
	o->cpu = -1;
	o->no_huge = -1;
	o->sockbuf = 0; /* auto */
	o->connect_timeout = 10;
	o->drain_timeout = 5;
	o->label = "";
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case O_PORT:
			snprintf(o->port, sizeof(o->port), "%s", optarg);
			break;
		case O_ADDR:
			slash = strchr(optarg, '/');
			if (slash == NULL)
				die("--address wants IP/LEN, got '%s'", optarg);
			*slash = '\0';
			o->prefix = (uint32_t)strtoul(slash + 1, &end, 10);
			if (parse_ip(optarg, &o->ip) != 0 || *end != '\0' || o->prefix == 0 ||
			    o->prefix > 32)
				die("--address: bad address '%s/%s'", optarg, slash + 1);
			break;
		case O_GW:
			if (parse_ip(optarg, &o->gateway) != 0)
				die("--gateway: bad address '%s'", optarg);
			break;
		case O_SERVER: {
			char *colon = strchr(optarg, ':');

			if (colon != NULL) {
				*colon = '\0';
				o->server_port = (uint16_t)strtoul(colon + 1, NULL, 10);
			}
			if (parse_ip(optarg, &o->server) != 0 || o->server_port == 0)
				die("--server: bad address '%s'", optarg);
			break;
		}
		case O_CONNS:
			o->conns = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case O_PIPE:
			o->pipeline = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case O_RATE:
			o->rate = strtod(optarg, NULL);
			break;
		case O_MAXOUT:
			o->max_out = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case O_DUR:
			o->duration = strtod(optarg, NULL);
			break;
		case O_REQS:
			o->requests = strtoull(optarg, NULL, 10);
			break;
		case O_WL:
			for (w = 0; w < sizeof(workload_names) / sizeof(workload_names[0]); w++)
				if (strcmp(optarg, workload_names[w]) == 0)
					break;
			if (w == sizeof(workload_names) / sizeof(workload_names[0]))
				die("--workload: expected get|set|incr|mget|mix, got '%s'", optarg);
			o->wl = (enum workload)w;
			break;
		case O_RATIO:
			if (sscanf(optarg, "%u:%u", &o->ratio_get, &o->ratio_set) != 2 ||
			    o->ratio_get + o->ratio_set == 0)
				die("--ratio wants G:S, got '%s'", optarg);
			break;
		case O_KEYS:
			o->keys = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case O_DIST:
			if (strcmp(optarg, "uniform") == 0)
				o->zipf_s = -1;
			else if (strncmp(optarg, "zipf:", 5) == 0)
				o->zipf_s = strtod(optarg + 5, NULL);
			else
				die("--dist: expected uniform or zipf:S, got '%s'", optarg);
			break;
		case O_VALUE:
			o->vsize = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case O_PRELOAD:
			o->preload = 1;
			break;
		case O_SEED:
			o->seed = strtoull(optarg, NULL, 0);
			break;
		case O_JSON:
			o->json = optarg;
			break;
		case O_LABEL:
			o->label = optarg;
			break;
		case O_CPU:
			o->cpu = atoi(optarg);
			break;
		case O_NOHUGE:
			o->no_huge = 1;
			break;
		case O_MBUFS:
			o->mbufs = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case O_SOCKBUF:
			o->sockbuf = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case O_CTO:
			o->connect_timeout = strtod(optarg, NULL);
			break;
		case O_HIST:
			o->show_hist = 1;
			break;
		case O_DTO:
			o->drain_timeout = strtod(optarg, NULL);
			break;
		case O_HELP:
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			exit(2);
		}
	}
	if (o->port[0] == '\0' || o->ip == 0 || o->server == 0) {
		usage(stderr);
		die("--port, --address and --server are required");
	}
	if (o->conns == 0 || o->conns > 60000 || o->pipeline == 0 || o->pipeline > 4096 ||
	    o->max_out == 0 || o->keys == 0 || o->duration <= 0 || o->rate < 0 ||
	    (o->zipf_s < 0 && o->zipf_s != -1) || (o->sockbuf != 0 && o->sockbuf < 4096))
		die("an option is out of range (see --help)");
	if (o->wl == WL_MGET && o->keys < SL_LG_MGET_KEYS)
		die("--workload mget needs at least %d keys", SL_LG_MGET_KEYS);
	if (o->mbufs == 0)
		o->mbufs = 16384 + 64 * o->conns;
}

/* ------------------------------------------------------------------ */
/* Requests                                                           */
/* ------------------------------------------------------------------ */

static uint32_t draw_key(struct lg *g)
{
	if (g->o.zipf_s >= 0)
		return sl_lg_zipf_next(&g->zipf, &g->rng);
	return sl_lg_rand_below(&g->rng, g->o.keys);
}

static void choose(struct lg *g, struct sl_lg_req *r)
{
	uint32_t i;

	memset(r, 0, offsetof(struct sl_lg_req, key));
	r->nkeys = 1;
	if (g->phase == PH_PRELOAD) {
		r->op = SL_LG_OP_SET;
		r->key[0] = g->preload_next++;
		return;
	}
	switch (g->o.wl) {
	case WL_GET:
		r->op = SL_LG_OP_GET;
		break;
	case WL_SET:
		r->op = SL_LG_OP_SET;
		break;
	case WL_INCR:
		r->op = SL_LG_OP_INCR;
		break;
	case WL_MGET:
		r->op = SL_LG_OP_MGET;
		r->nkeys = SL_LG_MGET_KEYS;
		for (i = 0; i < SL_LG_MGET_KEYS; i++)
			r->key[i] = draw_key(g);
		return;
	case WL_MIX:
		r->op = sl_lg_rand_below(&g->rng, g->o.ratio_get + g->o.ratio_set) < g->o.ratio_get
				? SL_LG_OP_GET
				: SL_LG_OP_SET;
		break;
	}
	r->key[0] = draw_key(g);
}

/* Hands queued command bytes to TCP; what it does not take waits for
 * WRITABLE. */
static void try_send(struct lg *g, struct conn *c)
{
	int n;

	if (c->tc == NULL || c->tx_len == c->tx_off)
		return;
	n = sl_tcp_send(c->tc, c->tx + c->tx_off, (uint32_t)(c->tx_len - c->tx_off), g->now);
	if (n > 0)
		c->tx_off += (size_t)n;
	if (c->tx_off == c->tx_len)
		c->tx_off = c->tx_len = 0;
}

static int may_issue(const struct lg *g)
{
	if (g->phase == PH_PRELOAD)
		return g->preload_next < g->o.keys;
	return g->phase == PH_RUN && g->issued < g->issue_limit;
}

/* Encodes one request due at `sched` into c's TX buffer. 0 when there is no
 * room (pipe full, or TX buffer needs TCP to drain first). */
static int issue(struct lg *g, struct conn *c, uint64_t sched)
{
	struct sl_lg_req *r = sl_lg_pipe_tail(&c->pipe);
	int n;

	if (r == NULL || c->tc == NULL || !c->up)
		return 0;
	if (c->tx_cap - c->tx_len < g->cmd_max) {
		if (c->tx_off == 0)
			return 0;
		memmove(c->tx, c->tx + c->tx_off, c->tx_len - c->tx_off);
		c->tx_len -= c->tx_off;
		c->tx_off = 0;
		if (c->tx_cap - c->tx_len < g->cmd_max)
			return 0;
	}
	choose(g, r);
	r->sched = sched;
	n = sl_lg_encode(g->ks, r, c->tx + c->tx_len, c->tx_cap - c->tx_len);
	if (n < 0)
		return 0; /* cannot happen: room and keys were checked */
	c->tx_len += (size_t)n;
	sl_lg_pipe_push(&c->pipe);
	if (g->phase == PH_RUN)
		g->issued++;
	return 1;
}

/* Closed loop (and preload): top the connection up to its depth. */
static void fill(struct lg *g, struct conn *c)
{
	uint32_t depth = g->phase == PH_PRELOAD ? SL_MAX(g->o.pipeline, 16u) : g->o.pipeline;

	if (g->phase == PH_RUN && g->o.rate > 0)
		return;
	while (c->pipe.n < depth && may_issue(g) && issue(g, c, g->now))
		;
	try_send(g, c);
}

/* Open loop: send what the schedule says is due. */
static void open_loop(struct lg *g)
{
	uint32_t i;

	for (i = 0; i < g->o.conns; i++) {
		struct conn *c = &g->conns[i];
		int any = 0;

		while (c->next_sched <= g->now && may_issue(g) && issue(g, c, c->next_sched)) {
			c->next_sched += g->interval;
			any = 1;
		}
		if (any)
			try_send(g, c);
	}
}

/* ------------------------------------------------------------------ */
/* TCP events                                                         */
/* ------------------------------------------------------------------ */

static void conn_gone(struct lg *g, struct conn *c)
{
	c->tc = NULL;
	c->gone = 1;
	if (g->phase == PH_CLOSE)
		return;
	if (!c->up) {
		c->failed = 1;
		g->conn_failed++;
		return;
	}
	g->conn_lost++;
	sl_lg_pipe_end(g->ks, &c->pipe, c->rx_len, &g->counts);
	c->rx_len = 0;
}

static uint64_t replies(const struct sl_lg_counts *k)
{
	uint64_t n = k->ok + k->unexpected;
	int v;

	for (v = SL_LG_OK + 1; v < SL_LG_VERDICT__MAX; v++)
		n += k->verdict[v];
	return n;
}

static void on_readable(struct lg *g, struct conn *c)
{
	uint32_t avail;

	while ((avail = sl_tcp_readable(c->tc)) > 0) {
		uint64_t before = replies(&g->counts);
		uint32_t take;
		long used;

		if (c->rx_len == c->rx_cap) {
			size_t cap = c->rx_cap * 2;
			char *nb = cap <= RX_BUF_MAX ? realloc(c->rx, cap) : NULL;

			if (nb == NULL) { /* a reply larger than any we ask for */
				g->counts.protocol++;
				c->pipe.dead = 1;
				sl_lg_pipe_end(g->ks, &c->pipe, c->rx_len, &g->counts);
				sl_tcp_abort(c->tc, g->now);
				conn_gone(g, c);
				return;
			}
			c->rx = nb;
			c->rx_cap = cap;
		}
		take = (uint32_t)SL_MIN((size_t)avail, c->rx_cap - c->rx_len);
		take = sl_tcp_peek(c->tc, 0, c->rx + c->rx_len, take);
		sl_tcp_consume(c->tc, take, g->now);
		c->rx_len += take;
		used = sl_lg_pipe_input(g->ks, &c->pipe, c->rx, c->rx_len, &g->counts,
					g->phase == PH_RUN || g->phase == PH_DRAIN ? &g->hist
										   : NULL,
					g->now, g->ticks_per_us);
		if (replies(&g->counts) != before)
			g->t_last_reply = g->now;
		if (used < 0) {
			sl_lg_pipe_end(g->ks, &c->pipe, 0, &g->counts);
			sl_tcp_abort(c->tc, g->now);
			conn_gone(g, c);
			return;
		}
		memmove(c->rx, c->rx + used, c->rx_len - (size_t)used);
		c->rx_len -= (size_t)used;
	}
	if (sl_tcp_eof(c->tc) && g->phase != PH_CLOSE) {
		/* the server closed on us: whatever is outstanding is lost */
		sl_tcp_close(c->tc, g->now);
		conn_gone(g, c);
		return;
	}
	fill(g, c);
}

static void on_event(void *ctx, struct sl_tcp_conn *tc, enum sl_tcp_event ev, int err)
{
	struct lg *g = ctx;
	struct conn *c = sl_tcp_conn_udata(tc);

	(void)err;
	if (c == NULL)
		return;
	switch (ev) {
	case SL_TCP_EV_CONNECTED:
		c->up = 1;
		g->connected++;
		fill(g, c);
		break;
	case SL_TCP_EV_READABLE:
		if (c->tc != NULL)
			on_readable(g, c);
		break;
	case SL_TCP_EV_WRITABLE:
		try_send(g, c);
		fill(g, c);
		break;
	case SL_TCP_EV_CLOSED:
	case SL_TCP_EV_RESET:
		conn_gone(g, c);
		break;
	case SL_TCP_EV_ACCEPT:
		break;
	}
}

/* ------------------------------------------------------------------ */
/* Port, ARP, the loop                                                */
/* ------------------------------------------------------------------ */

static uint16_t port_tx(void *ctx, struct rte_mbuf **pkts, uint16_t n)
{
	struct lg *g = ctx;

	return rte_eth_tx_burst(g->port_id, 0, pkts, n);
}

static uint16_t tcp_tx(void *ctx, struct rte_mbuf **pkts, uint16_t n)
{
	struct lg *g = ctx;
	uint16_t i;

	for (i = 0; i < n; i++)
		sl_net_output(g->net, pkts[i]);
	return n;
}

static int resolve(void *ctx, uint32_t ip, struct rte_ether_addr *mac)
{
	struct lg *g = ctx;

	(void)ip; /* every destination goes through the one next hop */
	if (!g->have_mac)
		return -EHOSTUNREACH;
	*mac = g->nexthop_mac;
	return 0;
}

static void arp_request(struct lg *g)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(g->pool);
	struct rte_ether_hdr *eh;
	struct rte_arp_hdr *a;

	if (m == NULL)
		return;
	eh = (struct rte_ether_hdr *)rte_pktmbuf_append(m, sizeof(*eh) + sizeof(*a));
	a = (struct rte_arp_hdr *)(eh + 1);
	memset(&eh->dst_addr, 0xff, sizeof(eh->dst_addr));
	eh->src_addr = g->net->iface.mac;
	eh->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
	a->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
	a->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	a->arp_hlen = RTE_ETHER_ADDR_LEN;
	a->arp_plen = 4;
	a->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REQUEST);
	a->arp_data.arp_sha = g->net->iface.mac;
	a->arp_data.arp_sip = rte_cpu_to_be_32(g->o.ip);
	memset(&a->arp_data.arp_tha, 0, sizeof(a->arp_data.arp_tha));
	a->arp_data.arp_tip = rte_cpu_to_be_32(g->nexthop);
	sl_net_output(g->net, m);
	sl_net_flush(g->net);
}

/* Takes ARP replies (and requests) from the next hop: they carry its MAC.
 * Requests still go on to sl_net, which answers them. */
static int learn_arp(struct lg *g, struct rte_mbuf *m)
{
	const struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	const struct rte_arp_hdr *a = (const struct rte_arp_hdr *)(eh + 1);

	if (m->data_len < sizeof(*eh) + sizeof(*a) ||
	    eh->ether_type != rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP) ||
	    a->arp_data.arp_sip != rte_cpu_to_be_32(g->nexthop))
		return 0;
	g->nexthop_mac = a->arp_data.arp_sha;
	g->have_mac = 1;
	if (a->arp_opcode == rte_cpu_to_be_16(RTE_ARP_OP_REPLY)) {
		rte_pktmbuf_free(m);
		return 1;
	}
	return 0;
}

static void poll_once(struct lg *g, uint64_t *last_flush)
{
	struct rte_mbuf *pkts[SL_BURST], *keep[SL_BURST];
	uint64_t t0 = rte_rdtsc();
	uint16_t n, i, k = 0;

	g->now = t0;
	n = rte_eth_rx_burst(g->port_id, 0, pkts, SL_BURST);
	for (i = 0; i < n; i++)
		if (!learn_arp(g, pkts[i]))
			keep[k++] = pkts[i];
	if (k > 0)
		sl_net_input_burst(g->net, keep, k, t0);
	if (g->phase == PH_RUN && g->o.rate > 0)
		open_loop(g);
	sl_tcp_timers(g->tcp, t0);
	sl_tcp_flush(g->tcp);
	if (g->net->tx_n > 0 && (n == 0 || g->net->tx_n >= SL_BURST ||
				 t0 - *last_flush >= g->hz / 1000000 * DRAIN_US)) {
		sl_net_flush(g->net);
		*last_flush = t0;
	}
	if (n > 0)
		g->busy_cycles += rte_rdtsc() - t0;
}

static uint32_t outstanding(const struct lg *g)
{
	uint32_t i, n = 0;

	for (i = 0; i < g->o.conns; i++)
		n += g->conns[i].pipe.n;
	return n;
}

/* Polls until done(g) or `seconds` pass; returns 1 if done. */
static int poll_until(struct lg *g, int (*done)(struct lg *), double seconds)
{
	uint64_t last_flush = rte_rdtsc(), start = rte_rdtsc();
	uint64_t limit = (uint64_t)(seconds * (double)g->hz);

	while (!done(g)) {
		poll_once(g, &last_flush);
		if (g->now - start >= limit)
			return 0;
	}
	return 1;
}

static int arp_done(struct lg *g)
{
	static uint64_t last;

	if (g->have_mac)
		return 1;
	if (g->now - last >= g->hz / 1000 * ARP_RETRY_MS) {
		arp_request(g);
		last = g->now;
	}
	return 0;
}

static int connect_done(struct lg *g)
{
	return g->connected + g->conn_failed == g->o.conns;
}

/* Connections that can still carry requests. */
static uint32_t live(const struct lg *g)
{
	return g->connected - g->conn_lost;
}

static int preload_done(struct lg *g)
{
	return interrupted || live(g) == 0 || (g->preload_next >= g->o.keys && outstanding(g) == 0);
}

static int run_done(struct lg *g)
{
	if (interrupted || g->issued >= g->issue_limit || g->now >= g->t_stop)
		return 1;
	return live(g) == 0; /* nothing left to drive */
}

static int drain_done(struct lg *g)
{
	return outstanding(g) == 0;
}

static int never_done(struct lg *g)
{
	(void)g;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Report                                                             */
/* ------------------------------------------------------------------ */

static const double pcts[] = {50, 90, 99, 99.9};
static const char *const pct_names[] = {"p50", "p90", "p99", "p99.9"};

static void describe(const struct lg *g, char *buf, size_t len)
{
	const struct opts *o = &g->o;
	char dist[32];
	int off;

	if (o->zipf_s >= 0)
		snprintf(dist, sizeof(dist), "zipf(%.2f)", o->zipf_s);
	else
		snprintf(dist, sizeof(dist), "uniform");
	if (o->rate > 0)
		off = snprintf(buf, len, "open loop at %.0f req/s", o->rate);
	else
		off = snprintf(buf, len, "closed loop, pipeline %u", o->pipeline);
	snprintf(buf + off, len - (size_t)off, ", %u connections, %s", o->conns,
		 workload_names[o->wl]);
	off = (int)strlen(buf);
	if (o->wl == WL_MIX)
		off += snprintf(buf + off, len - (size_t)off, " %u:%u", o->ratio_get, o->ratio_set);
	snprintf(buf + off, len - (size_t)off, ", %s over %u keys, %u B values%s", dist, o->keys,
		 o->vsize, o->preload ? ", preloaded" : "");
}

static void report(const struct lg *g, double secs, uint64_t done)
{
	const struct sl_lg_counts *k = &g->counts;
	struct sl_tcp_stats ts;
	char what[256];
	unsigned i;

	sl_tcp_stats_get(g->tcp, &ts);
	describe(g, what, sizeof(what));
	printf("sluice-loadgen: %s\n", what);
	printf("%12s %12s %10s %12s %10s\n", "requests", "replies", "errors", "seconds", "ops/s");
	printf("%12" PRIu64 " %12" PRIu64 " %10" PRIu64 " %12.3f %10.0f\n", g->issued, done,
	       sl_lg_counts_errors(k) + g->conn_failed, secs, secs > 0 ? done / secs : 0);
	printf("latency us: %8s", "min");
	for (i = 0; i < 4; i++)
		printf(" %8s", pct_names[i]);
	printf(" %8s %8s\n", "max", "mean");
	printf("            %8" PRIu64, g->hist.total ? g->hist.min : 0);
	for (i = 0; i < 4; i++)
		printf(" %8" PRIu64, sl_lg_hist_percentile(&g->hist, pcts[i]));
	printf(" %8" PRIu64 " %8.1f\n", g->hist.max, sl_lg_hist_mean(&g->hist));
	if (g->o.show_hist && g->hist.total > 0) {
		/* the log buckets summed per power of two: [2^k, 2^(k+1)) us */
		uint64_t cum = 0, lo = 0, n = 0;
		uint32_t b;

		printf("%12s %12s %10s %8s\n", "us from", "us to", "count", "cum %");
		for (b = 0; b < SL_LG_HIST_BUCKETS; b++) {
			uint64_t hi = sl_lg_hist_bucket_high(b);

			n += g->hist.count[b];
			if (b + 1 < SL_LG_HIST_BUCKETS && (hi + 1) & hi)
				continue; /* not the end of a power of two */
			if (n > 0) {
				cum += n;
				printf("%12" PRIu64 " %12" PRIu64 " %10" PRIu64 " %8.3f\n", lo, hi,
				       n, 100.0 * (double)cum / (double)g->hist.total);
			}
			lo = hi + 1;
			n = 0;
		}
	}
	printf("errors: ");
	for (i = SL_LG_OK + 1; i < SL_LG_VERDICT__MAX; i++)
		printf("%s=%" PRIu64 " ", sl_lg_verdict_name(i), k->verdict[i]);
	printf("protocol=%" PRIu64 " unexpected=%" PRIu64 " truncated=%" PRIu64 " lost=%" PRIu64
	       " conn_failed=%u conn_lost=%u\n",
	       k->protocol, k->unexpected, k->truncated, k->lost, g->conn_failed, g->conn_lost);
	printf("generator: busy %.1f%% of its lcore (%.0f ns per reply), tcp retransmits %" PRIu64,
	       g->loop_cycles ? 100.0 * (double)g->busy_cycles / (double)g->loop_cycles : 0,
	       done ? (double)g->busy_cycles / g->ticks_per_us * 1000 / (double)done : 0,
	       ts.retrans_segs);
	printf(", tx frames the port refused %" PRIu64 ", tcp drops (no mbuf) %" PRIu64,
	       g->net->stats.drops[SL_NET_DROP_TX_FULL], ts.drop_nomem);
	{
		struct rte_eth_stats es;

		if (rte_eth_stats_get(g->port_id, &es) == 0)
			printf(", port rx missed %" PRIu64 " / no mbuf %" PRIu64, es.imissed,
			       es.rx_nombuf);
	}
	if (g->o.rate > 0)
		printf(", %" PRIu64 " requests due but not sent when the run ended", g->unsent);
	printf("\n");
}

static int write_json(const struct lg *g, double secs, uint64_t done)
{
	const struct sl_lg_counts *k = &g->counts;
	const struct opts *o = &g->o;
	FILE *f = fopen(o->json, "w");
	struct in_addr sa = {htonl(o->server)};
	unsigned i;
	int first = 1;

	if (f == NULL)
		return -errno;
	fprintf(f, "{\n \"label\": \"%s\",\n \"config\": {\"server\": \"%s:%u\", ", o->label,
		inet_ntoa(sa), o->server_port);
	fprintf(f,
		"\"mode\": \"%s\", \"rate\": %.0f, \"connections\": %u, \"pipeline\": %u, "
		"\"workload\": \"%s\", \"ratio\": \"%u:%u\", \"keys\": %u, \"dist\": \"%s\", "
		"\"zipf_s\": %.3f, \"value\": %u, \"preload\": %s, \"seed\": %" PRIu64 "},\n",
		o->rate > 0 ? "open" : "closed", o->rate, o->conns, o->pipeline,
		workload_names[o->wl], o->ratio_get, o->ratio_set, o->keys,
		o->zipf_s >= 0 ? "zipf" : "uniform", o->zipf_s >= 0 ? o->zipf_s : 0.0, o->vsize,
		o->preload ? "true" : "false", o->seed);
	fprintf(f,
		" \"requests\": %" PRIu64 ", \"replies\": %" PRIu64 ", \"seconds\": %.6f, "
		"\"ops\": %.1f,\n",
		g->issued, done, secs, secs > 0 ? done / secs : 0);
	fprintf(f, " \"latency_us\": {\"min\": %" PRIu64 ", ", g->hist.total ? g->hist.min : 0);
	for (i = 0; i < 4; i++)
		fprintf(f, "\"%s\": %" PRIu64 ", ", pct_names[i],
			sl_lg_hist_percentile(&g->hist, pcts[i]));
	fprintf(f, "\"max\": %" PRIu64 ", \"mean\": %.2f},\n", g->hist.max,
		sl_lg_hist_mean(&g->hist));
	fprintf(f, " \"errors\": {\"total\": %" PRIu64 ", ",
		sl_lg_counts_errors(k) + g->conn_failed);
	for (i = SL_LG_OK + 1; i < SL_LG_VERDICT__MAX; i++)
		fprintf(f, "\"%s\": %" PRIu64 ", ", sl_lg_verdict_name(i), k->verdict[i]);
	fprintf(f,
		"\"protocol\": %" PRIu64 ", \"unexpected\": %" PRIu64 ", \"truncated\": %" PRIu64
		", \"lost\": %" PRIu64 ", \"conn_failed\": %u, \"conn_lost\": %u},\n",
		k->protocol, k->unexpected, k->truncated, k->lost, g->conn_failed, g->conn_lost);
	fprintf(f, " \"unsent\": %" PRIu64 ",\n", g->unsent);
	fprintf(f, " \"generator_busy\": %.4f,\n",
		g->loop_cycles ? (double)g->busy_cycles / (double)g->loop_cycles : 0);
	fprintf(f, " \"generator_ns_per_reply\": %.1f,\n",
		done ? (double)g->busy_cycles / g->ticks_per_us * 1000 / (double)done : 0);
	/* [highest value of the bucket in us, count] for every non-empty bucket */
	fprintf(f, " \"histogram\": [");
	for (i = 0; i < SL_LG_HIST_BUCKETS; i++) {
		if (g->hist.count[i] == 0)
			continue;
		fprintf(f, "%s[%" PRIu64 ", %" PRIu64 "]", first ? "" : ", ",
			sl_lg_hist_bucket_high(i), g->hist.count[i]);
		first = 0;
	}
	fprintf(f, "]\n}\n");
	return fclose(f) == 0 ? 0 : -errno;
}

/* ------------------------------------------------------------------ */
/* Set-up                                                             */
/* ------------------------------------------------------------------ */

static int first_cpu(void)
{
	cpu_set_t set;
	int c;

	CPU_ZERO(&set);
	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		for (c = 0; c < CPU_SETSIZE; c++)
			if (CPU_ISSET(c, &set))
				return c;
	return 0;
}

/* EAL argument strings; rte_eal_init may reorder its argv, so the
 * allocations are remembered here and freed after rte_eal_cleanup. */
static char *eal_strs[MAX_EAL_ARGS];
static int eal_nstrs;

static void push(char **argv, int *argc, const char *s)
{
	char *d;

	if (*argc >= MAX_EAL_ARGS - 1 || eal_nstrs >= MAX_EAL_ARGS)
		return;
	d = strdup(s);
	if (d == NULL)
		die("out of memory");
	eal_strs[eal_nstrs++] = d;
	argv[(*argc)++] = d;
}

static void eal_setup(struct lg *g, const char *argv0, struct sl_port_conf *pc)
{
	const struct opts *o = &g->o;
	char *eal[MAX_EAL_ARGS], buf[256], err[256];
	int n = 0;
	long mem_mb = (long)((uint64_t)o->mbufs * 2560 / (1024 * 1024)) + 256;

	if (sl_port_parse(o->port, pc, err, sizeof(err)) != 0)
		die("--port: %s", err);
	pc->nb_queues = 1;
	pc->nb_rxd = 1024;
	pc->nb_txd = 1024;
	push(eal, &n, argv0);
	push(eal, &n, "--lcores");
	snprintf(buf, sizeof(buf), "0@%d", o->cpu >= 0 ? o->cpu : first_cpu());
	push(eal, &n, buf);
	if (o->no_huge == 1 || (o->no_huge == -1 && (sl_port_free_hugepages() * 2 < mem_mb ||
						     !sl_port_hugetlbfs_mounted()))) {
		push(eal, &n, "--no-huge");
		push(eal, &n, "-m");
		snprintf(buf, sizeof(buf), "%ld", mem_mb);
		push(eal, &n, buf);
		push(eal, &n, "--no-shconf");
	} else {
		push(eal, &n, "--in-memory");
	}
	push(eal, &n, "--no-telemetry");
	push(eal, &n, "--log-level");
	push(eal, &n, "*:warning");
	if (pc->kind == SL_PORT_AF_XDP) {
		/* No xdp_prog: the PMD's default program hands every frame of
		 * the queue to us; the interface is the generator's alone. */
		push(eal, &n, "--no-pci");
		push(eal, &n, "--vdev");
		snprintf(buf, sizeof(buf), "net_af_xdp0,iface=%s,start_queue=0,queue_count=1",
			 pc->name);
		push(eal, &n, buf);
	} else {
		int first = n;

		if (sl_port_ops_get(pc->kind)->eal_args(pc, eal, &n, MAX_EAL_ARGS - 1) != 0)
			die("too many EAL arguments");
		for (; first < n && eal_nstrs < MAX_EAL_ARGS; first++)
			eal_strs[eal_nstrs++] = eal[first]; /* strdup'ed by the port layer */
	}
	eal[n] = NULL;
	if (rte_eal_init(n, eal) < 0)
		die("DPDK EAL initialisation failed: %s", rte_strerror(rte_errno));
}

int main(int argc, char **argv)
{
	static struct lg g;
	struct sl_port_conf pc = {0};
	struct sl_port port;
	struct sl_net_iface iface = {0};
	struct sl_tcp_params tp = {0};
	uint64_t done0 = 0, done = 0;
	char err[512];
	double secs;
	uint32_t i, mask;
	int rc, exit_code;

	parse_opts(&g.o, argc, argv);
	{
		/* AF_XDP umem and the XDP program are locked memory. */
		struct rlimit rl = {RLIM_INFINITY, RLIM_INFINITY};

		setrlimit(RLIMIT_MEMLOCK, &rl);
	}
	eal_setup(&g, argv[0], &pc);
	g.hz = rte_get_tsc_hz();
	g.ticks_per_us = (double)g.hz / 1e6;
	g.rng = g.o.seed;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	g.pool = rte_pktmbuf_pool_create("lg_mbufs", g.o.mbufs, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					 (int)rte_socket_id());
	if (g.pool == NULL)
		die("cannot allocate %u packet buffers: %s", g.o.mbufs, rte_strerror(rte_errno));
	if (sl_port_setup(&port, &pc, g.pool, err, sizeof(err)) != 0)
		die("%s", err);
	g.port_id = port.port_id;

	mask = g.o.prefix == 32 ? 0xffffffffu : ~(0xffffffffu >> g.o.prefix);
	g.nexthop = (g.o.server & mask) == (g.o.ip & mask) ? g.o.server : g.o.gateway;
	if (g.nexthop == 0)
		die("server is outside %s's subnet and no --gateway was given", g.o.port);
	g.net = rte_zmalloc("lg_net", sizeof(*g.net), RTE_CACHE_LINE_SIZE);
	if (g.net == NULL)
		die("out of memory");
	iface.mac = port.mac;
	iface.ip = htonl(g.o.ip);
	iface.netmask = htonl(mask);
	iface.gateway = htonl(g.o.gateway);
	rc = sl_net_init(g.net, &iface, port_tx, &g);
	if (rc != 0)
		die("net: %s", strerror(-rc));

	g.ks = sl_lg_keyspace_create(g.o.keys, g.o.vsize, (uint32_t)rte_rand());
	if (g.ks == NULL)
		die("keyspace: %s", strerror(errno));
	tp.local_ip = g.o.ip;
	tp.local_mac = port.mac;
	tp.pool = g.pool;
	tp.tx = tcp_tx;
	tp.tx_ctx = &g;
	tp.event = on_event;
	tp.event_ctx = &g;
	tp.resolve = resolve;
	tp.resolve_ctx = &g;
	if ((port.tx_offloads & RTE_ETH_TX_OFFLOAD_TCP_CKSUM) &&
	    (port.tx_offloads & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM))
		tp.flags |= SL_TCP_F_TX_CKSUM_OFFLOAD;
	tp.max_conns = g.o.conns + g.o.conns / 2 + 64;
	if (g.o.sockbuf == 0) {
		/* A full receive window stalls a pipeline of large replies (16 KiB
		 * GETs at pipeline 4 ran 6x slower in 64 KiB than in 1 MiB), so
		 * leave room for twice what can be in flight. */
		uint64_t reply = (uint64_t)g.o.vsize + 64;
		uint64_t depth = g.o.rate > 0 ? 16 : g.o.pipeline;
		uint64_t want;

		if (g.o.wl == WL_MGET)
			reply *= SL_LG_MGET_KEYS;
		want = 2 * depth * SL_MAX(reply, (uint64_t)sl_lg_cmd_max(g.ks));
		g.o.sockbuf = (uint32_t)SL_MIN(SL_MAX(want, (uint64_t)65536), (uint64_t)4 << 20);
	}
	tp.rcv_buf = g.o.sockbuf;
	tp.snd_buf = g.o.sockbuf;
	tp.now_hz = g.hz;
	tp.secret[0] = rte_rand();
	tp.secret[1] = rte_rand();
	g.tcp = sl_tcp_create(&tp);
	if (g.tcp == NULL)
		die("tcp: %s", strerror(errno));
	g.net->tcp_input = sl_tcp_input;
	g.net->tcp_ctx = g.tcp;

	if (g.o.zipf_s >= 0 && sl_lg_zipf_init(&g.zipf, g.o.keys, g.o.zipf_s) != 0)
		die("zipf table: out of memory");
	sl_lg_hist_init(&g.hist);
	g.cmd_max = sl_lg_cmd_max(g.ks);
	g.conns = calloc(g.o.conns, sizeof(*g.conns));
	if (g.conns == NULL)
		die("out of memory");
	for (i = 0; i < g.o.conns; i++) {
		struct conn *c = &g.conns[i];
		uint32_t depth = g.o.rate > 0 ? g.o.max_out : SL_MAX(g.o.pipeline, 16u);

		c->rx_cap = RX_BUF_MIN;
		c->rx = malloc(c->rx_cap);
		c->tx_cap = g.cmd_max * 4 + 4096;
		c->tx = malloc(c->tx_cap);
		if (c->rx == NULL || c->tx == NULL || sl_lg_pipe_init(&c->pipe, depth) != 0)
			die("out of memory for %u connections", g.o.conns);
	}

	/* Next hop's MAC, then the connections. */
	g.phase = PH_CONNECT;
	if (!poll_until(&g, arp_done, g.o.connect_timeout))
		die("no ARP reply from the next hop within %.0f s", g.o.connect_timeout);
	for (i = 0; i < g.o.conns; i++) {
		g.conns[i].tc = sl_tcp_connect(g.tcp, g.o.server, g.o.server_port, 0, &g.conns[i],
					       rte_rdtsc());
		if (g.conns[i].tc == NULL)
			die("connect #%u: %s", i, strerror(errno));
		if (i % 64 == 63)
			poll_until(&g, never_done, 0.001); /* do not burst every SYN at once */
	}
	if (!poll_until(&g, connect_done, g.o.connect_timeout))
		fprintf(stderr, "sluice-loadgen: %u of %u connections established in %.0f s\n",
			g.connected, g.o.conns, g.o.connect_timeout);
	if (g.connected == 0)
		die("no connection could be established to the server");

	if (g.o.preload) {
		g.phase = PH_PRELOAD;
		for (i = 0; i < g.o.conns; i++)
			fill(&g, &g.conns[i]);
		poll_until(&g, preload_done, 1e9);
	}

	/* The measured run. */
	g.phase = PH_RUN;
	g.issue_limit = g.o.requests ? g.o.requests : UINT64_MAX;
	g.now = g.t_start = rte_rdtsc();
	g.t_stop = g.t_start + (uint64_t)(g.o.duration * (double)g.hz);
	if (g.o.requests)
		g.t_stop = UINT64_MAX;
	done0 = replies(&g.counts);
	if (g.o.rate > 0) {
		g.interval = (uint64_t)((double)g.hz * g.o.conns / g.o.rate);
		for (i = 0; i < g.o.conns; i++)
			g.conns[i].next_sched = g.t_start + (uint64_t)((double)g.hz * i / g.o.rate);
	} else {
		for (i = 0; i < g.o.conns; i++)
			fill(&g, &g.conns[i]);
	}
	{
		uint64_t l0 = rte_rdtsc();

		g.busy_cycles = 0;
		poll_until(&g, run_done, 1e9);
		if (g.o.rate > 0 && g.issued < g.issue_limit)
			for (i = 0; i < g.o.conns; i++)
				if (g.conns[i].next_sched <= g.now)
					g.unsent +=
						(g.now - g.conns[i].next_sched) / g.interval + 1;
		g.phase = PH_DRAIN;
		if (!poll_until(&g, drain_done, g.o.drain_timeout))
			fprintf(stderr,
				"sluice-loadgen: %u replies still outstanding after %.0f s\n",
				outstanding(&g), g.o.drain_timeout);
		g.loop_cycles = rte_rdtsc() - l0;
	}
	done = replies(&g.counts) - done0;
	secs = g.t_last_reply > g.t_start ? (double)(g.t_last_reply - g.t_start) / (double)g.hz : 0;
	for (i = 0; i < g.o.conns; i++) {
		struct conn *c = &g.conns[i];

		if (c->tc != NULL && c->pipe.n > 0)
			sl_lg_pipe_end(g.ks, &c->pipe, c->rx_len, &g.counts);
	}

	/* Close gracefully and let the FINs cross. */
	g.phase = PH_CLOSE;
	for (i = 0; i < g.o.conns; i++)
		if (g.conns[i].tc != NULL) {
			sl_tcp_close(g.conns[i].tc, rte_rdtsc());
			g.conns[i].tc = NULL;
		}
	poll_until(&g, never_done, CLOSE_LINGER_S);

	report(&g, secs, done);
	if (g.o.json != NULL && (rc = write_json(&g, secs, done)) != 0)
		fprintf(stderr, "sluice-loadgen: cannot write %s: %s\n", g.o.json, strerror(-rc));
	exit_code = sl_lg_counts_errors(&g.counts) + g.conn_failed > 0 ? 1 : 0;

	for (i = 0; i < g.o.conns; i++) {
		free(g.conns[i].rx);
		free(g.conns[i].tx);
		sl_lg_pipe_deinit(&g.conns[i].pipe);
	}
	free(g.conns);
	sl_tcp_destroy(&g.tcp);
	sl_lg_zipf_deinit(&g.zipf);
	sl_lg_keyspace_destroy(&g.ks);
	sl_port_teardown(&port);
	rte_free(g.net);
	rte_mempool_free(g.pool);
	rte_eal_cleanup();
	while (eal_nstrs > 0)
		free(eal_strs[--eal_nstrs]);
	return exit_code;
}
