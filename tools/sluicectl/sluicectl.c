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
 *   sluicectl [...] clients list | clients kill ID|IP:PORT
 *   sluicectl [...] config get NAME | config set NAME VALUE...
 *   sluicectl [...] top [--count N | --once]
 *   sluicectl [...] caps [get] | caps set global|source|PREFIX N [SLACK] | caps del PREFIX
 *   sluicectl [...] pacing | pacing conn MBPS|off | pacing port MBPS|default|off
 *
 * Policy changes write the pinned maps directly and take effect on the next
 * packet: no restart, no RPC. The config array is changed through its mmap,
 * one field at a time, then its generation is bumped.
 *
 * clients, config and top (and the server half of stats and status) talk to
 * the instance's admin socket, <run-dir>/<instance>.admin.sock, in RESP.
 * When the socket is absent or does not answer, stats and top still show
 * what the pinned maps hold and say what is missing.
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
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "control/bpf/sluice_maps.h"
#include "control/xdp.h"

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

/* ---- the admin socket (RESP) ---- */

#define ADMIN_TIMEOUT_S 5

/* errno of the last failed connect to the admin socket (EACCES: not root). */
static int admin_errno;

/* A reply: type is the RESP type byte; arrays hold bulk/status items. */
struct reply {
	char type;
	char *str; /* status, error, bulk text, integer as text (NUL-terminated) */
	size_t len;
	size_t n; /* array items */
	struct reply *items;
};

static void reply_free(struct reply *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		reply_free(&r->items[i]);
	free(r->items);
	free(r->str);
	memset(r, 0, sizeof(*r));
}

/* Parses one reply from buf. Returns bytes used, 0 if incomplete, -1 if malformed. */
static long parse_reply(const char *buf, size_t len, struct reply *r, int depth)
{
	const char *eol = memchr(buf, '\n', len);
	size_t head;
	long long n;
	char *end;

	memset(r, 0, sizeof(*r));
	if (eol == NULL)
		return 0;
	if (eol == buf || eol[-1] != '\r' || depth > 4)
		return -1;
	head = (size_t)(eol - buf) + 1;
	r->type = buf[0];
	switch (r->type) {
	case '+':
	case '-':
	case ':':
		r->len = head - 3;
		r->str = strndup(buf + 1, r->len);
		return r->str == NULL ? -1 : (long)head;
	case '$':
		n = strtoll(buf + 1, &end, 10);
		if (n < 0) {
			r->type = '_';
			return (long)head;
		}
		if (len < head + (size_t)n + 2)
			return 0;
		r->len = (size_t)n;
		r->str = strndup(buf + head, r->len);
		return r->str == NULL ? -1 : (long)(head + (size_t)n + 2);
	case '*': {
		size_t off = head, i;

		n = strtoll(buf + 1, &end, 10);
		if (n < 0) {
			r->type = '_';
			return (long)head;
		}
		r->items = calloc((size_t)n + 1, sizeof(*r->items));
		if (r->items == NULL)
			return -1;
		for (i = 0; i < (size_t)n; i++) {
			long used = parse_reply(buf + off, len - off, &r->items[i], depth + 1);

			if (used <= 0) {
				r->n = i + 1;
				reply_free(r);
				return used;
			}
			off += (size_t)used;
			r->n = i + 1;
		}
		return (long)off;
	}
	default:
		return -1;
	}
}

static void admin_path(const struct ctl *c, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s.admin.sock", c->run_dir, c->instance);
}

/*
 * Sends argv as one RESP request and reads the reply. Returns 0, or -1 after
 * writing why to why (quiet: the caller decides what to print).
 */
