/*
 * sluicectl: the operator's view of a running (or wedged) sluice instance.
 *
 * It reads the BPF objects the instance pinned under
 * <bpffs>/sluice/<instance>/ directly through libbpf, so `stats` works even
 * when the dataplane is stuck: the XDP program keeps counting in the kernel.
 *
 *   sluicectl [--instance NAME] [--bpffs DIR] [--run-dir DIR] status
 *   sluicectl [...] stats
 *   sluicectl [...] acl allow|deny|del PREFIX | acl list | acl default allow|deny
 *   sluicectl [...] overload on|off
 *   sluicectl [...] syn-rate RATE [BURST]      (SYNs per second per source; 0 = off)
 *   sluicectl [...] conn-cap CAP [SLACK]       (connections per source; 0 = off)
 *
 * Policy changes write the pinned maps directly and take effect on the next
 * packet: no restart, no RPC. The config array is changed through its mmap,
 * one field at a time, then its generation is bumped.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "control/bpf/sluice_maps.h"
#include "control/xdp.h"

static const char *const stat_names[SL_XDP_STAT__MAX] = {
	[SL_XDP_PASS_INACTIVE] = "pass_inactive",   [SL_XDP_PASS_OTHER] = "pass_other",
	[SL_XDP_PASS_MALFORMED] = "pass_malformed", [SL_XDP_REDIRECT_ARP] = "redirect_arp",
	[SL_XDP_REDIRECT_IPV4] = "redirect_ipv4",   [SL_XDP_REDIRECT_SYN] = "redirect_syn",
	[SL_XDP_DROP_OVERLOAD] = "drop_overload",   [SL_XDP_DROP_ACL] = "drop_acl",
	[SL_XDP_DROP_SYN_RATE] = "drop_syn_rate",   [SL_XDP_DROP_CONN_CAP] = "drop_conn_cap",
};

struct ctl {
	const char *instance;
	const char *bpffs;
	const char *run_dir;
};

static int open_pin(const struct ctl *c, const char *name)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/sluice/%s/%s", c->bpffs, c->instance, name);
	fd = bpf_obj_get(path);
	if (fd < 0)
		fprintf(stderr,
			"sluicectl: cannot open %s: %s (is instance '%s' running with an af_xdp "
			"device?)\n",
			path, strerror(errno), c->instance);
	return fd;
}

/* The instance's pid if its lock is held (it runs), else 0. */
static long running_pid(const struct ctl *c)
{
	char path[4096], buf[32];
	long pid = 0;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s.pid", c->run_dir, c->instance);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		return 0;
	if (flock(fd, LOCK_SH | LOCK_NB) == -1 && errno == EWOULDBLOCK) {
		n = read(fd, buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = '\0';
		pid = strtol(buf, NULL, 10);
	}
	close(fd);
	return pid;
}

static int cmd_status(const struct ctl *c)
{
	struct sl_bpf_cfg cfg;
	char ip[INET_ADDRSTRLEN];
	uint32_t key = 0;
	long pid = running_pid(c);
	int fd;

	printf("instance: %s\n", c->instance);
	if (pid > 0)
		printf("state: running (pid %ld)\n", pid);
	else
		printf("state: not running\n");
	fd = open_pin(c, SL_BPF_PIN_CFG);
	if (fd < 0)
		return pid > 0 ? 0 : 1;
	if (bpf_map_lookup_elem(fd, &key, &cfg) != 0) {
		fprintf(stderr, "sluicectl: reading config map: %s\n", strerror(errno));
		close(fd);
		return 1;
	}
	close(fd);
	inet_ntop(AF_INET, &cfg.service_ip, ip, sizeof(ip));
	printf("xdp steering: %s\nservice address: %s:%u\nconfig generation: %llu\n"
	       "overload: %s\nacl default: %s\nsyn rate: %u/s burst %u\nconn cap: %u slack %u\n",
	       (cfg.flags & SL_BPF_CFG_F_ACTIVE) ? "active" : "inactive", ip,
	       ntohs(cfg.service_port), (unsigned long long)cfg.generation,
	       (cfg.flags & SL_BPF_CFG_F_OVERLOAD) ? "on" : "off",
	       (cfg.flags & SL_BPF_CFG_F_ACL_DEFAULT_DENY) ? "deny" : "allow", cfg.syn_rate,
	       cfg.syn_burst ? cfg.syn_burst : cfg.syn_rate, cfg.conn_cap, cfg.conn_slack);
	return pid > 0 ? 0 : 1;
}

static int cmd_stats(const struct ctl *c)
{
	uint64_t v[SL_XDP_STAT__MAX];
	int fd = open_pin(c, SL_BPF_PIN_STATS), i;

	if (fd < 0)
		return 1;
	if (sl_xdp_read_stats(fd, v) != 0) {
		fprintf(stderr, "sluicectl: reading stats map failed\n");
		close(fd);
		return 1;
	}
	close(fd);
	for (i = 0; i < SL_XDP_STAT__MAX; i++)
		printf("xdp_%s:%llu\n", stat_names[i], (unsigned long long)v[i]);
	return 0;
}

/* Maps the pinned config array for a live change. NULL after printing why. */
static struct sl_bpf_cfg *map_cfg(const struct ctl *c, int *fd)
{
	struct sl_bpf_cfg *cfg;

	*fd = open_pin(c, SL_BPF_PIN_CFG);
	if (*fd < 0)
		return NULL;
	cfg = sl_xdp_mmap(*fd, sizeof(*cfg));
	if (cfg == NULL) {
		fprintf(stderr, "sluicectl: cannot map the config array: %s\n", strerror(errno));
		close(*fd);
	}
	return cfg;
}

static void unmap_cfg(struct sl_bpf_cfg *cfg, int fd)
{
	__atomic_fetch_add(&cfg->generation, 1, __ATOMIC_RELEASE);
	munmap(cfg, sizeof(*cfg));
	close(fd);
}

static int parse_u32(const char *s, uint32_t *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || v > UINT32_MAX || *s == '-')
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static int set_flag(const struct ctl *c, uint32_t flag, int on, const char *what)
{
	int fd;
	struct sl_bpf_cfg *cfg = map_cfg(c, &fd);

	if (cfg == NULL)
		return 1;
	if (on)
		__atomic_fetch_or(&cfg->flags, flag, __ATOMIC_RELEASE);
	else
		__atomic_fetch_and(&cfg->flags, ~flag, __ATOMIC_RELEASE);
	unmap_cfg(cfg, fd);
	printf("%s: %s\n", what, on ? "on" : "off");
	return 0;
}

/* "a.b.c.d/len" or "a.b.c.d" (a /32). */
static int parse_prefix(const char *s, struct sl_bpf_acl_key *k)
{
	char buf[64], *slash;
	struct in_addr a;
	uint32_t len = 32;

	snprintf(buf, sizeof(buf), "%s", s);
	slash = strchr(buf, '/');
	if (slash != NULL) {
		*slash = '\0';
		if (parse_u32(slash + 1, &len) != 0 || len > 32)
			return -1;
	}
	if (inet_pton(AF_INET, buf, &a) != 1)
		return -1;
	k->prefixlen = len;
	/* keep only the prefix bits so one prefix has one key */
	k->addr = len == 0 ? 0 : a.s_addr & htonl(~(uint32_t)0 << (32 - len));
	return 0;
}

static int cmd_acl(const struct ctl *c, int argc, char **argv)
{
	struct sl_bpf_acl_key k, next;
	uint32_t action;
	int fd, rc = 0;

	if (argc == 2 && strcmp(argv[0], "default") == 0 &&
	    (strcmp(argv[1], "allow") == 0 || strcmp(argv[1], "deny") == 0))
		return set_flag(c, SL_BPF_CFG_F_ACL_DEFAULT_DENY, strcmp(argv[1], "deny") == 0,
				"acl default deny");
	fd = open_pin(c, SL_BPF_PIN_ACL);
	if (fd < 0)
		return 1;
	if (argc == 1 && strcmp(argv[0], "list") == 0) {
		void *prev = NULL;

		while (bpf_map_get_next_key(fd, prev, &next) == 0) {
			char ip[INET_ADDRSTRLEN];

			if (bpf_map_lookup_elem(fd, &next, &action) == 0) {
				inet_ntop(AF_INET, &next.addr, ip, sizeof(ip));
				printf("%s %s/%u\n", action == SL_BPF_ACL_DENY ? "deny" : "allow",
				       ip, next.prefixlen);
			}
			k = next;
			prev = &k;
		}
	} else if (argc == 2 && parse_prefix(argv[1], &k) == 0 &&
		   (strcmp(argv[0], "allow") == 0 || strcmp(argv[0], "deny") == 0)) {
		action = strcmp(argv[0], "deny") == 0 ? SL_BPF_ACL_DENY : SL_BPF_ACL_ALLOW;
		if (bpf_map_update_elem(fd, &k, &action, BPF_ANY) != 0) {
			fprintf(stderr, "sluicectl: acl %s %s: %s\n", argv[0], argv[1],
				strerror(errno));
			rc = 1;
		} else {
			printf("%s %s\n", argv[0], argv[1]);
		}
	} else if (argc == 2 && strcmp(argv[0], "del") == 0 && parse_prefix(argv[1], &k) == 0) {
		if (bpf_map_delete_elem(fd, &k) != 0) {
			fprintf(stderr, "sluicectl: acl del %s: %s\n", argv[1], strerror(errno));
			rc = 1;
		} else {
			printf("deleted %s\n", argv[1]);
		}
	} else {
		fprintf(stderr, "sluicectl: usage: acl allow|deny|del A.B.C.D[/LEN] | acl list | "
				"acl default allow|deny\n");
		rc = 2;
	}
	close(fd);
	return rc;
}

/* syn-rate RATE [BURST] / conn-cap CAP [SLACK] */
static int cmd_limit(const struct ctl *c, int argc, char **argv, int is_rate)
{
	uint32_t a, b = 0;
	int fd;
	struct sl_bpf_cfg *cfg;

	if (argc < 1 || argc > 2 || parse_u32(argv[0], &a) != 0 ||
	    (argc == 2 && parse_u32(argv[1], &b) != 0)) {
		fprintf(stderr, "sluicectl: usage: %s\n",
			is_rate ? "syn-rate RATE [BURST]" : "conn-cap CAP [SLACK]");
		return 2;
	}
	cfg = map_cfg(c, &fd);
	if (cfg == NULL)
		return 1;
	if (is_rate) {
		__atomic_store_n(&cfg->syn_burst, b, __ATOMIC_RELAXED);
		__atomic_store_n(&cfg->syn_rate, a, __ATOMIC_RELEASE);
		printf("syn rate: %u/s burst %u\n", a, b ? b : a);
	} else {
		__atomic_store_n(&cfg->conn_slack, b, __ATOMIC_RELAXED);
		__atomic_store_n(&cfg->conn_cap, a, __ATOMIC_RELEASE);
		printf("conn cap: %u slack %u\n", a, b);
	}
	unmap_cfg(cfg, fd);
	return 0;
}

static void usage(FILE *out)
{
	fprintf(out, "Usage: sluicectl [--instance NAME] [--bpffs DIR] [--run-dir DIR] COMMAND\n"
		     "Commands:\n"
		     "  status   is the instance running; XDP steering state\n"
		     "  stats    XDP decision counters (works even if the dataplane is stuck)\n"
		     "  acl allow|deny|del A.B.C.D[/LEN] | acl list | acl default allow|deny\n"
		     "           who may open connections (longest prefix wins)\n"
		     "  overload on|off   shed every new connection at XDP\n"
		     "  syn-rate RATE [BURST]   SYNs per second per source (0 = unlimited)\n"
		     "  conn-cap CAP [SLACK]    connections per source; XDP sheds at CAP+SLACK\n"
		     "Changes apply at once through the pinned maps; no restart.\n");
}

int main(int argc, char **argv)
{
	struct ctl c = {"default", "/sys/fs/bpf", "/run/sluice"};
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return 0;
		}
		if (strncmp(argv[i], "--", 2) != 0)
			break;
		if (i + 1 == argc) {
			fprintf(stderr, "sluicectl: %s expects a value\n", argv[i]);
			return 2;
		}
		if (strcmp(argv[i], "--instance") == 0) {
			c.instance = argv[++i];
		} else if (strcmp(argv[i], "--bpffs") == 0) {
			c.bpffs = argv[++i];
		} else if (strcmp(argv[i], "--run-dir") == 0) {
			c.run_dir = argv[++i];
		} else {
			fprintf(stderr, "sluicectl: unknown option %s\n", argv[i]);
			usage(stderr);
			return 2;
		}
	}
	if (i == argc) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[i], "status") == 0)
		return cmd_status(&c);
	if (strcmp(argv[i], "stats") == 0)
		return cmd_stats(&c);
	if (strcmp(argv[i], "acl") == 0)
		return cmd_acl(&c, argc - i - 1, argv + i + 1);
	if (strcmp(argv[i], "overload") == 0 && i + 2 == argc &&
	    (strcmp(argv[i + 1], "on") == 0 || strcmp(argv[i + 1], "off") == 0))
		return set_flag(&c, SL_BPF_CFG_F_OVERLOAD, strcmp(argv[i + 1], "on") == 0,
				"overload");
	if (strcmp(argv[i], "syn-rate") == 0)
		return cmd_limit(&c, argc - i - 1, argv + i + 1, 1);
	if (strcmp(argv[i], "conn-cap") == 0)
		return cmd_limit(&c, argc - i - 1, argv + i + 1, 0);
	fprintf(stderr, "sluicectl: unknown command '%s'\n", argv[i]);
	usage(stderr);
	return 2;
}
