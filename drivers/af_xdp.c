/*
 * af_xdp backend: DPDK's net_af_xdp PMD on a kernel interface, loading
 * sluice's own XDP program (the `xdp_prog` devarg) so that only the service
 * address reaches the AF_XDP sockets and everything else stays with the
 * kernel. The checks that involve BPF (bpffs, a foreign or stale program on
 * the interface) are the control plane's; this file only knows the device.
 */
#include <errno.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "drivers/port_priv.h"

/*
 * Queues DPDK's af_xdp PMD can bind on ifname: it reads the ethtool
 * "combined" channel count and treats a device without combined channels
 * (veth, many virtual NICs) as single-queue. Returns the count, or -errno.
 */
static int usable_queues(const char *ifname)
{
	struct ethtool_channels ch = {.cmd = ETHTOOL_GCHANNELS};
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc;

	if (fd == -1)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	if ((size_t)snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname) >=
	    sizeof(ifr.ifr_name)) {
		close(fd);
		return -ENAMETOOLONG;
	}
	ifr.ifr_data = (void *)&ch;
	rc = ioctl(fd, SIOCETHTOOL, &ifr);
	close(fd);
	if (rc == -1)
		return errno == EOPNOTSUPP ? 1 : -errno;
	return ch.max_combined == 0 ? 1 : (int)ch.combined_count;
}

static int af_xdp_preflight(const struct sl_port_conf *conf, char *err, size_t errlen)
{
	int nq;

	if (if_nametoindex(conf->name) == 0) {
		snprintf(err, errlen,
			 "interface '%s' does not exist (device af_xdp:%s); list interfaces with "
			 "'ip link', or create the test topology with 'deploy/testbed.sh up'",
			 conf->name, conf->name);
		return -ENODEV;
	}
	nq = usable_queues(conf->name);
	if (nq >= 0 && nq < conf->nb_queues) {
		snprintf(err, errlen,
			 "interface '%s' has %d queue(s) usable by AF_XDP but %u workers need %u; "
			 "raise it with 'ethtool -L %s combined %u' or lower 'workers' (veth "
			 "interfaces have no combined channels, so one queue: use tap:<name> or "
			 "pci:<address> for more)",
			 conf->name, nq, conf->nb_queues, conf->nb_queues, conf->name,
			 conf->nb_queues);
		return -EINVAL;
	}
	if (access(conf->xdp_prog, R_OK) == -1) {
		snprintf(err, errlen, "XDP object '%s' is not readable: %s (option xdp-prog)",
			 conf->xdp_prog, strerror(errno));
		return -ENOENT;
	}
	return 0;
}

static int af_xdp_eal_args(const struct sl_port_conf *conf, char **argv, int *argc, int max)
{
	char vdev[PATH_MAX + 128];

	snprintf(vdev, sizeof(vdev),
		 "net_af_xdp0,iface=%s,start_queue=0,queue_count=%u,xdp_prog=%s", conf->name,
		 conf->nb_queues, conf->xdp_prog);
	return sl_port_push_vdev(argv, argc, max, vdev);
}

static void af_xdp_dev_name(const struct sl_port_conf *conf, char *buf, size_t len)
{
	(void)conf;
	snprintf(buf, len, "net_af_xdp0");
}

const struct sl_port_ops sl_port_af_xdp_ops = {
	.prefix = "af_xdp",
	.preflight = af_xdp_preflight,
	.eal_args = af_xdp_eal_args,
	.dev_name = af_xdp_dev_name,
};
