/*
 * The XDP admission program, run in the kernel with BPF_PROG_TEST_RUN on
 * crafted frames: every decision path, and the effect of each map on it.
 *
 * The object is the one the build produced (path in argv[1]); it is loaded
 * with libbpf exactly as the af_xdp PMD loads it. A decision is identified
 * by the program's return code and by which per-CPU counter moved, so a
 * redirect to an (absent) AF_XDP socket, which test runs report as XDP_PASS,
 * is still told apart from a pass to the kernel. Needs root (CAP_BPF).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/bpf.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include <cmocka.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "control/bpf/sluice_maps.h"
#include "control/xdp.h"

static const char *obj_path;
static struct bpf_object *obj;
static int prog_fd, cfg_fd, stats_fd, acl_fd, caps_fd, syn_fd, conns_fd;

static const uint8_t svc_ip[4] = {198, 18, 0, 1};
static const uint8_t client_ip[4] = {198, 18, 0, 2};
static const uint8_t other_client[4] = {198, 18, 7, 9};
static const uint8_t other_ip[4] = {198, 18, 0, 77};

/* ---- frames ---- */

struct frame {
	uint8_t b[256];
	uint32_t len;
};

static void put(struct frame *f, const void *p, uint32_t n)
{
	memcpy(f->b + f->len, p, n);
	f->len += n;
}

static void put16(struct frame *f, uint16_t v)
{
	uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};

	put(f, b, 2);
}

static void eth(struct frame *f, uint16_t type)
{
	static const uint8_t dst[6] = {2, 0, 0, 0, 0, 1}, src[6] = {2, 0, 0, 0, 0, 2};

	f->len = 0;
	put(f, dst, 6);
	put(f, src, 6);
	put16(f, type);
}

static void arp_req(struct frame *f, const uint8_t *target)
{
	static const uint8_t sha[6] = {2, 0, 0, 0, 0, 2}, tha[6] = {0};

	eth(f, 0x0806);
	put16(f, 1);
	put16(f, 0x0800);
	put(f, (uint8_t[]){6, 4}, 2);
	put16(f, 1);
	put(f, sha, 6);
	put(f, client_ip, 4);
	put(f, tha, 6);
	put(f, target, 4);
}

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_ACK 0x10

/* IPv4 + TCP segment (checksums are not checked by the program). */
static void tcp_seg(struct frame *f, const uint8_t *src, const uint8_t *dst, uint8_t flags,
		    uint16_t frag)
{
	eth(f, 0x0800);
	put(f, (uint8_t[]){0x45, 0}, 2);
	put16(f, 40);
	put16(f, 1);
	put16(f, frag);
	put(f, (uint8_t[]){64, 6}, 2);
	put16(f, 0);
	put(f, src, 4);
	put(f, dst, 4);
	put16(f, 40000);
	put16(f, 6379);
	put(f, (uint8_t[]){0, 0, 0, 1, 0, 0, 0, 0}, 8);
	put(f, (uint8_t[]){0x50, flags}, 2);
	put16(f, 65535);
	put16(f, 0);
	put16(f, 0);
}

static void icmp_echo(struct frame *f, const uint8_t *dst)
{
	eth(f, 0x0800);
	put(f, (uint8_t[]){0x45, 0}, 2);
	put16(f, 28);
	put16(f, 1);
	put16(f, 0);
	put(f, (uint8_t[]){64, 1}, 2);
	put16(f, 0);
	put(f, client_ip, 4);
	put(f, dst, 4);
	put(f, (uint8_t[]){8, 0, 0, 0, 0, 1, 0, 1}, 8);
}

/* ---- running the program ---- */

/* Runs f; checks the return code and that exactly counter `want` moved. */
static void expect(const struct frame *f, uint32_t retval, enum sl_xdp_stat want)
{
	uint64_t before[SL_XDP_STAT__MAX], after[SL_XDP_STAT__MAX];
	uint8_t out[256];
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = f->b, .data_size_in = f->len,
		    .data_out = out, .data_size_out = sizeof(out), .repeat = 1);
	unsigned i;

	assert_int_equal(sl_xdp_read_stats(stats_fd, before), 0);
	assert_int_equal(bpf_prog_test_run_opts(prog_fd, &opts), 0);
	assert_int_equal(opts.retval, retval);
	assert_int_equal(sl_xdp_read_stats(stats_fd, after), 0);
	for (i = 0; i < SL_XDP_STAT__MAX; i++)
		assert_int_equal(after[i] - before[i], i == want ? 1 : 0);
}

