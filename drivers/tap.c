/*
 * tap backend: DPDK's net_tap PMD creates a TAP interface whose kernel side
 * is the peer. A development fallback for hosts where AF_XDP is unavailable;
 * every frame crosses the kernel, so it says nothing about performance.
 */
#include <errno.h>
#include <stdio.h>

#include "drivers/port_priv.h"

static int tap_preflight(const struct sl_port_conf *conf, char *err, size_t errlen)
{
	if (if_nametoindex(conf->name) != 0) {
		snprintf(err, errlen,
			 "interface '%s' already exists; device tap:%s creates it, so choose a "
			 "free name",
			 conf->name, conf->name);
		return -EEXIST;
	}
	return 0;
}

static int tap_eal_args(const struct sl_port_conf *conf, char **argv, int *argc, int max)
{
	char vdev[128];

	snprintf(vdev, sizeof(vdev), "net_tap0,iface=%s", conf->name);
	return sl_port_push_vdev(argv, argc, max, vdev);
}

static void tap_dev_name(const struct sl_port_conf *conf, char *buf, size_t len)
{
	(void)conf;
	snprintf(buf, len, "net_tap0");
}

const struct sl_port_ops sl_port_tap_ops = {
	.prefix = "tap",
	.preflight = tap_preflight,
	.eal_args = tap_eal_args,
	.dev_name = tap_dev_name,
};
