/*
 * libFuzzer target: arbitrary frames and application calls into one TCP
 * stack instance under virtual time. Checksum verification is bypassed
 * (SL_TCP_F_RX_CKSUM_BYPASS) so that mutations reach the state machine.
 *
 * The first byte's top bits pick CUBIC (0x80) and real checksum
 * verification (0x40). Input: a sequence of records, each [op][len lo][len hi][len bytes]:
 *   op % 8 == 0  frame as is (IPv4 fields the IP layer guarantees are fixed up);
 *                with op & 0x40 through sl_tcp_input, the net layer's hook
 *   op % 8 == 1  frame whose ACK field is replaced by the stack's last
 *                sequence number sent (plus SYN/FIN/len), and whose SEQ is
 *                replaced by the last ACK the stack sent: lets mutations get
 *                past the handshake
 *   op % 8 == 2  advance time by (first 4 bytes) microseconds, run timers
 *   op % 8 == 3  application: send len bytes on connection bytes[0]
 *   op % 8 == 4  application: consume / shutdown / close / abort (bytes[0..1])
 *   op % 8 == 5  active open to the peer address
 *   op % 8 == 6  ICMP destination unreachable quoting the record
 *   op % 8 == 7  burst of the frames left in the record (split by a length byte)
 * A fresh stack per input keeps runs deterministic; every mbuf must come back.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "dataplane/common.h"
#include "dataplane/net/tcp/tcp.h"

#define LOCAL_IP RTE_IPV4(10, 0, 0, 1)
#define PEER_IP  RTE_IPV4(10, 0, 0, 2)
#define MAX_H    64

static struct rte_mempool *pool;
static struct sl_tcp_conn *handles[MAX_H];
static unsigned int nhandles;
static uint32_t last_seq_end, last_ack;
static int have_last;

static int fuzz_resolve(void *ctx, uint32_t ip, struct rte_ether_addr *mac)
{
	(void)ctx;
	(void)ip;
	memset(mac, 2, sizeof(*mac));
	return 0;
}

static uint16_t fuzz_tx(void *ctx, struct rte_mbuf **pkts, uint16_t n)
{
	/* Sometimes refuse the tail: the stack must free it. */
	uint16_t take = n > 3 ? (uint16_t)(n - 1) : n;

	(void)ctx;
	for (uint16_t i = 0; i < take; i++) {
		const struct rte_ipv4_hdr *ip =
			rte_pktmbuf_mtod_offset(pkts[i], const struct rte_ipv4_hdr *, 14);
		const struct rte_tcp_hdr *th = (const struct rte_tcp_hdr *)(ip + 1);
		uint32_t len = rte_be_to_cpu_16(ip->total_length) - 20u - (th->data_off >> 4) * 4u;

		last_seq_end = rte_be_to_cpu_32(th->sent_seq) + len +
			       !!(th->tcp_flags & RTE_TCP_SYN_FLAG) +
			       !!(th->tcp_flags & RTE_TCP_FIN_FLAG);
		last_ack = rte_be_to_cpu_32(th->recv_ack);
		have_last = 1;
		rte_pktmbuf_free(pkts[i]);
	}
	return take;
}

static void fuzz_event(void *ctx, struct sl_tcp_conn *c, enum sl_tcp_event ev, int err)
{
	(void)ctx;
	(void)err;
	if (ev == SL_TCP_EV_ACCEPT) { /* active opens were recorded at connect */
		if (nhandles < MAX_H)
			handles[nhandles++] = c;
		else
			sl_tcp_abort(c, 0);
		return;
	}
	if (ev == SL_TCP_EV_CLOSED || ev == SL_TCP_EV_RESET) {
		for (unsigned int i = 0; i < nhandles; i++) {
			if (handles[i] == c) {
				handles[i] = handles[--nhandles];
				break;
			}
		}
	}
}

static void forget(struct sl_tcp_conn *c)
{
	fuzz_event(NULL, c, SL_TCP_EV_CLOSED, 0);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char *eal[] = {"fuzz_tcp",
		       "--no-huge",
		       "-m",
		       "256",
		       "--no-pci",
		       "--no-shconf",
		       "-l",
		       "0",
		       "--log-level",
		       "lib.*:error",
		       "--no-telemetry",
		       "--file-prefix",
		       "sl-fuzz-tcp"};

	(void)argc;
	(void)argv;
	if (rte_eal_init((int)SL_ARRAY_SIZE(eal), eal) < 0) {
		fprintf(stderr, "EAL init failed\n");
		abort();
	}
	pool = rte_pktmbuf_pool_create("fuzz_tcp", 8191, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				       SOCKET_ID_ANY);
	if (pool == NULL)
		abort();
	return 0;
}

static struct rte_mbuf *make_frame(const uint8_t *p, uint32_t len, int fix)
{
	struct rte_mbuf *m;
	uint8_t *d;
	struct rte_ipv4_hdr *ip;
	uint32_t ihl, tot;