static void set_cfg(uint32_t flags, uint32_t syn_rate, uint32_t syn_burst, uint32_t cap,
		    uint32_t slack)
{
	struct sl_bpf_cfg c;
	uint32_t key = 0;

	memset(&c, 0, sizeof(c));
	memcpy(&c.service_ip, svc_ip, 4);
	c.service_port = htons(6379);
	c.flags = flags;
	c.syn_rate = syn_rate;
	c.syn_burst = syn_burst;
	c.conn_cap = cap;
	c.conn_slack = slack;
	c.sketch_seed = 0x5eed;
	assert_int_equal(bpf_map_update_elem(cfg_fd, &key, &c, BPF_ANY), 0);
}

static void fill_sketch(uint32_t v)
{
	static struct sl_bpf_sketch sk;
	uint32_t key = 0, r, c;

	for (r = 0; r < SL_BPF_SKETCH_ROWS; r++)
		for (c = 0; c < SL_BPF_SKETCH_COLS; c++)
			sk.count[r][c] = v;
	assert_int_equal(bpf_map_update_elem(conns_fd, &key, &sk, BPF_ANY), 0);
}

static void acl(const uint8_t *addr, uint32_t prefixlen, uint32_t action)
{
	struct sl_bpf_acl_key k = {.prefixlen = prefixlen};

	memcpy(&k.addr, addr, 4);
	assert_int_equal(bpf_map_update_elem(acl_fd, &k, &action, BPF_ANY), 0);
}

static void clear_maps(void)
{
	struct sl_bpf_acl_key k;
	uint32_t a;

	while (bpf_map_get_next_key(acl_fd, NULL, &k) == 0)
		bpf_map_delete_elem(acl_fd, &k);
	while (bpf_map_get_next_key(caps_fd, NULL, &k) == 0)
		bpf_map_delete_elem(caps_fd, &k);
	while (bpf_map_get_next_key(syn_fd, NULL, &a) == 0)
		bpf_map_delete_elem(syn_fd, &a);
	fill_sketch(0);
}

static int setup(void **state)
{
	(void)state;
	clear_maps();
	set_cfg(SL_BPF_CFG_F_ACTIVE, 0, 0, 0, 0);
	return 0;
}

/* ---- decisions ---- */

#define PASS XDP_PASS
#define DROP XDP_DROP
/* A redirect to a queue with no AF_XDP socket falls back to XDP_PASS. */
#define REDIR XDP_PASS

static void test_inactive_passes_everything(void **state)
{
	struct frame f;

	(void)state;
	set_cfg(0, 0, 0, 0, 0);
	tcp_seg(&f, client_ip, svc_ip, TH_SYN, 0);
	expect(&f, PASS, SL_XDP_PASS_INACTIVE);
	arp_req(&f, svc_ip);
	expect(&f, PASS, SL_XDP_PASS_INACTIVE);
}

static void test_arp_for_service_redirected_other_passed(void **state)
{
	struct frame f;

	(void)state;
	arp_req(&f, svc_ip);
	expect(&f, REDIR, SL_XDP_REDIRECT_ARP);
	arp_req(&f, other_ip);
	expect(&f, PASS, SL_XDP_PASS_OTHER);
}

static void test_other_traffic_goes_to_the_kernel(void **state)
{
	struct frame f;

	(void)state;
	tcp_seg(&f, client_ip, other_ip, TH_SYN, 0);
	expect(&f, PASS, SL_XDP_PASS_OTHER);
	eth(&f, 0x86dd);
	put(&f, (uint8_t[40]){0x60}, 40);
	expect(&f, PASS, SL_XDP_PASS_OTHER);
}

