/*
 * sluicectl: the operator's view of a running (or wedged) sluice instance.
 *
 * It reads the BPF objects the instance pinned under
 * <bpffs>/sluice/<instance>/ directly through libbpf, so `stats` works even
 * when the dataplane is stuck: the XDP program keeps counting in the kernel.
 *
 *   sluicectl [--instance NAME] [--bpffs DIR] [--run-dir DIR] status
 *   sluicectl [...] stats
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "control/bpf/sluice_maps.h"
#include "control/xdp.h"

static const char *const stat_names[SL_XDP_STAT__MAX] = {
	[SL_XDP_PASS_INACTIVE] = "pass_inactive",   [SL_XDP_PASS_OTHER] = "pass_other",
	[SL_XDP_PASS_MALFORMED] = "pass_malformed", [SL_XDP_REDIRECT_ARP] = "redirect_arp",
	[SL_XDP_REDIRECT_IPV4] = "redirect_ipv4",
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
	printf("xdp steering: %s\nservice address: %s\nconfig generation: %llu\n",
	       (cfg.flags & SL_BPF_CFG_F_ACTIVE) ? "active" : "inactive", ip,
	       (unsigned long long)cfg.generation);
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

static void usage(FILE *out)
{
	fprintf(out, "Usage: sluicectl [--instance NAME] [--bpffs DIR] [--run-dir DIR] COMMAND\n"
		     "Commands:\n"
		     "  status   is the instance running; XDP steering state\n"
		     "  stats    XDP decision counters (works even if the dataplane is stuck)\n");
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
	fprintf(stderr, "sluicectl: unknown command '%s'\n", argv[i]);
	usage(stderr);
	return 2;
}
