#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "control/config.h"

enum opt_type {
	OPT_INT,
	OPT_BOOL,
	OPT_STRING,
	OPT_ENUM,
	OPT_CIDR, /* a.b.c.d/len: fills address and netmask */
	OPT_IPV4, /* a.b.c.d, or "" for none */
	OPT_NAME, /* [A-Za-z0-9_-]+ */
	OPT_SIZE, /* Redis memtoll: 100, 1k, 1kb, 2mb, 1gb... */
	OPT_OBUF, /* client-output-buffer-limit <class> <hard> <soft> <seconds> [...] */
};

struct option_def {
	const char *name;
	enum opt_type type;
	size_t offset;
	size_t size; /* string buffers */
	long long min, max;
	const char *const *choices; /* OPT_ENUM, NULL-terminated */
	const char *def;
	const char *help;
};

static const char *const loglevels[] = {"debug", "verbose", "notice", "warning", NULL};
static const char *const transports[] = {"dpdk", "kernel", NULL};
static const char *const apps[] = {"resp", "echo", NULL};
/* Same order as enum sl_store_policy. */
static const char *const policies[] = {"noeviction",      "allkeys-lru",  "allkeys-lfu",
				       "allkeys-random",  "volatile-lru", "volatile-lfu",
				       "volatile-random", "volatile-ttl", NULL};

#define OFF(f)  offsetof(struct sl_config, f)
#define SIZE(f) sizeof(((struct sl_config *)0)->f)