	if (len < 14 + 20 || len > 1800)
		return NULL;
	m = rte_pktmbuf_alloc(pool);
	if (m == NULL)
		return NULL;
	d = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)len);
	if (d == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	memcpy(d, p, len);
	/* What the IPv4 layer has already validated (the interface contract). */
	ip = (struct rte_ipv4_hdr *)(d + 14);
	ihl = (ip->version_ihl & 0xf) * 4u;
	if (ihl < 20 || 14 + ihl > len)
		ihl = 20;
	ip->version_ihl = (uint8_t)(0x40 | (ihl / 4));
	ip->next_proto_id = IPPROTO_TCP;
	ip->dst_addr = rte_cpu_to_be_32(LOCAL_IP);
	ip->src_addr = rte_cpu_to_be_32(PEER_IP ^ (rte_be_to_cpu_32(ip->src_addr) & 1));
	tot = rte_be_to_cpu_16(ip->total_length);
	if (tot < ihl || tot > len - 14)
		tot = len - 14;
	ip->total_length = rte_cpu_to_be_16((uint16_t)tot);
	ip->fragment_offset &= rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG | RTE_IPV4_HDR_MF_FLAG);
	if (fix && have_last && tot >= ihl + 20) {
		struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)((uint8_t *)ip + ihl);

		th->recv_ack = rte_cpu_to_be_32(last_seq_end);
		th->sent_seq = rte_cpu_to_be_32(last_ack);
	}
	m->l2_len = 14;
	m->l3_len = (uint8_t)ihl;
	return m;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sl_tcp_params p = {
		.local_ip = LOCAL_IP,
		.pool = pool,
		.tx = fuzz_tx,
		.event = fuzz_event,
		.resolve = fuzz_resolve,
		.flags = SL_TCP_F_RX_CKSUM_BYPASS | SL_TCP_F_SYN_COOKIES,
		.max_conns = 32,
		.max_timewait = 4,
		.rcv_buf = 8192,
		.snd_buf = 8192,
		.keepidle_us = 5000000,
		.keepintvl_us = 1000000,
		.secret = {1, 2},
	};
	struct sl_tcp *s;
	uint64_t now = 1000000;
	static uint8_t buf[8192];
	size_t off = 0;

	nhandles = 0;
	have_last = 0;
	if (size > 0 && (data[0] & 0x80))
		p.cc = &sl_tcp_cc_cubic;
	if (size > 0 && (data[0] & 0x40))
		p.flags &= ~SL_TCP_F_RX_CKSUM_BYPASS; /* exercise verification too */
	s = sl_tcp_create(&p);
	if (s == NULL)
		abort();
	sl_tcp_listen(s, 6379, 2);
	while (off + 3 <= size) {
		uint8_t op = data[off];
		uint32_t len = (uint32_t)data[off + 1] | ((uint32_t)data[off + 2] << 8);
		const uint8_t *rec = data + off + 3;

		off += 3;
		if (len > size - off)
			len = (uint32_t)(size - off);
		off += len;
		switch (op % 8) {
		case 0:
		case 1: {
			struct rte_mbuf *m = make_frame(rec, len, op % 8 == 1);

			if (m != NULL && (op & 0x40)) {
				sl_tcp_input(s, m, now); /* the net layer's hook */
				sl_tcp_flush(s);
			} else if (m != NULL) {
				sl_tcp_input_burst(s, &m, 1, now);
			}
			break;
		}
		case 2: {
			uint32_t dt = 0;

			memcpy(&dt, rec, SL_MIN(len, 4u));
			now += dt % 100000000u;
			sl_tcp_timers(s, now);
			break;
		}
		case 3:
			if (nhandles > 0 && len > 0) {
				memset(buf, rec[0], sizeof(buf));
				sl_tcp_send(handles[rec[0] % nhandles], buf, len * 4, now);
			}
			break;
		case 4:
			if (nhandles > 0 && len >= 2) {
				struct sl_tcp_conn *c = handles[rec[0] % nhandles];

				switch (rec[1] % 5) {
				case 0:
					sl_tcp_consume(
						c,
						SL_MIN(sl_tcp_readable(c), (uint32_t)rec[1] * 16),
						now);
					break;
				case 1:
					sl_tcp_shutdown(c, now);
					break;
				case 2:
					forget(c);
					sl_tcp_close(c, now);
					break;
				case 3:
					forget(c);
					sl_tcp_abort(c, now);
					break;
				default: {
					struct iovec iov[4];
					uint32_t n = sl_tcp_peek_iov(c, iov, 4);

					for (uint32_t i = 0; i < n; i++)
						if (iov[i].iov_len == 0 || iov[i].iov_base == NULL)
							abort();
					sl_tcp_peek(c, rec[1], buf, sizeof(buf));
					break;
				}
				}
			}
			break;
		case 5: {
			uint16_t port = len >= 2 ? (uint16_t)(rec[0] | (rec[1] << 8)) : 0;
			struct sl_tcp_conn *c = sl_tcp_connect(s, PEER_IP, 80, port, NULL, now);

			if (c != NULL && nhandles < MAX_H)
				handles[nhandles++] = c;
			else if (c != NULL)
				sl_tcp_abort(c, now);
			break;
		}
		case 6:
			if (len >= 28)
				sl_tcp_icmp_unreach(
					s, (const struct rte_ipv4_hdr *)(const void *)rec, len,
					rec[len - 1] & 7, (uint16_t)(rec[len - 2] << 4), now);
			break;
		default: {
			struct rte_mbuf *b[SL_BURST];
			uint16_t n = 0;
			uint32_t q = 0;

			while (q < len && n < SL_BURST) {
				uint32_t fl = SL_MIN((uint32_t)rec[q] * 8, len - q - 1);

				b[n] = make_frame(rec + q + 1, fl, 1);
				if (b[n] != NULL)
					n++;
				q += 1 + fl;
			}
			sl_tcp_input_burst(s, b, n, now);
			break;
		}
		}
	}
	/* Run the clock out: every timer path, then tear down. */
	sl_tcp_timers(s, now + 3600ull * 1000000);
	sl_tcp_destroy(&s);
	if (rte_mempool_in_use_count(pool) != 0)
		abort(); /* an mbuf leaked */
	return 0;
}
