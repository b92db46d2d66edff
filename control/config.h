/*
 * Configuration: one table of options drives the config file parser
 * (redis.conf syntax), `--name value` flags, `sluice --help` and the
 * generated docs/configuration.md, so they can never disagree.
 *
 * Syntax (as redis.conf): one directive per line, `name arg...`, `#`
 * comments, blank lines ignored, arguments split on whitespace with
 * "double quotes" (escapes \n \r \t \b \a \\ \" \xHH) and 'single quotes'
 * (escape \'). Names are case-insensitive. Later settings override earlier
 * ones; flags override the file.
 *
 * Control thread only.
 */
#ifndef SL_CONTROL_CONFIG_H
#define SL_CONTROL_CONFIG_H

#include <limits.h>
#include <stdint.h>
#include <stdio.h>

#define SL_CONFIG_ERR_LEN 512

/* client-output-buffer-limit for one class (Redis semantics; 0 = no limit). */
struct sl_obuf_limit {
	long long hard; /* bytes: close at once when reached */
	long long soft; /* bytes: close when exceeded for soft_seconds */
	long long soft_seconds;
};

enum sl_transport {
	SL_TRANSPORT_DPDK = 0,
	SL_TRANSPORT_KERNEL,
};

struct sl_config {
	int transport;  /* enum sl_transport */
	uint32_t bind;  /* kernel transport: listen address, network byte order */
	long long port; /* TCP port clients connect to */
	long long maxclients;
	long long maxclients_per_source; /* 0 = no per-source cap */
	long long source_prefix;         /* sources are counted per /source_prefix */
	int protected_mode;
	struct sl_obuf_limit obuf_normal;  /* the class every client of sluice is in */
	struct sl_obuf_limit obuf_pubsub;  /* accepted for compatibility; no pub/sub yet */
	struct sl_obuf_limit obuf_replica; /* accepted for compatibility; no replicas */
	long long output_memory_budget;    /* bytes of unsent replies per worker; 0 = none */
	int app;                           /* 0: resp, 1: echo */
	unsigned n_renames;                /* rename-command <name> <newname>, in order */
	char renames[32][2][64];
	char requirepass[512];
	long long maxmemory;         /* bytes; 0 = unlimited */
	long long maxmemory_clients; /* bytes of client memory; 0 = unlimited */
	int maxmemory_policy;        /* enum sl_store_policy order */
	char device[96];             /* af_xdp:<iface> | tap:<name> | pci:<address> */
	uint32_t address;            /* network byte order */
	uint32_t netmask;            /* network byte order */
	uint32_t gateway;            /* network byte order; 0 = none */
	long long workers;
	char lcores[128]; /* EAL --lcores map; empty = automatic */
	int no_huge;
	long long memory_mb; /* DPDK memory with no-huge */
	char instance[32];
	char bpffs[PATH_MAX];
	char xdp_prog[PATH_MAX]; /* empty = next to the executable, then installed */
	int loglevel;            /* enum sl_log_level */
	char logfile[PATH_MAX];
	char run_dir[PATH_MAX];
	long long rx_descriptors;
	long long tx_descriptors;
	long long mbufs;
	long long port_rate_mbps; /* egress pacing of the port: 0 = 95% of the link, -1 = off */
	long long conn_rate_mbps; /* egress pacing per connection: 0 = off */
};

/* Fills every option with its default. */
void sl_config_defaults(struct sl_config *cfg);

/*
 * Applies one directive: name and its nargs arguments (borrowed). Returns 0,
 * or -EINVAL with a message naming what was expected in err.
 */
int sl_config_set(struct sl_config *cfg, const char *name, char **args, int nargs, char *err,
		  size_t errlen);

/*
 * Reads a config file. On error returns -errno and writes
 * "<path>:<line>: '<text>': <what was expected>" (or the I/O error) to err.
 */
int sl_config_load_file(struct sl_config *cfg, const char *path, char *err, size_t errlen);

/*
 * Parses one config-file line into argv (at most max entries, strings
 * malloc'ed, caller frees with sl_config_free_args). Returns the argument
 * count (0 for blank/comment lines) or -EINVAL for unbalanced quotes.
 */
int sl_config_split(const char *line, char **argv, int max);
void sl_config_free_args(char **argv, int n);

/*
 * Parses the command line: `sluice [config-file] [--name value ...]`.
 * Booleans accept a bare `--name` for yes. The file is read first, then the
 * flags apply in order. Returns 0, 1 when --help/--version was handled
 * (printed to out), or -errno with a message in err.
 */
int sl_config_parse_args(struct sl_config *cfg, int argc, char **argv, FILE *out, char *err,
			 size_t errlen);

/* Writes the option reference as Markdown (docs/configuration.md). */
void sl_config_write_markdown(FILE *out);

#endif /* SL_CONTROL_CONFIG_H */