static const struct option_def options[] = {
	{"transport", OPT_ENUM, OFF(transport), 0, 0, 0, transports, "dpdk",
	 "dpdk: the kernel-bypass dataplane on `device`; kernel: ordinary sockets on `bind`"},
	{"bind", OPT_IPV4, OFF(bind), 0, 0, 0, NULL, "127.0.0.1",
	 "kernel transport: IPv4 address to listen on"},
	{"port", OPT_INT, OFF(port), 0, 1, 65535, NULL, "6379", "TCP port clients connect to"},
	{"maxclients", OPT_INT, OFF(maxclients), 0, 1, 1000000, NULL, "10000",
	 "connections served at once; one more gets '-ERR max number of clients reached'"},
	{"app", OPT_ENUM, OFF(app), 0, 0, 0, apps, "resp",
	 "resp: the cache; echo: a TCP echo on `port` for testing the dataplane's TCP stack"},
	{"client-output-buffer-limit", OPT_OBUF, 0, 0, 0, 0, NULL,
	 "normal 0 0 0 replica 256mb 64mb 60 pubsub 32mb 8mb 60",
	 "<class> <hard> <soft> <seconds> [...]: close a client whose unsent replies reach "
	 "<hard> bytes, or stay above <soft> for <seconds>; classes normal, replica, pubsub "
	 "(sluice's clients are all normal); 0 disables"},
	{"maxclients-per-source", OPT_INT, OFF(maxclients_per_source), 0, 0, 1000000, NULL, "0",
	 "connections one source (see source-prefix) may hold; one more gets '-ERR max number "
	 "of clients reached'; 0 for no cap"},
	{"source-prefix", OPT_INT, OFF(source_prefix), 0, 1, 32, NULL, "32",
	 "prefix length that groups client addresses into one source for "
	 "maxclients-per-source (24: a /24 is one source)"},
	{"output-memory-budget", OPT_SIZE, OFF(output_memory_budget), 0, 0, 0, NULL, "256mb",
	 "per worker: when the unsent replies of all its clients pass this, clients holding "
	 "more than 64kb of them stop being read (nothing is dropped) until the total falls "
	 "below 3/4 of it or their own output drains; 0 disables"},
	{"protected-mode", OPT_BOOL, OFF(protected_mode), 0, 0, 1, NULL, "yes",
	 "with no requirepass and no ACL, serve only the directly connected subnet"},
	{"requirepass", OPT_STRING, OFF(requirepass), SIZE(requirepass), 0, 0, NULL, "",
	 "password clients must give with AUTH or HELLO; empty for none"},
	{"maxmemory", OPT_SIZE, OFF(maxmemory), 0, 0, 0, NULL, "0",
	 "memory limit for keys and values (100mb, 2gb...); 0 for none"},
	{"maxmemory-clients", OPT_SIZE, OFF(maxmemory_clients), 0, 0, 0, NULL, "0",
	 "memory all clients may hold in unsent replies and input (Redis's maxmemory-clients); "
	 "above it the largest clients not marked CLIENT NO-EVICT are evicted; each worker "
	 "keeps its share; 0 for none (output-memory-budget pauses input instead of evicting)"},
	{"maxmemory-policy", OPT_ENUM, OFF(maxmemory_policy), 0, 0, 0, policies, "noeviction",
	 "what to do at maxmemory: noeviction, allkeys-lru, allkeys-lfu, allkeys-random, "
	 "volatile-lru, volatile-lfu, volatile-random or volatile-ttl"},
	{"device", OPT_STRING, OFF(device), SIZE(device), 0, 0, NULL, "af_xdp:sluice0",
	 "dataplane NIC: af_xdp:<interface>, tap:<name> or pci:<address>"},
	{"address", OPT_CIDR, OFF(address), 0, 0, 0, NULL, "198.18.0.1/24",
	 "the dataplane's IPv4 address and prefix length on the device"},
	{"gateway", OPT_IPV4, OFF(gateway), 0, 0, 0, NULL, "",
	 "IPv4 next hop for clients outside the prefix; empty for none"},
	{"workers", OPT_INT, OFF(workers), 0, 1, 64, NULL, "1",
	 "worker lcores; each owns one RX and one TX queue of the device"},
	{"lcores", OPT_STRING, OFF(lcores), SIZE(lcores), 0, 0, NULL, "",
	 "EAL --lcores map (main lcore first, then one per worker); empty places the "
	 "main lcore on the first allowed CPU and workers on the following ones"},
	{"no-huge", OPT_BOOL, OFF(no_huge), 0, 0, 1, NULL, "no",
	 "run DPDK on ordinary pages instead of hugepages (development and CI)"},
	{"memory", OPT_INT, OFF(memory_mb), 0, 64, 1 << 20, NULL, "1024",
	 "megabytes of DPDK memory when no-huge is set"},
	{"instance", OPT_NAME, OFF(instance), SIZE(instance), 0, 0, NULL, "default",
	 "instance name: pins go to <bpffs>/sluice/<instance>, locks and pid to <run-dir>"},
	{"bpffs", OPT_STRING, OFF(bpffs), SIZE(bpffs), 0, 0, NULL, "/sys/fs/bpf",
	 "where the BPF filesystem is mounted"},
	{"xdp-prog", OPT_STRING, OFF(xdp_prog), SIZE(xdp_prog), 0, 0, NULL, "",
	 "XDP object for af_xdp devices; empty uses the one built or installed with sluice"},
	{"loglevel", OPT_ENUM, OFF(loglevel), 0, 0, 0, loglevels, "notice",
	 "debug, verbose, notice or warning"},
	{"logfile", OPT_STRING, OFF(logfile), SIZE(logfile), 0, 0, NULL, "",
	 "log file (appended); empty logs to standard error"},
	{"run-dir", OPT_STRING, OFF(run_dir), SIZE(run_dir), 0, 0, NULL, "/run/sluice",
	 "directory for the instance's pid file and locks"},
	{"rx-descriptors", OPT_INT, OFF(rx_descriptors), 0, 64, 16384, NULL, "1024",
	 "RX ring size per queue"},
	{"tx-descriptors", OPT_INT, OFF(tx_descriptors), 0, 64, 16384, NULL, "1024",
	 "TX ring size per queue"},
	{"mbufs", OPT_INT, OFF(mbufs), 0, 1024, 1 << 24, NULL, "16383",
	 "packet buffers in the pool shared by all queues"},
	{"port-rate-mbps", OPT_INT, OFF(port_rate_mbps), 0, -1, 10000000, NULL, "0",
	 "egress pacing of the whole port in Mbit/s, shared evenly by the workers: 0 for 95% of "
	 "the link speed the port reports (no pacing if it reports none), -1 for no port pacing"},
	{"conn-rate-mbps", OPT_INT, OFF(conn_rate_mbps), 0, 0, 10000000, NULL, "0",
	 "egress pacing of each connection in Mbit/s, on top of its congestion window; 0 for no "
	 "per-connection cap"},
};

