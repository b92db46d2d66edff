/*
 * The sluice executable: the control thread on the main lcore.
 *
 * Start-up runs every check that can fail with a clear message before
 * touching DPDK (root, hugepages, bpffs, the device, locks, XDP programs
 * already on the interface), then initialises the EAL, brings up the port,
 * activates XDP steering and launches one worker per queue. Shutdown on
 * SIGINT/SIGTERM reverses it: workers stop, steering is switched off and
 * the pins removed, the port closes (the af_xdp PMD detaches the program),
 * and the locks go last.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mbuf_pool_ops.h>
#include <rte_mempool.h>

#include "control/admin.h"
#include "control/config.h"
#include "control/instance.h"
#include "control/log.h"
#include "control/xdp.h"
#include "dataplane/worker.h"
#include "dataplane/cmd/cmd.h"
#include "dataplane/store/store.h"
#include "drivers/kernel.h"
#include "drivers/port.h"

#ifndef SL_BPF_DIR
#define SL_BPF_DIR "/usr/local/lib/sluice"
#endif

#define MAX_EAL_ARGS 32
#define ERRLEN       1024

static volatile sig_atomic_t signalled;
static atomic_int acl_configured;
static int log_to_file;
static atomic_int workers_stop;
static atomic_int workers_drain;

/* How long SIGTERM waits for replies in flight before closing anyway. */
#define DRAIN_MS 5000

static void on_signal(int sig)
{
	signalled = sig;
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
	char msg[ERRLEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* Always on stderr for whoever started us; in the log file too if there is one. */
	if (log_to_file)
		sl_log(SL_LOG_WARNING, "%s", msg);
	fprintf(stderr, "sluice: %s\n", msg);
	exit(1);
}

static void default_xdp_prog(char *buf, size_t len)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n > 0) {
		char *slash;

		exe[n] = '\0';
		slash = strrchr(exe, '/');
		if (slash != NULL) {
			*slash = '\0';
			if ((size_t)snprintf(buf, len, "%s/bpf/sluice_xdp.o", exe) < len &&
			    access(buf, R_OK) == 0)
				return;
		}
	}
	snprintf(buf, len, "%s/sluice_xdp.o", SL_BPF_DIR);
}

/*
 * The packet buffer pool. DPDK 22.11's af_xdp PMD registers the pool's
 * memory with the kernel as one UMEM: from the page under the first memory
 * chunk, populated_size objects of rte_mempool_calc_obj_size() bytes, back to
 * back. A pool that wants IOVA-contiguous objects keeps each object inside
 * one page; on 4 KiB pages (--no-huge) that is one 2368-byte mbuf per page,
 * so the objects span 4096 bytes each and the upper ~40% of them lie beyond
 * the registered UMEM. The kernel rejects every fill and TX descriptor that
 * points there as invalid (tx_invalid_descs): those frames are counted as
 * sent but never leave, their mbufs never complete, and the port stalls.
 * The PMD never uses the pool's IO addresses (the kernel maps the UMEM
 * itself), so on ordinary pages the pool gives them up
 * (RTE_MEMPOOL_F_NO_IOVA_CONTIG): objects are then packed with no gaps,
 * exactly as the PMD assumes. packed selects that layout; without it, the
 * usual rte_pktmbuf_pool_create() pool. Returns NULL with rte_errno set.
 */
static struct rte_mempool *create_mbuf_pool(unsigned n, int packed)
{
	struct rte_pktmbuf_pool_private priv = {
		.mbuf_data_room_size = RTE_MBUF_DEFAULT_BUF_SIZE,
		.mbuf_priv_size = 0,
	};
	struct rte_mempool *mp;
	int rc;

	if (!packed)
		return rte_pktmbuf_pool_create("sl_mbufs", n, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					       (int)rte_socket_id());
	mp = rte_mempool_create_empty(
		"sl_mbufs", n, sizeof(struct rte_mbuf) + RTE_MBUF_DEFAULT_BUF_SIZE, 256,
		sizeof(priv), (int)rte_socket_id(), RTE_MEMPOOL_F_NO_IOVA_CONTIG);
	if (mp == NULL)
		return NULL;
	rc = rte_mempool_set_ops_byname(mp, rte_mbuf_best_mempool_ops(), NULL);
	if (rc == 0) {
		rte_pktmbuf_pool_init(mp, &priv);
		rc = rte_mempool_populate_default(mp);
	}
	if (rc < 0) {
		rte_mempool_free(mp);
		rte_errno = -rc;
		return NULL;
	}
	rte_mempool_obj_iter(mp, rte_pktmbuf_init, NULL);
	return mp;
}

/*
 * 1 if the pool is laid out as the af_xdp PMD's UMEM assumes (see
 * create_mbuf_pool): one memory chunk holding every object back to back.
 */
static int pool_fits_umem(const struct rte_mempool *mp)
{
	const struct rte_mempool_memhdr *first = STAILQ_FIRST(&mp->mem_list);
	uint64_t need = (uint64_t)mp->populated_size *
			rte_mempool_calc_obj_size(mp->elt_size, mp->flags, NULL);

	return first != NULL && STAILQ_NEXT(first, next) == NULL && first->len >= need &&
	       first->len < need + rte_mempool_calc_obj_size(mp->elt_size, mp->flags, NULL);
}