static void test_malformed_passes(void **state)
{
	struct frame f;

	(void)state;
	eth(&f, 0x0800);
	put(&f, (uint8_t[10]){0x45}, 10); /* truncated IPv4 header */
	expect(&f, PASS, SL_XDP_PASS_MALFORMED);
	eth(&f, 0x0806);
	put(&f, (uint8_t[10]){0}, 10); /* truncated ARP */
	expect(&f, PASS, SL_XDP_PASS_MALFORMED);
}

static void test_icmp_and_segments_to_service_redirected(void **state)
{
	struct frame f;

	(void)state;
	icmp_echo(&f, svc_ip);
	expect(&f, REDIR, SL_XDP_REDIRECT_IPV4);
	tcp_seg(&f, client_ip, svc_ip, TH_ACK, 0);
	expect(&f, REDIR, SL_XDP_REDIRECT_IPV4);
	tcp_seg(&f, client_ip, svc_ip, TH_SYN | TH_ACK, 0);
	expect(&f, REDIR, SL_XDP_REDIRECT_IPV4);
	tcp_seg(&f, client_ip, svc_ip, TH_SYN | TH_RST, 0);
	expect(&f, REDIR, SL_XDP_REDIRECT_IPV4);
}

static void test_truncated_tcp_and_fragments_not_judged(void **state)
{
	struct frame f;

	(void)state;
	set_cfg(SL_BPF_CFG_F_ACTIVE | SL_BPF_CFG_F_OVERLOAD, 0, 0, 0, 0);
	tcp_seg(&f, client_ip, svc_ip, TH_SYN, 0x2000); /* more fragments */
	expect(&f, REDIR, SL_XDP_REDIRECT_IPV4);
	tcp_seg(&f, client_ip, svc_ip, TH_SYN, 0);
	f.len = 14 + 20 + 10; /* TCP header cut short */
	expect(&f, REDIR, SL_XDP_REDIRECT_IPV4);
}

static void test_syn_admitted(void **state)
{
	struct frame f;

	(void)state;
	tcp_seg(&f, client_ip, svc_ip, TH_SYN, 0);
	expect(&f, REDIR, SL_XDP_REDIRECT_SYN);
}

static void test_overload_sheds_syns_only(void **state)
{
	struct frame f;

	(void)state;
	set_cfg(SL_BPF_CFG_F_ACTIVE | SL_BPF_CFG_F_OVERLOAD, 0, 0, 0, 0);
	tcp_seg(&f, client_ip, svc_ip, TH_SYN, 0);
	expect(&f, DROP, SL_XDP_DROP_OVERLOAD);
	tcp_seg(&f, client_ip, svc_ip, TH_ACK, 0);
	expect(&f, REDIR, SL_XDP_REDIRECT_IPV4);
	tcp_seg(&f, client_ip, svc_ip, TH_ACK | TH_FIN, 0);
	expect(&f, REDIR, SL_XDP_REDIRECT_IPV4);
}

static void test_acl_longest_prefix_decides(void **state)
{
	struct frame f;

	(void)state;
	acl((const uint8_t[]){198, 18, 0, 0}, 24, SL_BPF_ACL_DENY);
	tcp_seg(&f, client_ip, svc_ip, TH_SYN, 0);
	expect(&f, DROP, SL_XDP_DROP_ACL);
	tcp_seg(&f, other_client, svc_ip, TH_SYN, 0); /* 198.18.7.9: outside the /24 */
	expect(&f, REDIR, SL_XDP_REDIRECT_SYN);
	acl(client_ip, 32, SL_BPF_ACL_ALLOW); /* more specific allow wins */
	tcp_seg(&f, client_ip, svc_ip, TH_SYN, 0);
	expect(&f, REDIR, SL_XDP_REDIRECT_SYN);
	/* established traffic of a denied source is never dropped */
	tcp_seg(&f, (const uint8_t[]){198, 18, 0, 5}, svc_ip, TH_ACK, 0);
	expect(&f, REDIR, SL_XDP_REDIRECT_IPV4);
}