static int admin_call(const struct ctl *c, int argc, const char *const *argv, struct reply *r,
		      char *why, size_t whylen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct timeval tv = {ADMIN_TIMEOUT_S, 0};
	char path[sizeof(sa.sun_path) + 64], *req = NULL, *buf = NULL;
	size_t reqlen = 0, cap = 0, have = 0;
	FILE *m;
	long used = 0;
	int fd, i;

	admin_path(c, path, sizeof(path));
	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(why, whylen, "admin socket path %s is too long", path);
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1) {
		admin_errno = errno;
		snprintf(why, whylen, "cannot connect to the admin socket %s: %s", path,
			 strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	m = open_memstream(&req, &reqlen);
	if (m == NULL) {
		close(fd);
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	fprintf(m, "*%d\r\n", argc);
	for (i = 0; i < argc; i++)
		fprintf(m, "$%zu\r\n%s\r\n", strlen(argv[i]), argv[i]);
	fclose(m);
	if (write(fd, req, reqlen) != (ssize_t)reqlen) {
		snprintf(why, whylen, "writing to %s: %s", path, strerror(errno));
		goto fail;
	}
	for (;;) {
		ssize_t n;

		if (have + 4096 > cap) {
			char *nb = realloc(buf, cap = cap ? cap * 2 : 65536);

			if (nb == NULL) {
				snprintf(why, whylen, "out of memory");
				goto fail;
			}
			buf = nb;
		}
		n = read(fd, buf + have, cap - have);
		if (n <= 0) {
			snprintf(why, whylen, "%s %s", path,
				 n == 0 ? "closed the connection without a reply"
					: "did not answer in time (is the control thread stuck?)");
			goto fail;
		}
		have += (size_t)n;
		used = parse_reply(buf, have, r, 0);
		if (used < 0) {
			snprintf(why, whylen, "malformed reply from %s", path);
			goto fail;
		}
		if (used > 0)
			break;
	}
	free(req);
	free(buf);
	close(fd);
	return 0;
fail:
	free(req);
	free(buf);
	close(fd);
	return -1;
}

/* Prints why the instance cannot be reached and returns the exit status 1. */
static int not_reachable(const struct ctl *c, const char *why)
{
	if (admin_errno == EACCES || admin_errno == EPERM)
		fprintf(stderr, "sluicectl: %s (the admin socket is for root only, mode 0600)\n",
			why);
	else if (running_pid(c) == 0)
		fprintf(stderr,
			"sluicectl: instance '%s' is not running (no live lock on %s/%s.pid)\n",
			c->instance, c->run_dir, c->instance);
	else
		fprintf(stderr, "sluicectl: %s\n", why);
	return 1;
}

/* Runs an admin command and prints its reply; errors go to stderr (exit 1). */
static int admin_print(const struct ctl *c, int argc, const char *const *argv)
{
	struct reply r = {0};
	char why[512];
	size_t i;
	int rc = 0;

	if (admin_call(c, argc, argv, &r, why, sizeof(why)) != 0)
		return not_reachable(c, why);
	switch (r.type) {
	case '-':
		fprintf(stderr, "sluicectl: %s\n", r.str);
		rc = 1;
		break;
	case '*':
		/* CONFIG GET: name value pairs */
		for (i = 0; i + 1 < r.n; i += 2)
			printf("%s %s\n", r.items[i].str ? r.items[i].str : "",
			       r.items[i + 1].str ? r.items[i + 1].str : "");
		if (r.n == 0) {
			fprintf(stderr, "sluicectl: no live option matches (see 'sluicectl "
					"--help')\n");
			rc = 1;
		}
		break;
	case '_':
		printf("(nil)\n");
		break;
	case '$':
		/* Text (CAPS, PACING, CLIENTS LIST): lines without their CR. */
		for (i = 0; i < r.len; i++)
			if (r.str[i] != '\r')
				putchar(r.str[i]);
		if (r.len > 0 && r.str[r.len - 1] != '\n')
			putchar('\n');
		break;
	default:
		fwrite(r.str, 1, r.len, stdout);
		if (r.len > 0 && r.str[r.len - 1] != '\n')
			putchar('\n');
	}
	reply_free(&r);
	return rc;
}

static int cmd_clients(const struct ctl *c, int argc, char **argv)
{
	if (argc == 1 && strcmp(argv[0], "list") == 0) {
		const char *req[] = {"CLIENTS", "LIST"};

		return admin_print(c, 2, req);
	}
	if (argc == 2 && strcmp(argv[0], "kill") == 0) {
		const char *req[] = {"CLIENTS", "KILL", argv[1]};
		struct reply r = {0};
		char why[512];
		int rc = 0;

		if (admin_call(c, 3, req, &r, why, sizeof(why)) != 0)
			return not_reachable(c, why);
		if (r.type == '-') {
			fprintf(stderr, "sluicectl: clients kill %s: %s\n", argv[1], r.str);
			rc = 1;
		} else {
			printf("killed %s client(s)\n", r.str);
		}
		reply_free(&r);
		return rc;
	}
	fprintf(stderr, "sluicectl: usage: clients list | clients kill ID|IP:PORT\n");
	return 2;
}

static int cmd_config(const struct ctl *c, int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[0], "get") == 0) {
		const char *req[] = {"CONFIG", "GET", argv[1]};

		return admin_print(c, 3, req);
	}
	if (argc >= 3 && strcmp(argv[0], "set") == 0) {
		/* The value may be several words (client-output-buffer-limit): one argument. */
		char value[512];
		size_t off = 0;
		int i;

		value[0] = '\0';
		for (i = 2; i < argc && off < sizeof(value); i++)
			off += (size_t)snprintf(value + off, sizeof(value) - off, "%s%s",
						i > 2 ? " " : "", argv[i]);
		{
			const char *req[] = {"CONFIG", "SET", argv[1], value};

			return admin_print(c, 4, req);
		}
	}
	fprintf(stderr, "sluicectl: usage: config get NAME | config set NAME VALUE...\n");
	return 2;
}

