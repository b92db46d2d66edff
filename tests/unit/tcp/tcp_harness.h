/*
 * Test harness for the TCP stack: a stack instance under virtual time, a
 * scripted peer that crafts frames (correct checksums unless asked), and a
 * capture of every frame the stack transmits, parsed back into fields.
 * Expected values in the tests come from the RFCs, not from the stack.
 */
#ifndef SL_TEST_TCP_HARNESS_H
#define SL_TEST_TCP_HARNESS_H

#include <stdint.h>
#include <string.h>

#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "dataplane/common.h"
#include "dataplane/net/tcp/tcp.h"

#define H_LOCAL_IP RTE_IPV4(10, 0, 0, 1)
#define H_PEER_IP  RTE_IPV4(10, 0, 0, 2)
#define H_LPORT    6379
#define H_PPORT    40000
#define H_MAX_OUT  512
#define H_MAX_EV   1024

#define F_FIN RTE_TCP_FIN_FLAG
#define F_SYN RTE_TCP_SYN_FLAG
#define F_RST RTE_TCP_RST_FLAG
#define F_PSH RTE_TCP_PSH_FLAG
#define F_ACK RTE_TCP_ACK_FLAG

/* One transmitted segment, decoded. */
struct out_seg {
	uint8_t fl;
	uint32_t seq, ack;
	uint16_t wnd;
	uint32_t len;
	uint8_t data[2048];
	int mss, ws, sack_ok, has_ts;
	uint32_t tsval, tsecr;
	int nsack;
	uint32_t sack[4][2];
	int ip_ok, tcp_ok; /* checksums verified */
	uint32_t dst_ip;
	uint16_t sport, dport;
	struct rte_ether_addr dmac;
};

struct ev_rec {
	struct sl_tcp_conn *c;
	enum sl_tcp_event ev;
	int err;
};

struct harness {
	struct sl_tcp *s;
	struct sl_tcp_params p;
	uint64_t now;
	struct out_seg out[H_MAX_OUT];
	unsigned int nout, rd; /* captured, next unread */
	struct ev_rec ev[H_MAX_EV];
	unsigned int nev;
	struct sl_tcp_conn *conn; /* last accepted / connected */
	int refuse_tx;            /* tx function takes nothing */
	int close_on_event;       /* test hook */
	/* peer state */
	uint32_t pseq; /* peer's next sequence number */
	uint32_t pack; /* what the peer acknowledges */
	uint16_t pport;
};

/* Options the peer puts in a segment. */
struct popts {
	int mss; /* 0 = none */
	int ws;  /* -1 = none */
	int sack_ok;
	int ts; /* include TS */
	uint32_t tsval, tsecr;
	int nsack;
	uint32_t sack[4][2];
	const uint8_t *raw; /* raw option bytes instead */
	unsigned int rawlen;
};

struct rte_mempool *h_pool(void);
void h_init(struct harness *h, const struct sl_tcp_params *over);
void h_fini(struct harness *h);
/* Build a frame from the peer. */
struct rte_mbuf *h_frame(struct harness *h, uint8_t fl, uint32_t seq, uint32_t ack, uint16_t wnd,
			 const struct popts *o, const void *data, uint32_t len);
void h_input(struct harness *h, struct rte_mbuf *m);
void h_send(struct harness *h, uint8_t fl, uint32_t seq, uint32_t ack, uint16_t wnd,
	    const struct popts *o, const void *data, uint32_t len);
void h_advance(struct harness *h, uint64_t us); /* time passes, timers run */
struct out_seg *h_next(struct harness *h);      /* next unread output or NULL */
unsigned int h_pending(const struct harness *h);
int h_count_ev(const struct harness *h, enum sl_tcp_event ev);
/* Passive handshake from the peer with options o (NULL: MSS 1460 only);
 * returns the SYN-ACK; the connection is in h->conn. */
struct out_seg *h_accept(struct harness *h, const struct popts *o, uint32_t isn);
uint64_t h_stat(struct harness *h, const char *name);

#endif