#define NOPTIONS (sizeof(options) / sizeof(options[0]))

static const struct option_def *find_option(const char *name)
{
	size_t i;

	for (i = 0; i < NOPTIONS; i++)
		if (strcasecmp(options[i].name, name) == 0)
			return &options[i];
	return NULL;
}

static int parse_ll(const char *s, long long *out)
{
	char *end;

	if (*s == '\0')
		return -EINVAL;
	errno = 0;
	*out = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -EINVAL;
	return 0;
}

/* Redis memtoll: k/m/g are powers of 1000, kb/mb/gb powers of 1024. */
static int parse_size(const char *v, long long *out)
{
	static const struct {
		const char *unit;
		long long mul;
	} units[] = {{"", 1},        {"b", 1},        {"k", 1000},       {"kb", 1024},
		     {"m", 1000000}, {"mb", 1 << 20}, {"g", 1000000000}, {"gb", 1 << 30}};
	char *end;
	long long n;
	size_t u;

	errno = 0;
	n = strtoll(v, &end, 10);
	for (u = 0; u < sizeof(units) / sizeof(units[0]); u++)
		if (strcasecmp(end, units[u].unit) == 0)
			break;
	if (end == v || errno != 0 || n < 0 || u == sizeof(units) / sizeof(units[0]) ||
	    n > LLONG_MAX / units[u].mul)
		return -EINVAL;
	*out = n * units[u].mul;
	return 0;
}

/* "<class> <hard> <soft> <seconds> [<class> ...]", classes as Redis names them. */
static int set_obuf(struct sl_config *cfg, const char *v, char *err, size_t errlen)
{
	char buf[512], *save = NULL, *tok[64];
	int n = 0, i;

	snprintf(buf, sizeof(buf), "%s", v);
	for (char *t = strtok_r(buf, " \t", &save); t != NULL && n < 64;
	     t = strtok_r(NULL, " \t", &save))
		tok[n++] = t;
	if (n == 0 || n % 4 != 0)
		goto bad;
	for (i = 0; i < n; i += 4) {
		struct sl_obuf_limit l, *dst;

		if (strcasecmp(tok[i], "normal") == 0)
			dst = &cfg->obuf_normal;
		else if (strcasecmp(tok[i], "pubsub") == 0)
			dst = &cfg->obuf_pubsub;
		else if (strcasecmp(tok[i], "replica") == 0 || strcasecmp(tok[i], "slave") == 0)
			dst = &cfg->obuf_replica;
		else
			goto bad;
		if (parse_size(tok[i + 1], &l.hard) != 0 || parse_size(tok[i + 2], &l.soft) != 0 ||
		    parse_size(tok[i + 3], &l.soft_seconds) != 0)
			goto bad;
		*dst = l;
	}
	return 0;
bad:
	snprintf(err, errlen,
		 "client-output-buffer-limit: expected <class> <hard> <soft> <seconds> groups "
		 "(class normal, replica or pubsub; sizes like 256mb), got '%s'",
		 v);
	return -EINVAL;
}

