#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_ethdev.h>

#include "drivers/port_priv.h"

static const struct sl_port_ops *const backends[] = {
	[SL_PORT_AF_XDP] = &sl_port_af_xdp_ops,
	[SL_PORT_TAP] = &sl_port_tap_ops,
	[SL_PORT_PCI] = &sl_port_pci_ops,
};

const struct sl_port_ops *sl_port_ops_get(enum sl_port_kind kind)
{
	if ((unsigned)kind >= sizeof(backends) / sizeof(backends[0]))
		return NULL;
	return backends[kind];
}

int sl_port_parse(const char *spec, struct sl_port_conf *conf, char *err, size_t errlen)
{
	const char *colon = strchr(spec, ':');
	size_t plen;
	unsigned k;

	if (colon == NULL || colon[1] == '\0')
		goto bad;
	plen = (size_t)(colon - spec);
	for (k = 0; k < sizeof(backends) / sizeof(backends[0]); k++) {
		const char *p = backends[k]->prefix;

		if (strlen(p) != plen || strncmp(spec, p, plen) != 0)
			continue;
		if (strlen(colon + 1) >= sizeof(conf->name)) {
			snprintf(err, errlen, "device name '%s' is too long", colon + 1);
			return -EINVAL;
		}
		if (k != SL_PORT_PCI && strlen(colon + 1) >= IF_NAMESIZE) {
			snprintf(err, errlen, "interface name '%s' is longer than %d characters",
				 colon + 1, IF_NAMESIZE - 1);
			return -EINVAL;
		}
		conf->kind = (enum sl_port_kind)k;
		snprintf(conf->name, sizeof(conf->name), "%s", colon + 1);
		return 0;
	}
bad:
	snprintf(err, errlen, "expected af_xdp:<interface>, tap:<name> or pci:<address>, got '%s'",
		 spec);
	return -EINVAL;
}

int sl_port_setup(struct sl_port *port, const struct sl_port_conf *conf, struct rte_mempool *pool,
		  char *err, size_t errlen)
{
	const struct sl_port_ops *ops = sl_port_ops_get(conf->kind);
	struct rte_eth_conf ec = {0};
	struct rte_eth_dev_info info;
	struct rte_eth_link link;
	uint16_t nb_rxd = conf->nb_rxd, nb_txd = conf->nb_txd, q;
	char name[RTE_ETH_NAME_MAX_LEN];
	int rc;

	memset(port, 0, sizeof(*port));
	port->kind = conf->kind;
	port->nb_queues = conf->nb_queues;
	ops->dev_name(conf, name, sizeof(name));
	rc = rte_eth_dev_get_port_by_name(name, &port->port_id);
	if (rc != 0) {
		snprintf(err, errlen, "DPDK did not create device %s for %s:%s", name, ops->prefix,
			 conf->name);
		return -ENODEV;
	}
	rc = rte_eth_dev_info_get(port->port_id, &info);
	if (rc != 0)
		goto fail;
	if (conf->nb_queues > info.max_rx_queues || conf->nb_queues > info.max_tx_queues) {
		snprintf(err, errlen, "%s:%s supports %u RX and %u TX queues; %u workers need %u",
			 ops->prefix, conf->name, info.max_rx_queues, info.max_tx_queues,
			 conf->nb_queues, conf->nb_queues);
		return -EINVAL;
	}
	if (conf->nb_queues > 1) {
		ec.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		ec.rx_adv_conf.rss_conf.rss_hf =
			info.flow_type_rss_offloads & (RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP);
	}
	ec.rxmode.offloads = info.rx_offload_capa &
			     (RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_TCP_CKSUM);
	ec.txmode.offloads = info.tx_offload_capa &
			     (RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_TCP_CKSUM);
	rc = rte_eth_dev_configure(port->port_id, conf->nb_queues, conf->nb_queues, &ec);
	if (rc != 0)
		goto fail;
	rc = rte_eth_dev_adjust_nb_rx_tx_desc(port->port_id, &nb_rxd, &nb_txd);
	if (rc != 0)
		goto fail;
	for (q = 0; q < conf->nb_queues; q++) {
		rc = rte_eth_rx_queue_setup(port->port_id, q, nb_rxd,
					    rte_eth_dev_socket_id(port->port_id), NULL, pool);
		if (rc != 0)
			goto fail;
		rc = rte_eth_tx_queue_setup(port->port_id, q, nb_txd,
					    rte_eth_dev_socket_id(port->port_id), NULL);
		if (rc != 0)
			goto fail;
	}
	rc = rte_eth_dev_start(port->port_id);
	if (rc != 0)
		goto fail;
	port->started = 1;
	port->rx_offloads = ec.rxmode.offloads;
	port->tx_offloads = ec.txmode.offloads;
	rte_eth_macaddr_get(port->port_id, &port->mac);
	if (rte_eth_link_get_nowait(port->port_id, &link) == 0 &&
	    link.link_speed != RTE_ETH_SPEED_NUM_UNKNOWN)
		port->link_speed_mbps = link.link_speed;
	return 0;
fail:
	snprintf(err, errlen, "setting up %s:%s failed: %s", ops->prefix, conf->name,
		 rte_strerror(rc < 0 ? -rc : rc));
	sl_port_teardown(port);
	return rc < 0 ? rc : -rc;
}

void sl_port_teardown(struct sl_port *port)
{
	if (port->started) {
		rte_eth_dev_stop(port->port_id);
		port->started = 0;
	}
	rte_eth_dev_close(port->port_id);
}

int sl_port_push_arg(char **argv, int *argc, int max, const char *s)
{
	if (*argc >= max)
		return -E2BIG;
	argv[*argc] = strdup(s);
	if (argv[*argc] == NULL)
		return -ENOMEM;
	(*argc)++;
	return 0;
}

int sl_port_push_vdev(char **argv, int *argc, int max, const char *spec)
{
	int rc = sl_port_push_arg(argv, argc, max, "--no-pci");

	if (rc == 0)
		rc = sl_port_push_arg(argv, argc, max, "--vdev");
	if (rc == 0)
		rc = sl_port_push_arg(argv, argc, max, spec);
	return rc;
}

long sl_port_free_hugepages(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[256];
	long n = -1;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "HugePages_Free: %ld", &n) == 1)
			break;
	fclose(f);
	return n;
}

int sl_port_hugetlbfs_mounted(void)
{
	FILE *f = fopen("/proc/mounts", "r");
	char line[512];
	int found = 0;

	if (f == NULL)
		return 0;
	while (!found && fgets(line, sizeof(line), f) != NULL)
		found = strstr(line, " hugetlbfs ") != NULL;
	fclose(f);
	return found;
}