static void test_acl_default_deny(void **state)
{
	struct frame f;

	(void)state;
	set_cfg(SL_BPF_CFG_F_ACTIVE | SL_BPF_CFG_F_ACL_DEFAULT_DENY, 0, 0, 0, 0);
	tcp_seg(&f, client_ip, svc_ip, TH_SYN, 0);
	expect(&f, DROP, SL_XDP_DROP_ACL);
	acl((const uint8_t[]){198, 18, 0, 0}, 16, SL_BPF_ACL_ALLOW);
	tcp_seg(&f, client_ip, svc_ip, TH_SYN, 0);
	expect(&f, REDIR, SL_XDP_REDIRECT_SYN);
}

static void test_syn_rate_per_source(void **state)
{
	struct frame f;
	int i;

	(void)state;
	/* 1 SYN/s with a burst of 3: the test runs in far less than a second. */
	set_cfg(SL_BPF_CFG_F_ACTIVE, 1, 3, 0, 0);
	tcp_seg(&f, client_ip, svc_ip, TH_SYN, 0);
	for (i = 0; i < 3; i++)
		expect(&f, REDIR, SL_XDP_REDIRECT_SYN);
	expect(&f, DROP, SL_XDP_DROP_SYN_RATE);
	expect(&f, DROP, SL_XDP_DROP_SYN_RATE);
	/* another source has its own bucket */
	tcp_seg(&f, other_client, svc_ip, TH_SYN, 0);
	expect(&f, REDIR, SL_XDP_REDIRECT_SYN);
	/* segments of established connections do not spend tokens and are never dropped */
	tcp_seg(&f, client_ip, svc_ip, TH_ACK, 0);
	expect(&f, REDIR, SL_XDP_REDIRECT_IPV4);
}

static void test_conn_cap_with_slack(void **state)
{
	struct frame f;

	(void)state;
	set_cfg(SL_BPF_CFG_F_ACTIVE, 0, 0, 2, 1); /* shed at 2 + 1 */
	tcp_seg(&f, client_ip, svc_ip, TH_SYN, 0);
	fill_sketch(2);
	expect(&f, REDIR, SL_XDP_REDIRECT_SYN);
	fill_sketch(3);
	expect(&f, DROP, SL_XDP_DROP_CONN_CAP);
	tcp_seg(&f, client_ip, svc_ip, TH_ACK, 0);
	expect(&f, REDIR, SL_XDP_REDIRECT_IPV4);
}

static void test_conn_cap_reads_the_sources_columns(void **state)
{
	struct sl_bpf_sketch *sk;
	struct frame f;
	uint32_t r, addr;

	(void)state;
	set_cfg(SL_BPF_CFG_F_ACTIVE, 0, 0, 1, 0);
	/* The dataplane's way of counting: the shared column function, through the mmap. */
	sk = sl_xdp_mmap(conns_fd, sizeof(*sk));
	assert_non_null(sk);
	memcpy(&addr, client_ip, 4);
	for (r = 0; r < SL_BPF_SKETCH_ROWS; r++)
		__atomic_fetch_add(&sk->count[r][sl_bpf_sketch_col(addr, 0x5eed, r)], 1,
				   __ATOMIC_RELAXED);
	tcp_seg(&f, client_ip, svc_ip, TH_SYN, 0);
	expect(&f, DROP, SL_XDP_DROP_CONN_CAP);
	tcp_seg(&f, other_client, svc_ip, TH_SYN, 0); /* its estimate is still 0 */
	expect(&f, REDIR, SL_XDP_REDIRECT_SYN);
	munmap(sk, sizeof(*sk));
}

static void prefix_cap(const uint8_t *addr, uint32_t prefixlen, uint32_t cap)
{
	struct sl_bpf_acl_key k = {.prefixlen = prefixlen};

	memcpy(&k.addr, addr, 4);
	assert_int_equal(bpf_map_update_elem(caps_fd, &k, &cap, BPF_ANY), 0);
}

/*
 * sl_caps overrides the global conn_cap for sources inside a prefix, the
 * longest prefix winning; 0 there means no cap. Every source's estimate is 3
 * here, the slack 0: a cap of 3 or less sheds, 4 admits.
 */