static int set_value(struct sl_config *cfg, const struct option_def *o, const char *v, char *err,
		     size_t errlen)
{
	char *field = (char *)cfg + o->offset;
	long long n;
	int i;

	switch (o->type) {
	case OPT_INT:
		if (parse_ll(v, &n) != 0 || n < o->min || n > o->max) {
			snprintf(err, errlen, "%s: expected an integer from %lld to %lld, got '%s'",
				 o->name, o->min, o->max, v);
			return -EINVAL;
		}
		*(long long *)field = n;
		return 0;
	case OPT_SIZE:
		if (parse_size(v, &n) != 0) {
			snprintf(err, errlen,
				 "%s: expected a size like 100mb or 2gb (k, kb, m, mb, g, gb), got "
				 "'%s'",
				 o->name, v);
			return -EINVAL;
		}
		*(long long *)field = n;
		return 0;
	case OPT_OBUF:
		return set_obuf(cfg, v, err, errlen);
	case OPT_BOOL:
		if (strcasecmp(v, "yes") == 0) {
			*(int *)field = 1;
		} else if (strcasecmp(v, "no") == 0) {
			*(int *)field = 0;
		} else {
			snprintf(err, errlen, "%s: expected yes or no, got '%s'", o->name, v);
			return -EINVAL;
		}
		return 0;
	case OPT_ENUM:
		for (i = 0; o->choices[i] != NULL; i++) {
			if (strcasecmp(v, o->choices[i]) == 0) {
				*(int *)field = i;
				return 0;
			}
		}
		n = snprintf(err, errlen, "%s: expected one of", o->name);
		for (i = 0; o->choices[i] != NULL && n >= 0 && (size_t)n < errlen; i++)
			n += snprintf(err + n, errlen - (size_t)n, "%s %s", i > 0 ? "," : "",
				      o->choices[i]);
		if (n >= 0 && (size_t)n < errlen)
			snprintf(err + n, errlen - (size_t)n, "; got '%s'", v);
		return -EINVAL;
	case OPT_NAME:
		for (i = 0; v[i] != '\0'; i++)
			if (!isalnum((unsigned char)v[i]) && v[i] != '-' && v[i] != '_')
				break;
		if (v[0] == '\0' || v[i] != '\0' || (size_t)i >= o->size) {
			snprintf(err, errlen,
				 "%s: expected 1 to %zu letters, digits, '-' or '_', got '%s'",
				 o->name, o->size - 1, v);
			return -EINVAL;
		}
		memcpy(field, v, (size_t)i + 1);
		return 0;
	case OPT_STRING:
		if (strlen(v) >= o->size) {
			snprintf(err, errlen, "%s: value longer than %zu characters", o->name,
				 o->size - 1);
			return -EINVAL;
		}
		strcpy(field, v);
		return 0;
	case OPT_IPV4: {
		struct in_addr a;

		if (v[0] == '\0') {
			*(uint32_t *)field = 0;
			return 0;
		}
		if (inet_pton(AF_INET, v, &a) != 1) {
			snprintf(err, errlen,
				 "%s: expected an IPv4 address like 198.18.0.254, got '%s'",
				 o->name, v);
			return -EINVAL;
		}
		*(uint32_t *)field = a.s_addr;
		return 0;
	}
	case OPT_CIDR: {
		char buf[64], *slash;
		struct in_addr a;
		long long len = 32;

		snprintf(buf, sizeof(buf), "%s", v);
		slash = strchr(buf, '/');
		if (slash != NULL)
			*slash = '\0';
		if (strlen(v) >= sizeof(buf) || inet_pton(AF_INET, buf, &a) != 1 ||
		    (slash != NULL && (parse_ll(slash + 1, &len) != 0 || len < 1 || len > 32)) ||
		    a.s_addr == 0) {
			snprintf(err, errlen,
				 "%s: expected an IPv4 address with prefix length like "
				 "198.18.0.1/24, got '%s'",
				 o->name, v);
			return -EINVAL;
		}
		cfg->address = a.s_addr;
		cfg->netmask = htonl(len == 32 ? UINT32_MAX : ~(UINT32_MAX >> len));
		return 0;
	}
	}
	return -EINVAL;
}

void sl_config_defaults(struct sl_config *cfg)
{
	char err[SL_CONFIG_ERR_LEN];
	size_t i;

	memset(cfg, 0, sizeof(*cfg));
	for (i = 0; i < NOPTIONS; i++)
		if (set_value(cfg, &options[i], options[i].def, err, sizeof(err)) != 0)
			abort(); /* a default that does not parse is a bug in the table */
}