/* caps [get] | caps set global|source|PREFIX N [SLACK] | caps del PREFIX */
static int cmd_caps(const struct ctl *c, int argc, char **argv)
{
	if (argc == 0 || (argc == 1 && strcmp(argv[0], "get") == 0)) {
		const char *req[] = {"CAPS", "GET"};

		return admin_print(c, 2, req);
	}
	if ((argc == 3 || (argc == 4 && strcmp(argv[1], "source") == 0)) &&
	    strcmp(argv[0], "set") == 0) {
		const char *req[] = {"CAPS", "SET", argv[1], argv[2], argc == 4 ? argv[3] : NULL};

		return admin_print(c, argc + 1, req);
	}
	if (argc == 2 && strcmp(argv[0], "del") == 0) {
		const char *req[] = {"CAPS", "DEL", argv[1]};

		return admin_print(c, 3, req);
	}
	fprintf(stderr, "sluicectl: usage: caps [get] | caps set global N | caps set source N "
			"[SLACK] | caps set A.B.C.D[/LEN] N | caps del A.B.C.D[/LEN]\n");
	return 2;
}

/* pacing | pacing conn MBPS | pacing port MBPS|default|off */
static int cmd_pacing(const struct ctl *c, int argc, char **argv)
{
	if (argc == 0) {
		const char *req[] = {"PACING"};

		return admin_print(c, 1, req);
	}
	if (argc == 2 && (strcmp(argv[0], "conn") == 0 || strcmp(argv[0], "port") == 0)) {
		int port = strcmp(argv[0], "port") == 0;
		const char *v = argv[1];

		if (port && strcmp(v, "default") == 0)
			v = "0";
		else if (port && strcmp(v, "off") == 0)
			v = "-1";
		else if (!port && strcmp(v, "off") == 0)
			v = "0";
		{
			const char *req[] = {"CONFIG", "SET",
					     port ? "port-rate-mbps" : "conn-rate-mbps", v};

			return admin_print(c, 4, req);
		}
	}
	fprintf(stderr, "sluicectl: usage: pacing | pacing conn MBPS|off | pacing port "
			"MBPS|default|off\n");
	return 2;
}