/*
 * Automatic lcore map: lcore 0 (main) on the first allowed CPU, worker i on
 * the i-th following CPU, wrapping around (oversubscribing) when there are
 * fewer CPUs than workers + 1.
 */
static void auto_lcores(char *buf, size_t len, long long workers)
{
	cpu_set_t set;
	int cpus[CPU_SETSIZE], n = 0, c;
	size_t off = 0;
	long long i;

	CPU_ZERO(&set);
	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		for (c = 0; c < CPU_SETSIZE; c++)
			if (CPU_ISSET(c, &set))
				cpus[n++] = c;
	if (n == 0)
		cpus[n++] = 0;
	for (i = 0; i <= workers && off < len; i++) {
		int cpu = i == 0 ? cpus[0] : cpus[n == 1 ? 0 : 1 + (i - 1) % (n - 1)];

		off += (size_t)snprintf(buf + off, len - off, "%s%lld@%d", i ? "," : "", i, cpu);
	}
}

/*
 * Each worker's share of the port's egress rate in bytes per second: the
 * configured rate, or 95% of the link speed the port reports; 0 = no pacing.
 */
static uint64_t port_pace_bps(const struct sl_config *cfg, const struct sl_port *port)
{
	uint64_t mbps;

	if (cfg->port_rate_mbps < 0)
		return 0;
	mbps = cfg->port_rate_mbps > 0 ? (uint64_t)cfg->port_rate_mbps
				       : (uint64_t)port->link_speed_mbps * 95 / 100;
	return mbps * 1000000 / 8 / (uint64_t)cfg->workers;
}

static void push(char **argv, int *argc, const char *s)
{
	if (*argc < MAX_EAL_ARGS)
		argv[(*argc)++] = strdup(s);
}

static uint64_t unix_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/*
 * Serves the admin socket (or sleeps) in 100 ms ticks until SIGINT/SIGTERM,
 * running tick(arg) each time.
 */
static void wait_for_signal(struct sl_admin *admin, void (*tick)(void *), void *arg)
{
	while (!signalled) {
		struct timespec ts = {0, 100 * 1000 * 1000};

		if (admin != NULL)
			sl_admin_poll(admin, 100);
		else
			nanosleep(&ts, NULL);
		if (tick != NULL)
			tick(arg);
	}
	sl_log(SL_LOG_WARNING, "Received %s, shutting down.",
	       signalled == SIGINT ? "SIGINT" : "SIGTERM");
}

/*
 * SIGTERM drain: workers stop accepting and taking input, send the replies
 * they owe and close with FIN; wait until they report nothing left (and a
 * moment for the last FINs), at most DRAIN_MS.
 */
static void drain_workers(struct sl_worker *workers, unsigned n)
{
	unsigned waited, w, left = 0;

	atomic_store(&workers_drain, 1);
	for (waited = 0; waited < DRAIN_MS; waited += 10) {
		struct timespec ts = {0, 10 * 1000 * 1000};

		nanosleep(&ts, NULL);
		left = 0;
		for (w = 0; w < n; w++)
			left += atomic_load(&workers[w].draining_left);
		if (left == 0)
			break;
	}
	if (left == 0) {
		struct timespec ts = {0, 200 * 1000 * 1000};

		nanosleep(&ts, NULL); /* let the last FINs and ACKs cross */
		sl_log(SL_LOG_NOTICE, "drained: every reply in flight was delivered");
	} else {
		sl_log(SL_LOG_WARNING,
		       "drain timed out after %d ms with %u connection(s) still "
		       "sending; closing them",
		       DRAIN_MS, left);
	}
}

/* The XDP decisions as INFO sluice shows them (copied by watch_acl). */
static uint64_t xdp_info[SL_XDP_STAT__MAX];

/* Control-thread housekeeping every 100 ms: tells the dataplane whether an
 * ACL exists, and copies the XDP decision counters for INFO. */
static void watch_acl(void *arg)
{
	const struct sl_xdp *x = arg;
	struct sl_bpf_acl_key k;
	uint64_t v[SL_XDP_STAT__MAX];
	unsigned i;

	atomic_store_explicit(&acl_configured, bpf_map_get_next_key(x->acl_fd, NULL, &k) == 0,
			      memory_order_relaxed);
	if (sl_xdp_read_stats(x->stats_fd, v) == 0)
		for (i = 0; i < SL_XDP_STAT__MAX; i++)
			__atomic_store_n(&xdp_info[i], v[i], __ATOMIC_RELAXED);
}

/* INFO dataplane's TCP counters of one worker (ctx: its struct sl_server). */
static void read_tcp_stats(const void *ctx, uint64_t *out, unsigned n)
{
	const struct sl_server *srv = ctx;
	/* Set by sl_server_init while other workers may already answer INFO. */
	struct sl_tcp *tcp = __atomic_load_n(&srv->tcp, __ATOMIC_ACQUIRE);
	struct sl_tcp_stats ts;

	if (tcp == NULL) {
		memset(out, 0, (size_t)n * sizeof(*out));
		return;
	}
	sl_tcp_stats_get(tcp, &ts);
	memcpy(out, &ts, SL_MIN(sizeof(ts), (size_t)n * sizeof(*out)));
}

