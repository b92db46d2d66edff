/*
 * The control plane's side of the XDP program: checks before start, stale
 * state left by a killed instance, and the pins under
 * <bpffs>/sluice/<instance>/ through which sluicectl reaches the maps.
 *
 * Lifecycle: sl_xdp_check_bpffs() and sl_xdp_clear_stale() before the
 * af_xdp PMD loads the program; sl_xdp_activate() after the port started
 * (finds the program the PMD attached, writes the service address into
 * sl_cfg, pins program and maps); sl_xdp_deactivate() at shutdown (removes
 * the pins; the PMD detaches the program when the port closes) and
 * sl_xdp_ensure_detached() after the port closed.
 *
 * Control thread only. Nothing here runs on a worker.
 */
#ifndef SL_CONTROL_XDP_H
#define SL_CONTROL_XDP_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "control/bpf/sluice_maps.h"

struct sl_xdp {
	int ifindex;
	uint32_t prog_id;
	int prog_fd;
	int cfg_fd;
	int stats_fd;
	int acl_fd;
	int caps_fd;
	int syn_fd;
	int conns_fd;
	struct sl_bpf_cfg *cfg;       /* mmap of sl_cfg, shared with the program */
	struct sl_bpf_sketch *sketch; /* mmap of sl_conns, written by the dataplane */
	char pin_dir[PATH_MAX];
};

/* Returns 0 when path is a mounted BPF filesystem, else -errno with a hint in err. */
int sl_xdp_check_bpffs(const char *path, char *err, size_t errlen);

/*
 * Inspects the XDP program attached to ifindex. None: returns 0. A sluice
 * program (a previous instance was killed before it could detach): detaches
 * it, stores its id in *removed_id and returns 0. Any other program: returns
 * -EBUSY with its name and id in err, leaving it in place.
 */
int sl_xdp_clear_stale(int ifindex, const char *ifname, uint32_t *removed_id, char *err,
		       size_t errlen);

/* Removes pin_dir and the pins in it. Returns how many pins were removed. */
int sl_xdp_remove_pins(const char *pin_dir);

/*
 * Finds the sluice program attached to ifindex, maps sl_cfg and sl_conns,
 * writes service_ip/service_port (network byte order) and a fresh sketch
 * seed, activates steering, then pins the program and its maps under
 * pin_dir (created). Returns 0 or -errno.
 */
int sl_xdp_activate(struct sl_xdp *x, int ifindex, const char *pin_dir, uint32_t service_ip,
		    uint16_t service_port, char *err, size_t errlen);

/* Turns steering off, removes the pins, releases fds and the mapping. */
void sl_xdp_deactivate(struct sl_xdp *x);

/*
 * After the port closed: if the program x activated is still attached,
 * detaches it (only that program). Returns 0 or -errno.
 */
int sl_xdp_ensure_detached(const struct sl_xdp *x);

/*
 * Maps a BPF_F_MMAPABLE array map's first element. Returns the mapping or
 * NULL with errno set; size is the element size rounded up to pages.
 */
void *sl_xdp_mmap(int map_fd, size_t size);

/* "a.b.c.d/len" or "a.b.c.d" (a /32) into an LPM key (network byte order,
 * bits beyond the prefix cleared, so one prefix has one key). 0 or -EINVAL. */
int sl_xdp_parse_prefix(const char *s, struct sl_bpf_acl_key *k);

/* The name of each decision counter (enum sl_xdp_stat), as sluicectl stats,
 * STATS and INFO print it after "xdp_" / "xdp:". */
extern const char *const sl_xdp_stat_names[SL_XDP_STAT__MAX];

/* Sums the per-CPU decision counters of a stats map fd into out. */
int sl_xdp_read_stats(int stats_fd, uint64_t out[SL_XDP_STAT__MAX]);

#endif /* SL_CONTROL_XDP_H */
