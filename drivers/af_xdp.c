/*
 * af_xdp backend: DPDK's net_af_xdp PMD on a kernel interface, loading
 * sluice's own XDP program (the `xdp_prog` devarg) so that only the service
 * address reaches the AF_XDP sockets and everything else stays with the
 * kernel. The checks that involve BPF (bpffs, a foreign or stale program on
 * the interface) are the control plane's; this file only knows the device.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "drivers/port_priv.h"

/* Number of RX queues the kernel exposes for ifname, or -errno. */
static int kernel_rx_queues(const char *ifname)
{
	char path[128];
	struct dirent *de;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "/sys/class/net/%s/queues", ifname);
	d = opendir(path);
	if (d == NULL)
		return -errno;
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, "rx-", 3) == 0)
			n++;
	closedir(d);
	return n;
}

static int af_xdp_preflight(const struct sl_port_conf *conf, char *err, size_t errlen)
{
	int rxq;

	if (if_nametoindex(conf->name) == 0) {
		snprintf(err, errlen,
			 "interface '%s' does not exist (device af_xdp:%s); list interfaces with "
			 "'ip link', or create the test topology with 'deploy/testbed.sh up'",
			 conf->name, conf->name);
		return -ENODEV;
	}
	rxq = kernel_rx_queues(conf->name);
	if (rxq >= 0 && rxq < conf->nb_queues) {
		snprintf(err, errlen,
			 "interface '%s' has %d RX queue(s) but %u workers need %u; raise it with "
			 "'ethtool -L %s combined %u' or lower 'workers'",
			 conf->name, rxq, conf->nb_queues, conf->nb_queues, conf->name,
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
	int rc;

	snprintf(vdev, sizeof(vdev),
		 "net_af_xdp0,iface=%s,start_queue=0,queue_count=%u,xdp_prog=%s", conf->name,
		 conf->nb_queues, conf->xdp_prog);
	rc = sl_port_push_arg(argv, argc, max, "--no-pci");
	if (rc == 0)
		rc = sl_port_push_arg(argv, argc, max, "--vdev");
	if (rc == 0)
		rc = sl_port_push_arg(argv, argc, max, vdev);
	return rc;
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