/*
 * Publishes every worker's counters for INFO (struct sl_info_dataplane):
 * addresses only, filled before any worker starts, read-only afterwards.
 * Returns the per-worker array for the caller to free once workers stopped.
 */
static struct sl_info_worker *publish_info(struct sl_engine_shared *sh, struct sl_worker *workers,
					   struct sl_server *servers, unsigned n, bool xdp)
{
	static const char *drop_names[SL_NET_DROP__MAX];
	static const char *tcp_names[SL_INFO_MAX_COUNTERS];
	static struct sl_info_dataplane dp;
	struct sl_info_worker *iw;
	const char *desc;
	unsigned i, n_tcp = 0;

	for (i = 0; i < SL_NET_DROP__MAX; i++)
		drop_names[i] = sl_net_drop_name((enum sl_net_drop)i);
	while (n_tcp < SL_INFO_MAX_COUNTERS && sl_tcp_stat_name(n_tcp, &desc) != NULL) {
		tcp_names[n_tcp] = sl_tcp_stat_name(n_tcp, &desc);
		n_tcp++;
	}
	iw = calloc(n, sizeof(*iw));
	if (iw == NULL)
		die("cannot allocate the INFO view of the workers");
	for (i = 0; i < n; i++) {
		iw[i].eng = &servers[i].eng.stats;
		iw[i].busy_cycles = &workers[i].stats.busy_cycles;
		iw[i].idle_cycles = &workers[i].stats.idle_cycles;
		iw[i].loops = &workers[i].stats.loops;
		iw[i].rx_packets = &workers[i].net.stats.rx_frames;
		iw[i].tx_packets = &workers[i].net.stats.tx_frames;
		iw[i].drops = workers[i].net.stats.drops;
		iw[i].drop_names = drop_names;
		iw[i].n_drops = SL_NET_DROP__MAX;
		iw[i].tcp_names = tcp_names;
		iw[i].n_tcp = n_tcp;
		iw[i].tcp_read = read_tcp_stats;
		iw[i].tcp_ctx = &servers[i];
		iw[i].rejected_maxclients = &servers[i].stats.rejected;
		iw[i].rejected_source = &servers[i].stats.source_rejected;
		iw[i].rejected_protected = &servers[i].stats.denied;
		iw[i].out_mem = &servers[i].stats.out_mem;
		iw[i].query_mem = &servers[i].stats.query_mem;
		iw[i].obuf_peak = servers[i].stats.obuf_peak;
		iw[i].obuf_peak_sec = servers[i].stats.obuf_peak_sec;
		iw[i].paused_now = &servers[i].stats.paused_now;
		iw[i].pauses = &servers[i].stats.paused;
	}
	dp.n_workers = n;
	dp.tsc_hz = rte_get_tsc_hz();
	dp.workers = iw;
	if (xdp) {
		dp.xdp = xdp_info;
		dp.xdp_names = sl_xdp_stat_names;
		dp.n_xdp = SL_XDP_STAT__MAX;
	}
	sh->dataplane = &dp;
	return iw;
}

/* <run-dir>/<instance>.admin.sock */
#define ADMIN_PATH_LEN (PATH_MAX + 64)
static void admin_path(const struct sl_config *cfg, char buf[ADMIN_PATH_LEN])
{
	snprintf(buf, ADMIN_PATH_LEN, "%s/%s.admin.sock", cfg->run_dir, cfg->instance);
}

/*
 * Refuses to start when something other than a stale socket is where the
 * admin socket goes; removes a stale one. Runs before anything is set up.
 */
static int admin_preflight(const struct sl_config *cfg, char *err, size_t errlen)
{
	char path[ADMIN_PATH_LEN];
	int removed = 0, rc;

	admin_path(cfg, path);
	rc = sl_admin_clear_path(path, &removed, err, errlen);
	if (rc == 0 && removed)
		sl_log(SL_LOG_WARNING, "removed the stale admin socket %s of a dead instance",
		       path);
	return rc;
}

static struct sl_admin *admin_start(const struct sl_config *cfg, struct sl_admin_params *ap)
{
	char path[ADMIN_PATH_LEN], err[ERRLEN];
	struct sl_admin *a;

	admin_path(cfg, path);
	ap->path = path;
	ap->instance = cfg->instance;
	ap->start_ms = unix_ms();
	a = sl_admin_create(ap, err, sizeof(err));
	if (a == NULL)
		sl_log(SL_LOG_WARNING, "serving without an admin socket: %s", err);
	else
		sl_log(SL_LOG_NOTICE, "admin socket on %s (mode 0600)", path);
	return a;
}

