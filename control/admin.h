/*
 * The admin socket: a Unix stream socket that speaks RESP (so `redis-cli -s`
 * works as well as sluicectl), served by the control thread only.
 *
 * Path: <run-dir>/<instance>.admin.sock. It is created with umask 0177
 * (mode 0600, owned by the user sluice runs as: root), and the mode and
 * owner are checked after bind; a connecting peer must also pass an
 * SO_PEERCRED check (uid 0 or our own uid). A stale socket left by a dead
 * instance is replaced; anything else in the way (a regular file, a
 * directory, a socket someone still serves) makes start-up fail.
 *
 * Commands (argument parsing by dataplane/resp, Redis's own parser):
 *   PING [msg]                   +PONG
 *   STATUS                       instance, transport, uptime, each worker's state
 *   STATS                        XDP decision counters, server and per-worker counters
 *   CLIENTS LIST                 every worker's clients, Redis CLIENT LIST format
 *   CLIENTS KILL <id>|<ip:port>  :number of clients killed, or -ERR No such client
 *   CONFIG GET <pattern>         the options that can change live
 *   CONFIG SET <name> <value>    maxclients, client-output-buffer-limit,
 *                                conn-rate-mbps, port-rate-mbps
 *   CAPS [GET]                   global, per-source and per-prefix connection caps
 *   CAPS SET GLOBAL <n>          maxclients
 *   CAPS SET SOURCE <n> [slack]  per-source cap (dataplane exact, XDP + slack, 16)
 *   CAPS SET <prefix> <n>        per-source cap for sources inside the prefix
 *   CAPS DEL <prefix>            back to the SOURCE cap
 *   PACING                       rates configured and in effect, pacer counters
 *   anything else                Redis's unknown-command error
 *
 * Worker-owned data (client registries, output memory, limits) is reached
 * through each worker's mailbox (dataplane/worker.h): the control thread
 * posts a request, the worker runs it at the end of a loop iteration, and
 * the control thread waits at most the call timeout; a worker that does not
 * answer (stuck) is reported as such instead of hanging the socket. Plain
 * per-worker counters are read directly, as everywhere else in the control
 * thread.
 *
 * Context: control thread only, except the request functions it posts,
 * which run on the workers (bounded walks of the worker's own client
 * registry; no syscalls, no allocation).
 */
#ifndef SL_CONTROL_ADMIN_H
#define SL_CONTROL_ADMIN_H

#include <stddef.h>
#include <stdint.h>

#include "control/bpf/sluice_maps.h"
#include "dataplane/cmd/cmd.h"
#include "dataplane/resp/resp.h"
#include "dataplane/server.h"
#include "dataplane/worker.h"

/* How long a request waits for a worker before answering an error. */
#define SL_ADMIN_CALL_TIMEOUT_MS 1000
/* Connections served at once; more are accepted and closed at once. */
#define SL_ADMIN_MAX_CONNS 16
/* Largest request (all its arguments): admin commands are short. */
#define SL_ADMIN_REQ_MAX (64 * 1024)

struct sl_admin;

struct sl_admin_params {
	const char *path;      /* socket path, copied; at most 107 bytes */
	const char *instance;  /* borrowed for the admin's lifetime; STATUS */
	const char *transport; /* borrowed: "dpdk" or "kernel" */
	const char *device;    /* borrowed, may be NULL */
	/* Borrowed arrays of n_workers, valid until sl_admin_destroy; NULL/0 when
	 * the transport has no sl_worker (kernel): CLIENTS then answers an error. */
	struct sl_worker *workers;
	struct sl_server *servers;
	unsigned n_workers;
	int xdp_stats_fd;           /* the pinned per-CPU stats map, or -1 */
	int xdp_caps_fd;            /* the per-prefix cap LPM map, or -1 */
	struct sl_bpf_cfg *xdp_cfg; /* the program's mmapped config, or NULL */
	struct sl_srccap *srccap;   /* the workers' per-source caps, or NULL */
	/* The kernel transport's engine settings (CAPS global = maxclients), or NULL:
	 * with workers, servers[0].eng.shared is used. */
	struct sl_engine_shared *shared;
	unsigned timeout_ms; /* per worker call; 0 = SL_ADMIN_CALL_TIMEOUT_MS */
	uint64_t start_ms;   /* unix ms at start, for uptime */
	/* Egress pacing as configured (CONFIG GET/SET conn-rate-mbps, port-rate-mbps):
	 * port 0 = 95% of link_speed_mbps, -1 = off; conn 0 = off. */
	long long conn_rate_mbps;
	long long port_rate_mbps;
	uint32_t link_speed_mbps;
};

/*
 * Removes what a dead instance left at path if it is a socket nobody
 * serves. Returns 0 (path is free now; *removed says whether a stale socket
 * was taken away), -EEXIST (something that is not a socket is there),
 * -EADDRINUSE (a live process answers on it) or -errno, with a message in
 * err. Control thread.
 */
int sl_admin_clear_path(const char *path, int *removed, char *err, size_t errlen);

/*
 * Creates the socket (see above) and starts serving. p is copied (the
 * pointers in it are borrowed). Returns NULL with errno set and a message
 * in err.
 */
struct sl_admin *sl_admin_create(const struct sl_admin_params *p, char *err, size_t errlen);

/*
 * Serves the socket: waits up to timeout_ms for activity, then accepts,
 * reads, runs complete requests (which may each wait for workers) and
 * writes replies. Returns 0, or -errno from poll (EINTR: a signal came).
 */
int sl_admin_poll(struct sl_admin *a, int timeout_ms);

/*
 * Runs one parsed request and appends its reply to out (borrowed). argv is
 * borrowed for the call. Exposed for tests; sl_admin_poll uses it.
 */
void sl_admin_execute(struct sl_admin *a, const struct sl_resp_arg *argv, uint32_t argc,
		      struct sl_resp_out *out);

/* Closes every connection, removes the socket file, frees *a and NULLs it. */
void sl_admin_destroy(struct sl_admin **a);

#endif /* SL_CONTROL_ADMIN_H */