int sl_config_set(struct sl_config *cfg, const char *name, char **args, int nargs, char *err,
		  size_t errlen)
{
	const struct option_def *o = find_option(name);

	if (o == NULL && strcasecmp(name, "rename-command") == 0) {
		/* redis.conf: rename-command <command> <newname>; "" disables it. */
		if (nargs != 2 || strlen(args[0]) >= sizeof(cfg->renames[0][0]) ||
		    strlen(args[1]) >= sizeof(cfg->renames[0][1])) {
			snprintf(err, errlen,
				 "rename-command: expected <command> <newname> "
				 "(\"\" disables the command)");
			return -EINVAL;
		}
		if (cfg->n_renames == sizeof(cfg->renames) / sizeof(cfg->renames[0])) {
			snprintf(err, errlen, "rename-command: at most %zu renames",
				 sizeof(cfg->renames) / sizeof(cfg->renames[0]));
			return -EINVAL;
		}
		strcpy(cfg->renames[cfg->n_renames][0], args[0]);
		strcpy(cfg->renames[cfg->n_renames][1], args[1]);
		cfg->n_renames++;
		return 0;
	}
	if (o == NULL) {
		snprintf(err, errlen, "unknown option '%s' (sluice --help lists them)", name);
		return -EINVAL;
	}
	if (o->type == OPT_OBUF && nargs >= 1) {
		/* As in redis.conf, the groups may be separate arguments or one string. */
		char joined[512];
		size_t off = 0;
		int i;

		for (i = 0; i < nargs && off < sizeof(joined); i++)
			off += (size_t)snprintf(joined + off, sizeof(joined) - off, "%s%s",
						i ? " " : "", args[i]);
		return set_value(cfg, o, joined, err, errlen);
	}
	if (nargs != 1) {
		snprintf(err, errlen, "%s: expected exactly one value, got %d", o->name, nargs);
		return -EINVAL;
	}
	return set_value(cfg, o, args[0], err, errlen);
}

static int hexval(int c)
{
	return isdigit(c) ? c - '0' : tolower(c) - 'a' + 10;
}

void sl_config_free_args(char **argv, int n)
{
	int i;

	for (i = 0; i < n; i++)
		free(argv[i]);
}

int sl_config_split(const char *line, char **argv, int max)
{
	const char *p = line;
	size_t cap = strlen(line) + 1;
	int n = 0;

	for (;;) {
		char *cur, *w;

		while (*p != '\0' && isspace((unsigned char)*p))
			p++;
		if (*p == '\0' || (*p == '#' && n == 0))
			return n;
		if (n == max)
			goto err;
		cur = w = malloc(cap);
		if (cur == NULL)
			goto err;
		if (*p == '"') {
			for (p++;; p++) {
				if (*p == '\0') {
					free(cur);
					goto err;
				}
				if (*p == '"')
					break;
				if (p[0] == '\\' && p[1] == 'x' && isxdigit((unsigned char)p[2]) &&
				    isxdigit((unsigned char)p[3])) {
					*w++ = (char)(hexval(p[2]) * 16 + hexval(p[3]));
					p += 3;
				} else if (p[0] == '\\' && p[1] != '\0') {
					p++;
					*w++ = *p == 'n'   ? '\n'
					       : *p == 'r' ? '\r'
					       : *p == 't' ? '\t'
					       : *p == 'b' ? '\b'
					       : *p == 'a' ? '\a'
							   : *p;
				} else {
					*w++ = *p;
				}
			}
			p++;
		} else if (*p == '\'') {
			for (p++;; p++) {
				if (*p == '\0') {
					free(cur);
					goto err;
				}
				if (*p == '\'')
					break;
				if (p[0] == '\\' && p[1] == '\'')
					p++;
				*w++ = *p;
			}
			p++;
		} else {
			while (*p != '\0' && !isspace((unsigned char)*p))
				*w++ = *p++;
		}
		/* As in redis.conf: a closing quote must be followed by space or the end. */
		if (*p != '\0' && !isspace((unsigned char)*p)) {
			free(cur);
			goto err;
		}
		*w = '\0';
		argv[n++] = cur;
	}
err:
	sl_config_free_args(argv, n);
	return -EINVAL;
}