/* The shared engine settings from the configuration. */
static void engine_settings(const struct sl_config *cfg, struct sl_engine_shared *sh,
			    const char *transport)
{
	sl_engine_shared_defaults(sh);
	sh->requirepass_len = strlen(cfg->requirepass);
	memcpy(sh->requirepass, cfg->requirepass, sh->requirepass_len);
	sh->tcp_port = (uint16_t)cfg->port;
	sh->start_ms = unix_ms();
	sh->transport_name = transport;
	sh->maxclients = (uint32_t)cfg->maxclients;
	sh->maxmemory_clients = (uint64_t)cfg->maxmemory_clients;
	sh->obuf[0] = (struct sl_engine_obuf){(uint64_t)cfg->obuf_normal.hard,
					      (uint64_t)cfg->obuf_normal.soft,
					      (uint64_t)cfg->obuf_normal.soft_seconds * 1000};
	sh->obuf[1] = (struct sl_engine_obuf){(uint64_t)cfg->obuf_replica.hard,
					      (uint64_t)cfg->obuf_replica.soft,
					      (uint64_t)cfg->obuf_replica.soft_seconds * 1000};
	sh->obuf[2] = (struct sl_engine_obuf){(uint64_t)cfg->obuf_pubsub.hard,
					      (uint64_t)cfg->obuf_pubsub.soft,
					      (uint64_t)cfg->obuf_pubsub.soft_seconds * 1000};
}

/*
 * transport kernel: the engine and store over ordinary sockets; no DPDK, no
 * XDP, no hugepages.
 */
static int run_kernel(const struct sl_config *cfg)
{
	static struct sl_engine_shared shared;
	static struct sl_srccap srccap; /* per-source counts and caps, all workers */
	struct sl_kernel_conf kc = {0};
	struct sl_kernel_limits lim;
	struct sl_store_config sc;
	struct sl_instance_lock lock;
	struct sl_store *store;
	struct sl_kernel *k;
	char err[ERRLEN], dev[32], ip[INET_ADDRSTRLEN];
	int rc;

	snprintf(dev, sizeof(dev), "kernel-%lld", cfg->port);
	struct sl_admin_params ap = {.transport = "kernel", .xdp_stats_fd = -1, .xdp_caps_fd = -1};
	struct sl_admin *admin;

	if (sl_instance_lock(&lock, cfg->run_dir, cfg->instance, dev, err, sizeof(err)) != 0)
		die("%s", err);
	if (admin_preflight(cfg, err, sizeof(err)) != 0) {
		sl_instance_unlock(&lock);
		die("%s", err);
	}
	sl_store_config_default(&sc);
	sc.n_parts = (unsigned)cfg->workers;
	sc.maxmemory = (uint64_t)cfg->maxmemory;
	sc.policy = (enum sl_store_policy)cfg->maxmemory_policy;
	store = sl_store_create(&sc);
	if (store == NULL)
		die("cannot create the store: %s", strerror(errno));
	engine_settings(cfg, &shared, "kernel");
	sl_engine_shared_set_store_config(&shared, &sc);
	rc = sl_srccap_init(&srccap, (uint32_t)cfg->maxclients_per_source,
			    (unsigned)cfg->source_prefix);
	if (rc != 0)
		die("cannot allocate the per-source connection table: %s", strerror(-rc));
	kc.bind_addr = cfg->bind;
	kc.port = (uint16_t)cfg->port;
	kc.workers = (unsigned)cfg->workers;
	kc.protected_mode = cfg->protected_mode;
	kc.store = store;
	kc.shared = &shared;
	kc.srccap = &srccap;
	ap.srccap = &srccap;
	ap.shared = &shared;
	install_signals();
	k = sl_kernel_start(&kc, err, sizeof(err));
	if (k == NULL) {
		sl_instance_unlock(&lock);
		die("%s", err);
	}
	inet_ntop(AF_INET, &cfg->bind, ip, sizeof(ip));
	sl_log(SL_LOG_NOTICE, "kernel transport listening on %s:%lld, %lld worker(s)", ip,
	       cfg->port, cfg->workers);
	admin = admin_start(cfg, &ap);
	sl_log(SL_LOG_NOTICE, "Ready to accept connections");
	wait_for_signal(admin, NULL, NULL);
	sl_admin_destroy(&admin);
	sl_kernel_limits_get(k, &lim);
	sl_log(SL_LOG_NOTICE,
	       "kernel transport: %" PRIu64 " connections rejected by maxclients, %" PRIu64
	       " by maxclients-per-source, %" PRIu64 " clients evicted by maxmemory-clients",
	       lim.rejected, lim.source_rejected, lim.evicted);
	sl_kernel_stop(&k);
	sl_srccap_deinit(&srccap);
	sl_store_destroy(&store);
	sl_instance_unlock(&lock);
	sl_log(SL_LOG_NOTICE, "sluice is now ready to exit, bye bye...");
	sl_log_teardown();
	return 0;
}

