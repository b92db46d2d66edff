/*
 * pci backend: any PCI NIC with a DPDK PMD, allowed by address with -a.
 * The device must be bound to vfio-pci (or uio), except NICs with a
 * bifurcated driver (mlx4/mlx5) that DPDK drives next to the kernel.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "drivers/port_priv.h"

/* Accepts "dddd:bb:dd.f" or "bb:dd.f" (domain 0000). */
static void pci_full_name(const char *name, char *buf, size_t len)
{
	if (strchr(name, ':') == strrchr(name, ':'))
		snprintf(buf, len, "0000:%s", name);
	else
		snprintf(buf, len, "%s", name);
}

static int pci_preflight(const struct sl_port_conf *conf, char *err, size_t errlen)
{
	char addr[80], path[160], drv[PATH_MAX];
	const char *base;
	ssize_t n;

	pci_full_name(conf->name, addr, sizeof(addr));
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", addr);
	if (access(path, F_OK) == -1) {
		snprintf(err, errlen,
			 "PCI device %s does not exist (list NICs with "
			 "'dpdk-devbind.py --status')",
			 addr);
		return -ENODEV;
	}
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", addr);
	n = readlink(path, drv, sizeof(drv) - 1);
	if (n == -1) {
		snprintf(err, errlen,
			 "PCI device %s has no driver; bind it with "
			 "'dpdk-devbind.py --bind=vfio-pci %s'",
			 addr, addr);
		return -ENODEV;
	}
	drv[n] = '\0';
	base = strrchr(drv, '/') != NULL ? strrchr(drv, '/') + 1 : drv;
	/* vfio/uio for most PMDs; mlx4/mlx5 are bifurcated and stay on their kernel driver. */
	if (strcmp(base, "vfio-pci") != 0 && strcmp(base, "uio_pci_generic") != 0 &&
	    strcmp(base, "igb_uio") != 0 && strncmp(base, "mlx", 3) != 0) {
		snprintf(err, errlen,
			 "PCI device %s is bound to kernel driver %s; bind it with "
			 "'dpdk-devbind.py --bind=vfio-pci %s' (or use af_xdp:<interface>)",
			 addr, base, addr);
		return -EBUSY;
	}
	return 0;
}

static int pci_eal_args(const struct sl_port_conf *conf, char **argv, int *argc, int max)
{
	char addr[80];
	int rc;

	pci_full_name(conf->name, addr, sizeof(addr));
	rc = sl_port_push_arg(argv, argc, max, "-a");
	if (rc == 0)
		rc = sl_port_push_arg(argv, argc, max, addr);
	return rc;
}

static void pci_dev_name(const struct sl_port_conf *conf, char *buf, size_t len)
{
	pci_full_name(conf->name, buf, len);
}

const struct sl_port_ops sl_port_pci_ops = {
	.prefix = "pci",
	.preflight = pci_preflight,
	.eal_args = pci_eal_args,
	.dev_name = pci_dev_name,
};