/* "key:value" from an INFO-style text; 0 if found. */
static int info_get(const char *text, const char *key, unsigned long long *v)
{
	size_t k = strlen(key);
	const char *p = text;

	while (p != NULL && *p != '\0') {
		if (strncmp(p, key, k) == 0 && p[k] == ':') {
			*v = strtoull(p + k + 1, NULL, 10);
			return 0;
		}
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	return -1;
}

/* One sample for top: XDP counters from the maps, server counters from STATS. */
struct sample {
	int have_xdp, have_admin;
	uint64_t xdp[SL_XDP_STAT__MAX];
	char *stats; /* STATS text, or NULL */
	char why[512];
	struct timespec at;
};

static void take_sample(const struct ctl *c, struct sample *s)
{
	const char *req[] = {"STATS"};
	char path[4096];
	struct reply r = {0};
	int fd;

	memset(s, 0, sizeof(*s));
	clock_gettime(CLOCK_MONOTONIC, &s->at);
	snprintf(path, sizeof(path), "%s/sluice/%s/%s", c->bpffs, c->instance, SL_BPF_PIN_STATS);
	fd = bpf_obj_get(path);
	if (fd >= 0) {
		s->have_xdp = sl_xdp_read_stats(fd, s->xdp) == 0;
		close(fd);
	}
	if (admin_call(c, 1, req, &r, s->why, sizeof(s->why)) == 0) {
		if (r.type == '$') {
			s->stats = r.str;
			r.str = NULL;
			s->have_admin = 1;
		} else {
			snprintf(s->why, sizeof(s->why), "STATS answered: %s", r.str ? r.str : "?");
		}
		reply_free(&r);
	}
}

static double rate(uint64_t a, uint64_t b, double secs)
{
	return secs > 0 && b >= a ? (double)(b - a) / secs : 0.0;
}

static void print_frame(const struct ctl *c, const struct sample *a, const struct sample *b)
{
	double secs = (double)(b->at.tv_sec - a->at.tv_sec) +
		      (double)(b->at.tv_nsec - a->at.tv_nsec) / 1e9;
	unsigned long long nw = 0, w;
	time_t now = time(NULL);
	char ts[32];

	strftime(ts, sizeof(ts), "%H:%M:%S", localtime(&now));
	printf("sluice %s  %s  (rates over %.1f s)\n", c->instance, ts, secs);
	if (b->have_admin && a->have_admin && info_get(b->stats, "workers", &nw) == 0) {
		printf("%-8s %12s %12s %14s %10s\n", "worker", "requests/s", "connections",
		       "output_memory", "state");
		for (w = 0; w < nw; w++) {
			char key[64];
			unsigned long long r0 = 0, r1 = 0, conns = 0, omem = 0, resp = 0;
			int have_mem;

			snprintf(key, sizeof(key), "worker%llu_requests", w);
			info_get(a->stats, key, &r0);
			info_get(b->stats, key, &r1);
			snprintf(key, sizeof(key), "worker%llu_connections", w);
			info_get(b->stats, key, &conns);
			snprintf(key, sizeof(key), "worker%llu_output_memory", w);
			have_mem = info_get(b->stats, key, &omem) == 0;
			snprintf(key, sizeof(key), "worker%llu_responsive", w);
			info_get(b->stats, key, &resp);
			printf("%-8llu %12.0f %12llu ", w, rate(r0, r1, secs), conns);
			if (have_mem)
				printf("%14llu", omem);
			else
				printf("%14s", "?");
			printf(" %10s\n", resp ? "ok" : "stuck?");
		}
	} else {
		printf("workers: unavailable (%s)\n",
		       b->have_admin ? "first sample missing" : b->why);
	}
	if (a->have_xdp && b->have_xdp) {
		uint64_t ta = 0, tb = 0;
		int i;

		for (i = 0; i < SL_XDP_STAT__MAX; i++) {
			ta += a->xdp[i];
			tb += b->xdp[i];
		}
		printf("xdp decisions/s: %.0f (redirect %.0f, pass %.0f, drop %.0f)\n",
		       rate(ta, tb, secs),
		       rate(a->xdp[SL_XDP_REDIRECT_ARP] + a->xdp[SL_XDP_REDIRECT_IPV4] +
				    a->xdp[SL_XDP_REDIRECT_SYN],
			    b->xdp[SL_XDP_REDIRECT_ARP] + b->xdp[SL_XDP_REDIRECT_IPV4] +
				    b->xdp[SL_XDP_REDIRECT_SYN],
			    secs),
		       rate(a->xdp[SL_XDP_PASS_INACTIVE] + a->xdp[SL_XDP_PASS_OTHER] +
				    a->xdp[SL_XDP_PASS_MALFORMED],
			    b->xdp[SL_XDP_PASS_INACTIVE] + b->xdp[SL_XDP_PASS_OTHER] +
				    b->xdp[SL_XDP_PASS_MALFORMED],
			    secs),
		       rate(a->xdp[SL_XDP_DROP_OVERLOAD] + a->xdp[SL_XDP_DROP_ACL] +
				    a->xdp[SL_XDP_DROP_SYN_RATE] + a->xdp[SL_XDP_DROP_CONN_CAP],
			    b->xdp[SL_XDP_DROP_OVERLOAD] + b->xdp[SL_XDP_DROP_ACL] +
				    b->xdp[SL_XDP_DROP_SYN_RATE] + b->xdp[SL_XDP_DROP_CONN_CAP],
			    secs));
	} else {
		printf("xdp decisions/s: unavailable (no pinned stats map under %s/sluice/%s)\n",
		       c->bpffs, c->instance);
	}
	fflush(stdout);
}

static volatile sig_atomic_t top_stop;

static void on_top_signal(int sig)
{
	(void)sig;
	top_stop = 1;
}

/* top [--count N | --once]: a frame per second; forever without a count. */
static int cmd_top(const struct ctl *c, int argc, char **argv)
{
	struct sample a, b;
	unsigned long count = 0, i;
	int tty = isatty(STDOUT_FILENO);

	if (argc == 1 && strcmp(argv[0], "--once") == 0) {
		count = 1;
	} else if (argc == 2 && strcmp(argv[0], "--count") == 0) {
		char *end;

		count = strtoul(argv[1], &end, 10);
		if (*end != '\0' || count == 0) {
			fprintf(stderr, "sluicectl: top --count wants a positive number\n");
			return 2;
		}
	} else if (argc != 0) {
		fprintf(stderr, "sluicectl: usage: top [--count N | --once]\n");
		return 2;
	}
	take_sample(c, &a);
	if (!a.have_admin && !a.have_xdp) {
		free(a.stats);
		return not_reachable(c, a.why);
	}
	signal(SIGINT, on_top_signal);
	signal(SIGTERM, on_top_signal);
	for (i = 0; !top_stop && (count == 0 || i < count); i++) {
		struct timespec one = {1, 0};

		while (nanosleep(&one, &one) == -1 && errno == EINTR && !top_stop)
			;
		if (top_stop)
			break;
		take_sample(c, &b);
		if (tty && count != 1)
			printf("\033[H\033[2J");
		print_frame(c, &a, &b);
		free(a.stats);
		a = b;
	}
	free(a.stats);
	return 0;
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
	if (pid > 0) {
		const char *req[] = {"STATUS"};
		struct reply r = {0};
		char why[512];

		if (admin_call(c, 1, req, &r, why, sizeof(why)) == 0 && r.type == '$') {
			char *line, *save = NULL;

			for (line = strtok_r(r.str, "\r\n", &save); line != NULL;
			     line = strtok_r(NULL, "\r\n", &save))
				printf("%s\n", line);
		} else {
			printf("admin socket: unavailable (%s)\n", why);
		}
		reply_free(&r);
	}
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

/*
 * XDP counters straight from the pinned map (they keep counting in the
 * kernel whatever the dataplane does), then the server's counters from the
 * admin socket; either part says so when it is missing.
 */
static int cmd_stats(const struct ctl *c)
{
	const char *req[] = {"STATS"};
	uint64_t v[SL_XDP_STAT__MAX];
	int fd = open_pin(c, SL_BPF_PIN_STATS), i, have_xdp = 0;
	struct reply r = {0};
	char why[512];

	if (fd >= 0) {
		have_xdp = sl_xdp_read_stats(fd, v) == 0;
		if (!have_xdp)
			fprintf(stderr, "sluicectl: reading stats map failed\n");
		close(fd);
	}
	if (have_xdp) {
		printf("# XDP (pinned maps)\n");
		for (i = 0; i < SL_XDP_STAT__MAX; i++)
			printf("xdp_%s:%llu\n", sl_xdp_stat_names[i], (unsigned long long)v[i]);
	} else {
		printf("# XDP: unavailable (no pinned stats map)\n");
	}
	if (admin_call(c, 1, req, &r, why, sizeof(why)) == 0 && r.type == '$') {
		char *line, *save = NULL;

		/* The maps' part is printed above; keep the server's sections. */
		for (line = strtok_r(r.str, "\r\n", &save); line != NULL;
		     line = strtok_r(NULL, "\r\n", &save))
			if (strncmp(line, "xdp_", 4) != 0 && strcmp(line, "# XDP") != 0)
				printf("%s\n", line);
		reply_free(&r);
		return have_xdp || running_pid(c) > 0 ? 0 : 1;
	}
	if (r.type == '-')
		snprintf(why, sizeof(why), "STATS answered: %s", r.str);
	reply_free(&r);
	printf("# Server: unavailable (%s); worker, connection and output-memory counters are "
	       "missing%s\n",
	       why, have_xdp ? ", the XDP counters above are current" : "");
	if (!have_xdp)
		return not_reachable(c, why);
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
	} else if (argc == 2 && sl_xdp_parse_prefix(argv[1], &k) == 0 &&
		   (strcmp(argv[0], "allow") == 0 || strcmp(argv[0], "deny") == 0)) {
		action = strcmp(argv[0], "deny") == 0 ? SL_BPF_ACL_DENY : SL_BPF_ACL_ALLOW;
		if (bpf_map_update_elem(fd, &k, &action, BPF_ANY) != 0) {
			fprintf(stderr, "sluicectl: acl %s %s: %s\n", argv[0], argv[1],
				strerror(errno));
			rc = 1;
		} else {
			printf("%s %s\n", argv[0], argv[1]);
		}
	} else if (argc == 2 && strcmp(argv[0], "del") == 0 &&
		   sl_xdp_parse_prefix(argv[1], &k) == 0) {
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
		     "  conn-cap CAP [SLACK]    XDP only: shed SYNs of a source at CAP+SLACK\n"
		     "  caps [get]              connection caps: global, per source, per prefix\n"
		     "  caps set global N       maxclients (Redis's error beyond it)\n"
		     "  caps set source N [SLACK]  connections per source (exact in the\n"
		     "           dataplane, XDP sheds at N+SLACK, SLACK 16 if not given)\n"
		     "  caps set A.B.C.D[/LEN] N   per-source cap for sources in the prefix\n"
		     "  caps del A.B.C.D[/LEN]  the prefix goes back to the source cap\n"
		     "  pacing                  egress rates configured and in effect\n"
		     "  pacing conn MBPS|off    per-connection rate (Mbit/s)\n"
		     "  pacing port MBPS|default|off  per-port rate (default 95%% of link)\n"
		     "  clients list            every worker's clients (CLIENT LIST format)\n"
		     "  clients kill ID|IP:PORT close a client\n"
		     "  config get NAME | config set NAME VALUE...\n"
		     "           live options: maxclients, client-output-buffer-limit,\n"
		     "           conn-rate-mbps, port-rate-mbps\n"
		     "  top [--count N | --once]  per worker requests/s, connections, output\n"
		     "           memory, and XDP decisions/s, refreshed every second\n"
		     "Map changes apply at once through the pinned maps; clients, config and top\n"
		     "use the admin socket <run-dir>/<instance>.admin.sock. No restart.\n");
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
	if (strcmp(argv[i], "clients") == 0)
		return cmd_clients(&c, argc - i - 1, argv + i + 1);
	if (strcmp(argv[i], "config") == 0)
		return cmd_config(&c, argc - i - 1, argv + i + 1);
	if (strcmp(argv[i], "top") == 0)
		return cmd_top(&c, argc - i - 1, argv + i + 1);
	if (strcmp(argv[i], "caps") == 0)
		return cmd_caps(&c, argc - i - 1, argv + i + 1);
	if (strcmp(argv[i], "pacing") == 0)
		return cmd_pacing(&c, argc - i - 1, argv + i + 1);
	fprintf(stderr, "sluicectl: unknown command '%s'\n", argv[i]);
	usage(stderr);
	return 2;
}