int main(int argc, char **argv)
{
	static struct sl_config cfg;
	static struct sl_port_conf pconf;
	static struct sl_port port;
	static struct sl_xdp xdp;
	static struct sl_srccap srccap; /* per-source counts and caps, all workers */
	struct sl_instance_lock lock;
	static struct sl_engine_shared shared;
	struct sl_worker *workers = NULL;
	struct sl_mesh *mesh = NULL; /* workers > 1: commands shipped to a key's owner */
	struct sl_server *servers = NULL;
	struct sl_info_worker *info_view;
	struct sl_store_config sc;
	struct sl_store *store = NULL;
	struct sl_admin *admin = NULL;
	struct rte_mempool *pool;
	struct sl_net_iface iface;
	char err[ERRLEN], buf[PATH_MAX + 64], *eal_argv[MAX_EAL_ARGS];
	char *eal_owned[MAX_EAL_ARGS]; /* rte_eal_init may permute eal_argv */
	char ip[INET_ADDRSTRLEN], pin_dir[PATH_MAX];
	const struct sl_port_ops *ops;
	unsigned lcore, w;
	uint32_t stale_id = 0;
	int eal_argc = 0, rc, ifindex = 0;

	if (argc == 2 && strcmp(argv[1], "--commands-markdown") == 0)
		return sl_cmd_write_markdown(stdout) == 0 ? 0 : 1; /* docs/commands.md */
	sl_config_defaults(&cfg);
	rc = sl_config_parse_args(&cfg, argc, argv, stdout, err, sizeof(err));
	if (rc == 1)
		return 0;
	if (rc != 0) {
		fprintf(stderr, "sluice: config error: %s\n", err);
		return 1;
	}
	if (sl_log_setup(cfg.loglevel, cfg.logfile) != 0) {
		fprintf(stderr, "sluice: cannot open logfile '%s': %s\n", cfg.logfile,
			strerror(errno));
		return 1;
	}
	log_to_file = cfg.logfile[0] != '\0';
	for (unsigned r = 0; r < cfg.n_renames; r++) {
		int rrc = sl_cmd_rename(cfg.renames[r][0], cfg.renames[r][1]);

		if (rrc != 0) {
			fprintf(stderr, "sluice: config error: rename-command %s: %s\n",
				cfg.renames[r][0],
				rrc == -ENOENT   ? "no such command"
				: rrc == -EEXIST ? "the new name is another command's"
						 : "cannot rename");
			return 1;
		}
	}
	inet_ntop(AF_INET, &cfg.address, ip, sizeof(ip));
	if (cfg.transport == SL_TRANSPORT_KERNEL) {
		sl_log(SL_LOG_NOTICE, "sluice %s starting: transport kernel", SL_VERSION);
		return run_kernel(&cfg);
	}
	sl_log(SL_LOG_NOTICE, "sluice %s starting: device %s, address %s, %lld worker(s)",
	       SL_VERSION, cfg.device, ip, cfg.workers);

	/* Checks that need no DPDK, each with what to do about it. */
	if (geteuid() != 0)
		die("sluice must run as root: it drives a NIC through DPDK, loads XDP programs "
		    "and pins BPF maps (run it with sudo or as a root service)");
	if (sl_port_parse(cfg.device, &pconf, err, sizeof(err)) != 0)
		die("config error: device: %s", err);
	pconf.nb_queues = (uint16_t)cfg.workers;
	pconf.nb_rxd = (uint16_t)cfg.rx_descriptors;
	pconf.nb_txd = (uint16_t)cfg.tx_descriptors;
	if (cfg.xdp_prog[0] != '\0')
		snprintf(pconf.xdp_prog, sizeof(pconf.xdp_prog), "%s", cfg.xdp_prog);
	else
		default_xdp_prog(pconf.xdp_prog, sizeof(pconf.xdp_prog));
	if (!cfg.no_huge && (sl_port_free_hugepages() <= 0 || !sl_port_hugetlbfs_mounted()))
		die("no free hugepages (HugePages_Free is %ld%s): reserve some with "
		    "'echo 512 > /proc/sys/vm/nr_hugepages' and 'mount -t hugetlbfs nodev "
		    "/dev/hugepages' (deploy/testbed.sh up does both), or start with --no-huge",
		    sl_port_free_hugepages() < 0 ? 0 : sl_port_free_hugepages(),
		    sl_port_hugetlbfs_mounted() ? "" : ", and no hugetlbfs is mounted");
	ops = sl_port_ops_get(pconf.kind);
	if (pconf.kind == SL_PORT_AF_XDP && sl_xdp_check_bpffs(cfg.bpffs, err, sizeof(err)) != 0)
		die("%s", err);
	if (ops->preflight(&pconf, err, sizeof(err)) != 0)
		die("%s", err);
	if (sl_instance_lock(&lock, cfg.run_dir, cfg.instance, cfg.device, err, sizeof(err)) != 0)
		die("%s", err);
	if (admin_preflight(&cfg, err, sizeof(err)) != 0) {
		sl_instance_unlock(&lock);
		die("%s", err);
	}

	if ((size_t)snprintf(pin_dir, sizeof(pin_dir), "%s/sluice/%s", cfg.bpffs, cfg.instance) >=
	    sizeof(pin_dir))
		die("bpffs path '%s' is too long", cfg.bpffs);
	if (pconf.kind == SL_PORT_AF_XDP) {
		ifindex = (int)if_nametoindex(pconf.name);
		rc = sl_xdp_remove_pins(pin_dir);
		if (rc > 0)
			sl_log(SL_LOG_WARNING,
			       "removed %d stale pin(s) under %s left by a previous run", rc,
			       pin_dir);
		if (sl_xdp_clear_stale(ifindex, pconf.name, &stale_id, err, sizeof(err)) != 0) {
			sl_instance_unlock(&lock);
			die("%s", err);
		}
		if (stale_id != 0)
			sl_log(SL_LOG_WARNING,
			       "detached stale sluice XDP program %u from %s (a previous run did "
			       "not "
			       "shut down cleanly)",
			       stale_id, pconf.name);
	}

	/* EAL. */
	push(eal_argv, &eal_argc, argv[0]);
	push(eal_argv, &eal_argc, "--lcores");
	if (cfg.lcores[0] != '\0')
		snprintf(buf, sizeof(buf), "%s", cfg.lcores);
	else
		auto_lcores(buf, sizeof(buf), cfg.workers);
	push(eal_argv, &eal_argc, buf);
	if (cfg.no_huge) {
		push(eal_argv, &eal_argc, "--no-huge");
		push(eal_argv, &eal_argc, "-m");
		snprintf(buf, sizeof(buf), "%lld", cfg.memory_mb);
		push(eal_argv, &eal_argc, buf);
		push(eal_argv, &eal_argc, "--no-shconf");
	} else {
		push(eal_argv, &eal_argc, "--in-memory");
	}
	push(eal_argv, &eal_argc, "--no-telemetry");
	push(eal_argv, &eal_argc, "--log-level");
	push(eal_argv, &eal_argc, cfg.loglevel == SL_LOG_DEBUG ? "*:info" : "*:warning");
	if (ops->eal_args(&pconf, eal_argv, &eal_argc, MAX_EAL_ARGS) != 0)
		die("too many EAL arguments");
	memcpy(eal_owned, eal_argv, sizeof(eal_argv[0]) * (size_t)eal_argc);
	if (rte_eal_init(eal_argc, eal_argv) < 0) {
		sl_instance_unlock(&lock);
		die("DPDK EAL initialisation failed: %s (check 'lcores' and that the device "
		    "is usable)",
		    rte_strerror(rte_errno));
	}
	if (rte_lcore_count() < cfg.workers + 1) {
		sl_instance_unlock(&lock);
		die("lcores gives %u lcores; %lld workers need %lld (one main lcore plus one "
		    "per worker)",
		    rte_lcore_count(), cfg.workers, cfg.workers + 1);
	}

	pool = create_mbuf_pool((unsigned)cfg.mbufs, pconf.kind == SL_PORT_AF_XDP);
	if (pool == NULL) {
		sl_instance_unlock(&lock);
		die("cannot allocate %lld packet buffers: %s (raise 'memory' or reserve more "
		    "hugepages)",
		    cfg.mbufs, rte_strerror(rte_errno));
	}
	if (pconf.kind == SL_PORT_AF_XDP && !pool_fits_umem(pool))
		sl_log(SL_LOG_WARNING,
		       "the packet buffer pool is not one gap-free chunk, so part of it lies "
		       "outside the AF_XDP UMEM and frames in those buffers will not be sent "
		       "(docs/operations.md)");
	if (sl_port_setup(&port, &pconf, pool, err, sizeof(err)) != 0) {
		sl_instance_unlock(&lock);
		die("%s", err);
	}
	if (pconf.kind == SL_PORT_AF_XDP &&
	    sl_xdp_activate(&xdp, ifindex, pin_dir, cfg.address, htons((uint16_t)cfg.port), err,
			    sizeof(err)) != 0) {
		sl_port_teardown(&port);
		sl_instance_unlock(&lock);
		die("%s", err);
	}
	if (pconf.kind == SL_PORT_AF_XDP && cfg.maxclients_per_source > 0) {
		/* The XDP half of the per-source cap, as `sluicectl caps set source` sets it. */
		xdp.cfg->conn_slack = SL_BPF_CONN_SLACK_DEFAULT;
		__atomic_store_n(&xdp.cfg->conn_cap, (uint32_t)cfg.maxclients_per_source,
				 __ATOMIC_RELEASE);
		__atomic_fetch_add(&xdp.cfg->generation, 1, __ATOMIC_RELEASE);
	}

	memset(&iface, 0, sizeof(iface));
	iface.mac = port.mac;
	iface.ip = cfg.address;
	iface.netmask = cfg.netmask;
	iface.gateway = cfg.gateway;
	workers = rte_zmalloc("sl_workers", sizeof(*workers) * (size_t)cfg.workers,
			      RTE_CACHE_LINE_SIZE);
	servers = rte_zmalloc("sl_servers", sizeof(*servers) * (size_t)cfg.workers,
			      RTE_CACHE_LINE_SIZE);
	if (workers == NULL || servers == NULL)
		die("cannot allocate worker state");
	rc = sl_srccap_init(&srccap, (uint32_t)cfg.maxclients_per_source,
			    (unsigned)cfg.source_prefix);
	if (rc != 0)
		die("cannot allocate the per-source connection table: %s", strerror(-rc));
	sl_store_config_default(&sc);
	sc.n_parts = (unsigned)cfg.workers;
	sc.maxmemory = (uint64_t)cfg.maxmemory;
	sc.policy = (enum sl_store_policy)cfg.maxmemory_policy;
	store = sl_store_create(&sc);
	if (store == NULL)
		die("cannot create the store: %s", strerror(errno));
	if (cfg.workers > 1) {
		mesh = sl_mesh_create((unsigned)cfg.workers, 1024);
		if (mesh == NULL)
			die("cannot create the rings between workers: %s", strerror(errno));
	}
	engine_settings(&cfg, &shared, "dpdk");
	sl_engine_shared_set_store_config(&shared, &sc);
	info_view = publish_info(&shared, workers, servers, (unsigned)cfg.workers,
				 pconf.kind == SL_PORT_AF_XDP);
	install_signals();

	w = 0;
	RTE_LCORE_FOREACH_WORKER(lcore)
	{
		if (w == cfg.workers)
			break;
		struct sl_server_params sp = {0};

		sl_worker_init(&workers[w], port.port_id, (uint16_t)w, &iface, pool, &workers_stop);
		workers[w].announce = w == 0;
		sp.ip = cfg.address;
		sp.mac = port.mac;
		sp.port = (uint16_t)cfg.port;
		sp.pool = pool;
		sp.tx = sl_worker_tcp_tx;
		sp.tx_ctx = &workers[w];
		sp.tx_cksum_offload = (port.tx_offloads & RTE_ETH_TX_OFFLOAD_TCP_CKSUM) &&
				      (port.tx_offloads & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM);
		sp.netmask = cfg.netmask;
		sp.protected_mode = cfg.protected_mode;
		sp.acl_configured = &acl_configured;
		sp.echo = cfg.app == 1;
		sp.srccap = &srccap;
		sp.pace_conn_bps = (uint64_t)cfg.conn_rate_mbps * 1000000 / 8;
		sp.pace_port_bps = port_pace_bps(&cfg, &port);
		sp.output_budget = (uint64_t)cfg.output_memory_budget;
		/* TIME-WAIT and handshakes need room beyond the clients served. */
		sp.max_conns = (uint32_t)(cfg.maxclients + cfg.maxclients / 2 + 1024);
		sp.store = store;
		sp.self = w;
		sp.shared = &shared;
		{
			struct timespec rt;

			clock_gettime(CLOCK_REALTIME, &rt);
			sp.unix_us = (uint64_t)rt.tv_sec * 1000000 + (uint64_t)rt.tv_nsec / 1000;
		}
		if (pconf.kind == SL_PORT_AF_XDP) {
			sp.sketch = xdp.sketch;
			sp.sketch_seed = xdp.cfg->sketch_seed;
		}
		rc = sl_server_init(&servers[w], &sp);
		if (rc != 0)
			die("cannot start the TCP server on worker %u: %s", w, strerror(-rc));
		if (mesh != NULL && sl_engine_attach_mesh(&servers[w].eng, mesh) != 0)
			die("cannot attach worker %u to the rings between workers: out of memory",
			    w);
		sl_worker_attach_server(&workers[w], &servers[w], store, w);
		workers[w].drain = &workers_drain;
		atomic_init(&workers[w].draining_left, 1);
		rte_eal_remote_launch(sl_worker_main, &workers[w], lcore);
		w++;
	}
	rte_ether_format_addr(buf, sizeof(buf), &port.mac);
	sl_log(SL_LOG_NOTICE, "dataplane up: %s at %s on %s, %u queue(s), link %u Mb/s", ip, buf,
	       cfg.device, port.nb_queues, port.link_speed_mbps);
	sl_log(SL_LOG_NOTICE, "serving %s on %s:%lld", cfg.app == 1 ? "TCP echo" : "RESP", ip,
	       cfg.port);
	{
		uint64_t share = port_pace_bps(&cfg, &port);

		if (share != 0)
			sl_log(SL_LOG_NOTICE,
			       "egress pacing: port %" PRIu64 " Mbit/s (%" PRIu64
			       " per worker), per connection %s",
			       share * 8 * (uint64_t)cfg.workers / 1000000, share * 8 / 1000000,
			       cfg.conn_rate_mbps > 0 ? "capped (conn-rate-mbps)" : "uncapped");
		else
			sl_log(SL_LOG_NOTICE, "egress pacing: port unpaced (%s), per connection %s",
			       cfg.port_rate_mbps < 0 ? "port-rate-mbps -1"
						      : "the port reports no link speed",
			       cfg.conn_rate_mbps > 0 ? "capped (conn-rate-mbps)" : "uncapped");
	}
	{
		struct sl_admin_params ap = {.transport = "dpdk", .device = cfg.device};

		ap.workers = workers;
		ap.servers = servers;
		ap.n_workers = w;
		ap.xdp_stats_fd = pconf.kind == SL_PORT_AF_XDP ? xdp.stats_fd : -1;
		ap.xdp_caps_fd = pconf.kind == SL_PORT_AF_XDP ? xdp.caps_fd : -1;
		ap.xdp_cfg = pconf.kind == SL_PORT_AF_XDP ? xdp.cfg : NULL;
		ap.srccap = &srccap;
		shared.pace_port_mbps = cfg.port_rate_mbps;
		shared.pace_conn_mbps = cfg.conn_rate_mbps;
		shared.port_link_mbps = port.link_speed_mbps;
		ap.conn_rate_mbps = cfg.conn_rate_mbps;
		ap.port_rate_mbps = cfg.port_rate_mbps;
		ap.link_speed_mbps = port.link_speed_mbps;
		admin = admin_start(&cfg, &ap);
	}
	sl_log(SL_LOG_NOTICE, "Ready to accept connections");

	if (cfg.protected_mode && cfg.requirepass[0] == '\0') {
		struct in_addr net = {cfg.address & cfg.netmask};
		char nbuf[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, &net, nbuf, sizeof(nbuf));
		sl_log(SL_LOG_WARNING,
		       "protected mode: no requirepass and no ACL, so only clients in %s/%d are "
		       "served; set requirepass, allow prefixes with 'sluicectl acl allow', or "
		       "start with --protected-mode no",
		       nbuf, __builtin_popcount(cfg.netmask));
	}
	if (pconf.kind == SL_PORT_AF_XDP)
		watch_acl(&xdp);
	wait_for_signal(admin, pconf.kind == SL_PORT_AF_XDP ? watch_acl : NULL, &xdp);
	sl_admin_destroy(&admin);
	drain_workers(workers, (unsigned)cfg.workers);
	atomic_store(&workers_stop, 1);
	rte_eal_mp_wait_lcore();
	{
		/* The port's own view: frames the device missed or could not take. */
		struct rte_eth_stats es;

		if (rte_eth_stats_get(port.port_id, &es) == 0)
			sl_log(SL_LOG_NOTICE,
			       "port: %" PRIu64 " frames in, %" PRIu64 " out, %" PRIu64
			       " missed, %" PRIu64 " rx errors, %" PRIu64 " tx errors, %" PRIu64
			       " no mbuf, mbufs free %u of %u",
			       es.ipackets, es.opackets, es.imissed, es.ierrors, es.oerrors,
			       es.rx_nombuf, rte_mempool_avail_count(pool), pool->size);
	}
	for (w = 0; w < cfg.workers; w++) {
		const struct sl_net_stats *s = &workers[w].net.stats;

		struct sl_tcp_stats ts;
		const uint64_t *tv = (const uint64_t *)&ts;
		const char *desc;
		unsigned i;
		char line[2048];
		size_t off = 0;

		sl_log(SL_LOG_NOTICE,
		       "worker %u: %" PRIu64 " frames in, %" PRIu64 " out, %" PRIu64
		       " ARP replies, %" PRIu64 " echo replies, %" PRIu64
		       " connections accepted, %" PRIu64 " rejected by maxclients, %" PRIu64
		       " by maxclients-per-source",
		       w, s->rx_frames, s->tx_frames, s->tx_arp_replies, s->tx_icmp_echo_replies,
		       servers[w].stats.accepted, servers[w].stats.rejected,
		       servers[w].stats.source_rejected);
		sl_tcp_stats_get(servers[w].tcp, &ts);
		for (i = 0; sl_tcp_stat_name(i, &desc) != NULL && off < sizeof(line) - 64; i++)
			if (tv[i] != 0)
				off += (size_t)snprintf(line + off, sizeof(line) - off,
							" %s=%" PRIu64, sl_tcp_stat_name(i, &desc),
							tv[i]);
		for (i = 0; i < SL_NET_DROP__MAX && off < sizeof(line) - 64; i++)
			if (s->drops[i] != 0)
				off += (size_t)snprintf(line + off, sizeof(line) - off,
							" drop_%s=%" PRIu64, sl_net_drop_name(i),
							s->drops[i]);
		sl_log(SL_LOG_NOTICE, "worker %u counters:%s", w, off ? line : " none");
		{
			const struct sl_worker_stats *ws = &workers[w].stats;
			uint64_t req = servers[w].eng.stats.commands;

			/* Cycles per request: the figure the benchmark harness reads. */
			sl_log(SL_LOG_NOTICE,
			       "worker %u cycles: busy=%" PRIu64 " idle=%" PRIu64 " tsc_hz=%" PRIu64
			       " requests=%" PRIu64 " busy_cycles_per_request=%.0f",
			       w, ws->busy_cycles, ws->idle_cycles, rte_get_tsc_hz(), req,
			       req ? (double)ws->busy_cycles / (double)req : 0.0);
		}
	}
	/* Servers first: their connections point into the XDP sketch mapping. */
	for (w = 0; w < cfg.workers; w++)
		sl_server_deinit(&servers[w]);
	sl_store_destroy(&store);
	sl_mesh_destroy(&mesh);
	sl_srccap_deinit(&srccap);
	if (pconf.kind == SL_PORT_AF_XDP)
		sl_xdp_deactivate(&xdp);
	sl_port_teardown(&port);
	if (pconf.kind == SL_PORT_AF_XDP) {
		if (sl_xdp_ensure_detached(&xdp) != 0)
			sl_log(SL_LOG_WARNING, "could not detach XDP program %u from %s",
			       xdp.prog_id, pconf.name);
		snprintf(buf, sizeof(buf), "%s/sluice", cfg.bpffs);
		rmdir(buf); /* only succeeds when no other instance has pins */
	}
	shared.dataplane = NULL;
	free(info_view);
	rte_free(servers);
	rte_free(workers);
	rte_mempool_free(pool);
	rte_eal_cleanup();
	for (int i = 0; i < eal_argc; i++)
		free(eal_owned[i]);
	sl_instance_unlock(&lock);
	sl_log(SL_LOG_NOTICE, "sluice is now ready to exit, bye bye...");
	sl_log_teardown();
	return 0;
}