int sl_config_load_file(struct sl_config *cfg, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char *line = NULL, *argv[16], why[SL_CONFIG_ERR_LEN];
	size_t cap = 0;
	ssize_t len;
	int lineno = 0, rc = 0, n;

	if (f == NULL) {
		rc = -errno;
		snprintf(err, errlen, "cannot open config file '%s': %s", path, strerror(errno));
		return rc;
	}
	while ((len = getline(&line, &cap, f)) != -1) {
		lineno++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		n = sl_config_split(line, argv, 16);
		if (n < 0) {
			snprintf(why, sizeof(why), "unbalanced quotes or too many arguments");
			rc = -EINVAL;
		} else if (n > 0) {
			rc = sl_config_set(cfg, argv[0], argv + 1, n - 1, why, sizeof(why));
			sl_config_free_args(argv, n);
		}
		if (rc != 0) {
			snprintf(err, errlen, "%s:%d: '%s': %s", path, lineno, line, why);
			break;
		}
	}
	free(line);
	fclose(f);
	return rc;
}

static void usage(FILE *out)
{
	size_t i;

	fprintf(out,
		"Usage: sluice [/path/to/sluice.conf] [--option value ...]\n"
		"       sluice --help | --version | --config-markdown | --commands-markdown\n\n"
		"A kernel-bypass Redis-protocol cache appliance. Every option may be set\n"
		"in the config file (redis.conf syntax: 'name value') or as --name value;\n"
		"flags override the file.\n\nOptions (default in brackets):\n");
	for (i = 0; i < NOPTIONS; i++)
		fprintf(out, "  --%-16s %s [%s]\n", options[i].name, options[i].help,
			options[i].def[0] != '\0' ? options[i].def : "\"\"");
}

int sl_config_parse_args(struct sl_config *cfg, int argc, char **argv, FILE *out, char *err,
			 size_t errlen)
{
	char why[SL_CONFIG_ERR_LEN];
	int i = 1, rc;

	if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		usage(out);
		return 1;
	}
	if (argc > 1 && (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-v") == 0)) {
		fprintf(out, "sluice v=%s\n", SL_VERSION);
		return 1;
	}
	if (argc > 1 && strcmp(argv[1], "--config-markdown") == 0) {
		sl_config_write_markdown(out);
		return 1;
	}
	if (argc > 1 && strncmp(argv[1], "--", 2) != 0) {
		rc = sl_config_load_file(cfg, argv[1], err, errlen);
		if (rc != 0)
			return rc;
		i = 2;
	}
	while (i < argc) {
		const struct option_def *o;
		const char *name = argv[i] + 2;
		char *val;

		if (strncmp(argv[i], "--", 2) != 0 || argv[i][2] == '\0') {
			snprintf(
				err, errlen,
				"command line: unexpected argument '%s' (the config file must come "
				"first; options are --name value)",
				argv[i]);
			return -EINVAL;
		}
		o = find_option(name);
		if (o != NULL && o->type == OPT_BOOL &&
		    (i + 1 == argc || strncmp(argv[i + 1], "--", 2) == 0)) {
			val = "yes";
			i += 1;
		} else if (i + 1 < argc) {
			val = argv[i + 1];
			i += 2;
		} else {
			snprintf(err, errlen, "command line: %s expects a value", argv[i]);
			return -EINVAL;
		}
		rc = sl_config_set(cfg, name, &val, 1, why, sizeof(why));
		if (rc != 0) {
			snprintf(err, errlen, "command line: %s", why);
			return rc;
		}
	}
	return 0;
}

void sl_config_write_markdown(FILE *out)
{
	size_t i;

	fprintf(out, "| option | default | meaning |\n|---|---|---|\n");
	for (i = 0; i < NOPTIONS; i++)
		fprintf(out, "| `%s` | `%s` | %s |\n", options[i].name,
			options[i].def[0] != '\0' ? options[i].def : "\"\"", options[i].help);
}
