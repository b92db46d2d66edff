/*
 * BPF map layout shared by the XDP program, the dataplane and sluicectl.
 *
 * This header is the one meeting point between kernel-side and user-side
 * code, so it uses only <linux/types.h> types and fixed-width fields whose
 * layout does not depend on the compiler target (bpf or x86_64).
 *
 * Maps (names are what libbpf and the kernel report; pins live under
 * <bpffs>/sluice/<instance>/<name>):
 *   xsks_map  XSKMAP, key = RX queue index, value = AF_XDP socket. The DPDK
 *             af_xdp PMD requires exactly this name and fills it.
 *   sl_cfg    ARRAY[1] of struct sl_bpf_cfg, BPF_F_MMAPABLE. Written by the
 *             control thread (and later sluicectl); read by the program on
 *             every packet. Writers bump `generation` after a change.
 *   sl_stats  PERCPU_ARRAY[SL_XDP_STAT__MAX] of __u64: one counter per
 *             decision, summed across CPUs by readers.
 */
#ifndef SL_CONTROL_BPF_SLUICE_MAPS_H
#define SL_CONTROL_BPF_SLUICE_MAPS_H

#include <linux/types.h>

#define SL_BPF_PROG_NAME  "sluice_xdp"
#define SL_BPF_CFG_MAP    "sl_cfg"
#define SL_BPF_STATS_MAP  "sl_stats"
#define SL_BPF_XSKS_MAP   "xsks_map"
#define SL_BPF_MAX_QUEUES 64

/* Pin names under <bpffs>/sluice/<instance>/. */
#define SL_BPF_PIN_PROG  "prog"
#define SL_BPF_PIN_CFG   "cfg"
#define SL_BPF_PIN_STATS "stats"

/* sl_bpf_cfg.flags */
#define SL_BPF_CFG_F_ACTIVE 0x1 /* service_ip is valid: redirect traffic for it */

struct sl_bpf_cfg {
	__u64 generation;  /* bumped by every writer after a change */
	__u32 service_ip;  /* network byte order */
	__u32 flags;       /* SL_BPF_CFG_F_* */
	__u64 reserved[6]; /* room for caps and rates; zero */
};

/*
 * One counter per decision the program takes. Every packet increments
 * exactly one of them, so their sum is the number of packets seen.
 */
enum sl_xdp_stat {
	SL_XDP_PASS_INACTIVE = 0, /* no service configured yet: everything to the kernel */
	SL_XDP_PASS_OTHER,        /* not for the service address: to the kernel */
	SL_XDP_PASS_MALFORMED,    /* too short to classify: to the kernel */
	SL_XDP_REDIRECT_ARP,      /* ARP asking for or announcing the service address */
	SL_XDP_REDIRECT_IPV4,     /* IPv4 to the service address */
	SL_XDP_STAT__MAX
};

#endif /* SL_CONTROL_BPF_SLUICE_MAPS_H */