static void test_conn_cap_per_prefix(void **state)
{
	static const uint8_t net24[4] = {198, 18, 0, 0}, net16[4] = {198, 18, 0, 0};
	static const uint8_t host[4] = {198, 18, 0, 2};
	struct frame f, g;

	(void)state;
	set_cfg(SL_BPF_CFG_F_ACTIVE, 0, 0, 10, 0);
	fill_sketch(3);
	tcp_seg(&f, client_ip, svc_ip, TH_SYN, 0);    /* 198.18.0.2 */
	tcp_seg(&g, other_client, svc_ip, TH_SYN, 0); /* 198.18.7.9 */
	expect(&f, REDIR, SL_XDP_REDIRECT_SYN);       /* global cap 10 */
	prefix_cap(net16, 16, 3);
	expect(&f, DROP, SL_XDP_DROP_CONN_CAP); /* the /16 says 3 */
	expect(&g, DROP, SL_XDP_DROP_CONN_CAP);
	prefix_cap(net24, 24, 4);
	expect(&f, REDIR, SL_XDP_REDIRECT_SYN); /* the longer /24 says 4 */
	expect(&g, DROP, SL_XDP_DROP_CONN_CAP); /* outside the /24: still the /16 */
	prefix_cap(host, 32, 0);
	set_cfg(SL_BPF_CFG_F_ACTIVE, 0, 0, 1, 0);
	expect(&f, REDIR, SL_XDP_REDIRECT_SYN); /* its /32 rule: no cap at all */
	prefix_cap(net24, 24, 2);
	expect(&f, REDIR, SL_XDP_REDIRECT_SYN); /* the /32 still wins over the /24 */
	expect(&g, DROP, SL_XDP_DROP_CONN_CAP);
	/* A prefix rule with the global cap off still caps its sources. */
	set_cfg(SL_BPF_CFG_F_ACTIVE, 0, 0, 0, 0);
	expect(&g, DROP, SL_XDP_DROP_CONN_CAP);
	tcp_seg(&g, other_client, svc_ip, TH_ACK, 0); /* established flows never judged */
	expect(&g, REDIR, SL_XDP_REDIRECT_IPV4);
}

static int find_map(const char *name)
{
	struct bpf_map *m = bpf_object__find_map_by_name(obj, name);

	return m != NULL ? bpf_map__fd(m) : -1;
}

#define T(f) cmocka_unit_test_setup(f, setup)

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		T(test_inactive_passes_everything),
		T(test_arp_for_service_redirected_other_passed),
		T(test_other_traffic_goes_to_the_kernel),
		T(test_malformed_passes),
		T(test_icmp_and_segments_to_service_redirected),
		T(test_truncated_tcp_and_fragments_not_judged),
		T(test_syn_admitted),
		T(test_overload_sheds_syns_only),
		T(test_acl_longest_prefix_decides),
		T(test_acl_default_deny),
		T(test_syn_rate_per_source),
		T(test_conn_cap_with_slack),
		T(test_conn_cap_reads_the_sources_columns),
		T(test_conn_cap_per_prefix),
	};
	struct bpf_program *prog;

	if (argc < 2) {
		fprintf(stderr, "usage: test_xdp path/to/sluice_xdp.o\n");
		return 1;
	}
	obj_path = argv[1];
	obj = bpf_object__open_file(obj_path, NULL);
	if (obj == NULL || bpf_object__load(obj) != 0) {
		fprintf(stderr, "cannot load %s: %s (needs root)\n", obj_path, strerror(errno));
		return 1;
	}
	prog = bpf_object__find_program_by_name(obj, SL_BPF_PROG_NAME);
	prog_fd = prog != NULL ? bpf_program__fd(prog) : -1;
	cfg_fd = find_map(SL_BPF_CFG_MAP);
	stats_fd = find_map(SL_BPF_STATS_MAP);
	acl_fd = find_map(SL_BPF_ACL_MAP);
	caps_fd = find_map(SL_BPF_CAPS_MAP);
	syn_fd = find_map(SL_BPF_SYN_MAP);
	conns_fd = find_map(SL_BPF_CONNS_MAP);
	if (prog_fd < 0 || cfg_fd < 0 || stats_fd < 0 || acl_fd < 0 || caps_fd < 0 || syn_fd < 0 ||
	    conns_fd < 0) {
		fprintf(stderr, "program or maps missing from %s\n", obj_path);
		return 1;
	}
	return cmocka_run_group_tests_name("xdp", tests, NULL, NULL);
}
