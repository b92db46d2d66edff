/*
 * drivers: the port layer over rte_ethdev.
 *
 * A port is the dataplane's NIC. Every backend is an rte_ethdev device, so
 * workers call rte_eth_rx_burst/tx_burst on (port_id, queue) directly; what
 * differs per backend is how the device comes to exist (EAL arguments), what
 * must be true of the host first (preflight), and how its ethdev is found.
 * That is one struct sl_port_ops per backend:
 *   af_xdp:<iface>   AF_XDP sockets on a kernel interface, with sluice's own
 *                    XDP program steering only the service address to them;
 *   tap:<name>       a TAP device created by DPDK (development fallback);
 *   pci:<address>    any PCI NIC with a DPDK PMD (bound to vfio-pci or the
 *                    NIC's bifurcated driver).
 *
 * Context: control thread only, before workers launch and after they stop.
 */
#ifndef SL_DRIVERS_PORT_H
#define SL_DRIVERS_PORT_H

#include <limits.h>
#include <net/if.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_mempool.h>

enum sl_port_kind {
	SL_PORT_AF_XDP = 0,
	SL_PORT_TAP,
	SL_PORT_PCI,
};

struct sl_port_conf {
	enum sl_port_kind kind;
	char name[64]; /* interface name or PCI address */
	uint16_t nb_queues;
	uint16_t nb_rxd;
	uint16_t nb_txd;
	char xdp_prog[PATH_MAX]; /* af_xdp only: path of the XDP object */
};

struct sl_port {
	uint16_t port_id;
	uint16_t nb_queues;
	enum sl_port_kind kind;
	int started;
	struct rte_ether_addr mac;
	uint32_t link_speed_mbps; /* 0 when the device does not report one */
	uint64_t tx_offloads;     /* RTE_ETH_TX_OFFLOAD_* enabled on the port */
	uint64_t rx_offloads;     /* RTE_ETH_RX_OFFLOAD_* enabled on the port */
	int ifindex;              /* af_xdp only */
	char ifname[IF_NAMESIZE]; /* af_xdp only */
};

/* Writes a message into err (of errlen bytes) and returns -errno on failure. */
typedef int sl_port_preflight_fn(const struct sl_port_conf *conf, char *err, size_t errlen);

struct sl_port_ops {
	const char *prefix; /* "af_xdp", "tap", "pci" */
	/*
	 * Checks the host before EAL init: interface or device exists, queue
	 * count fits. Returns 0 or -errno with err filled in.
	 */
	sl_port_preflight_fn *preflight;
	/*
	 * Appends this backend's EAL arguments (e.g. "--vdev", "...") to argv
	 * starting at *argc. Strings are allocated with strdup and owned by
	 * the caller. Returns 0 or -ENOMEM / -E2BIG.
	 */
	int (*eal_args)(const struct sl_port_conf *conf, char **argv, int *argc, int max);
	/* Name under which the ethdev appears after EAL init. */
	void (*dev_name)(const struct sl_port_conf *conf, char *buf, size_t len);
};

/*
 * Parses "af_xdp:<iface>", "tap:<name>" or "pci:<address>" into conf->kind
 * and conf->name. Returns 0, or -EINVAL with a message in err.
 */
int sl_port_parse(const char *spec, struct sl_port_conf *conf, char *err, size_t errlen);

/* The backend for conf->kind. Never NULL for a parsed conf. */
const struct sl_port_ops *sl_port_ops_get(enum sl_port_kind kind);

/*
 * After EAL init: finds the ethdev, configures nb_queues RX/TX queues (RSS
 * over IPv4/TCP when more than one), enables checksum offloads the device
 * has, sets up queues with mbufs from pool (borrowed; must outlive the
 * port) and starts it. Returns 0 or -errno with err filled in.
 */
int sl_port_setup(struct sl_port *port, const struct sl_port_conf *conf, struct rte_mempool *pool,
		  char *err, size_t errlen);

/* Stops and closes the device (af_xdp: the PMD detaches its XDP program). */
void sl_port_teardown(struct sl_port *port);

/* Before EAL init, to choose between huge pages and --no-huge: HugePages_Free
 * from /proc/meminfo (-1 when unreadable), and whether a hugetlbfs is
 * mounted. Any thread. */
long sl_port_free_hugepages(void);
int sl_port_hugetlbfs_mounted(void);

extern const struct sl_port_ops sl_port_af_xdp_ops;
extern const struct sl_port_ops sl_port_tap_ops;
extern const struct sl_port_ops sl_port_pci_ops;

#endif /* SL_DRIVERS_PORT_H */
