#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <linux/if_link.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "control/xdp.h"

int sl_xdp_check_bpffs(const char *path, char *err, size_t errlen)
{
	struct statfs st;

	if (statfs(path, &st) == -1 || st.f_type != BPF_FS_MAGIC) {
		snprintf(err, errlen,
			 "no BPF filesystem at %s: mount it with 'mount -t bpf bpf %s' (or run "
			 "'deploy/testbed.sh up'); sluice pins its maps there",
			 path, path);
		return -ENOENT;
	}
	return 0;
}

/* The attached program's id and the mode flag needed to detach it. */
static int attached_prog(int ifindex, uint32_t *id, uint32_t *mode_flag)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	int rc = bpf_xdp_query(ifindex, 0, &q);

	if (rc != 0)
		return rc;
	*id = 0;
	*mode_flag = 0;
	switch (q.attach_mode) {
	case XDP_ATTACHED_DRV:
		*id = q.drv_prog_id;
		*mode_flag = XDP_FLAGS_DRV_MODE;
		break;
	case XDP_ATTACHED_SKB:
		*id = q.skb_prog_id;
		*mode_flag = XDP_FLAGS_SKB_MODE;
		break;
	case XDP_ATTACHED_HW:
		*id = q.hw_prog_id;
		*mode_flag = XDP_FLAGS_HW_MODE;
		break;
	case XDP_ATTACHED_MULTI:
		*id = q.drv_prog_id != 0 ? q.drv_prog_id : q.skb_prog_id;
		*mode_flag = q.drv_prog_id != 0 ? XDP_FLAGS_DRV_MODE : XDP_FLAGS_SKB_MODE;
		break;
	default:
		break;
	}
	return 0;
}

static int prog_name(int fd, char *name, size_t len)
{
	struct bpf_prog_info info;
	uint32_t ilen = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &ilen) != 0)
		return -errno;
	snprintf(name, len, "%s", info.name);
	return 0;
}

static int detach(int ifindex, int prog_fd, uint32_t mode_flag)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, opts, .old_prog_fd = prog_fd);

	/* XDP_FLAGS_REPLACE: only if this exact program is still the one attached. */
	return bpf_xdp_detach(ifindex, mode_flag | XDP_FLAGS_REPLACE, &opts);
}

int sl_xdp_clear_stale(int ifindex, const char *ifname, uint32_t *removed_id, char *err,
		       size_t errlen)
{
	uint32_t id, mode;
	char name[BPF_OBJ_NAME_LEN];
	int fd, rc;

	*removed_id = 0;
	rc = attached_prog(ifindex, &id, &mode);
	if (rc != 0) {
		snprintf(err, errlen, "cannot query XDP on %s: %s", ifname, strerror(-rc));
		return rc;
	}
	if (id == 0)
		return 0;
	fd = bpf_prog_get_fd_by_id(id);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot inspect XDP program %u on %s: %s", id, ifname,
			 strerror(errno));
		return rc;
	}
	rc = prog_name(fd, name, sizeof(name));
	if (rc == 0 && strcmp(name, SL_BPF_PROG_NAME) != 0) {
		snprintf(err, errlen,
			 "interface %s already runs XDP program '%s' (id %u), which is not "
			 "sluice's; detach it with 'ip link set dev %s xdp off' if nothing needs "
			 "it, "
			 "or choose another interface",
			 ifname, name, id, ifname);
		rc = -EBUSY;
	} else if (rc == 0) {
		rc = detach(ifindex, fd, mode);
		if (rc == 0)
			*removed_id = id;
		else
			snprintf(err, errlen,
				 "cannot detach stale sluice XDP program %u from %s: %s", id,
				 ifname, strerror(-rc));
	}
	close(fd);
	return rc;
}

int sl_xdp_remove_pins(const char *pin_dir)
{
	char path[PATH_MAX + 64];
	struct dirent *de;
	DIR *d = opendir(pin_dir);
	int n = 0;

	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", pin_dir, de->d_name);
		if (unlink(path) == 0)
			n++;
	}
	closedir(d);
	rmdir(pin_dir);
	return n;
}

static int mkdirs(const char *dir)
{
	char buf[PATH_MAX], *p;

	snprintf(buf, sizeof(buf), "%s", dir);
	for (p = buf + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0700) == -1 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, 0700) == -1 && errno != EEXIST)
		return -errno;
	return 0;
}

/* Opens the maps the program uses and keeps the three sluice knows by name. */
static int find_maps(struct sl_xdp *x)
{
	struct bpf_prog_info info;
	uint32_t ilen = sizeof(info), ids[16], i;

	memset(&info, 0, sizeof(info));
	info.nr_map_ids = 16;
	info.map_ids = (uint64_t)(uintptr_t)ids;
	if (bpf_obj_get_info_by_fd(x->prog_fd, &info, &ilen) != 0)
		return -errno;
	for (i = 0; i < info.nr_map_ids && i < 16; i++) {
		struct bpf_map_info mi;
		uint32_t mlen = sizeof(mi);
		int fd = bpf_map_get_fd_by_id(ids[i]);

		if (fd < 0)
			return -errno;
		memset(&mi, 0, sizeof(mi));
		if (bpf_obj_get_info_by_fd(fd, &mi, &mlen) != 0) {
			close(fd);
			return -errno;
		}
		if (strcmp(mi.name, SL_BPF_CFG_MAP) == 0 && x->cfg_fd < 0)
			x->cfg_fd = fd;
		else if (strcmp(mi.name, SL_BPF_STATS_MAP) == 0 && x->stats_fd < 0)
			x->stats_fd = fd;
		else if (strcmp(mi.name, SL_BPF_ACL_MAP) == 0 && x->acl_fd < 0)
			x->acl_fd = fd;
		else if (strcmp(mi.name, SL_BPF_CAPS_MAP) == 0 && x->caps_fd < 0)
			x->caps_fd = fd;
		else if (strcmp(mi.name, SL_BPF_SYN_MAP) == 0 && x->syn_fd < 0)
			x->syn_fd = fd;
		else if (strcmp(mi.name, SL_BPF_CONNS_MAP) == 0 && x->conns_fd < 0)
			x->conns_fd = fd;
		else
			close(fd);
	}
	return x->cfg_fd >= 0 && x->stats_fd >= 0 && x->acl_fd >= 0 && x->syn_fd >= 0 &&
			       x->conns_fd >= 0 && x->caps_fd >= 0
		       ? 0
		       : -ENOENT;
}

static int pin(int fd, const char *dir, const char *name)
{
	char path[PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
	return bpf_obj_pin(fd, path) == 0 ? 0 : -errno;
}

int sl_xdp_activate(struct sl_xdp *x, int ifindex, const char *pin_dir, uint32_t service_ip,
		    uint16_t service_port, char *err, size_t errlen)
{
	char name[BPF_OBJ_NAME_LEN];
	uint32_t mode;
	void *mem;
	int rc;

	memset(x, 0, sizeof(*x));
	x->prog_fd = x->cfg_fd = x->stats_fd = x->acl_fd = x->syn_fd = x->conns_fd = x->caps_fd =
		-1;
	x->ifindex = ifindex;
	snprintf(x->pin_dir, sizeof(x->pin_dir), "%s", pin_dir);
	rc = attached_prog(ifindex, &x->prog_id, &mode);
	if (rc != 0 || x->prog_id == 0) {
		snprintf(err, errlen, "the af_xdp port started but no XDP program is attached");
		return rc != 0 ? rc : -ENOENT;
	}
	x->prog_fd = bpf_prog_get_fd_by_id(x->prog_id);
	if (x->prog_fd < 0 || prog_name(x->prog_fd, name, sizeof(name)) != 0 ||
	    strcmp(name, SL_BPF_PROG_NAME) != 0) {
		snprintf(err, errlen, "the XDP program attached by the port (id %u) is not %s",
			 x->prog_id, SL_BPF_PROG_NAME);
		rc = -EINVAL;
		goto err;
	}
	rc = find_maps(x);
	if (rc != 0) {
		snprintf(err, errlen, "XDP program %u lacks the %s/%s maps: %s", x->prog_id,
			 SL_BPF_CFG_MAP, SL_BPF_STATS_MAP, strerror(-rc));
		goto err;
	}
	mem = sl_xdp_mmap(x->cfg_fd, sizeof(struct sl_bpf_cfg));
	x->sketch = sl_xdp_mmap(x->conns_fd, sizeof(struct sl_bpf_sketch));
	if (mem == NULL || x->sketch == NULL) {
		rc = -errno;
		snprintf(err, errlen, "cannot mmap %s/%s: %s", SL_BPF_CFG_MAP, SL_BPF_CONNS_MAP,
			 strerror(errno));
		if (mem != NULL)
			munmap(mem, sizeof(struct sl_bpf_cfg));
		goto err;
	}
	x->cfg = mem;
	memset(x->sketch, 0, sizeof(*x->sketch));
	x->cfg->service_ip = service_ip;
	x->cfg->service_port = service_port;
	x->cfg->sketch_seed =
		((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)x ^ (uint64_t)time(NULL);
	__atomic_store_n(&x->cfg->flags, SL_BPF_CFG_F_ACTIVE, __ATOMIC_RELEASE);
	__atomic_fetch_add(&x->cfg->generation, 1, __ATOMIC_RELEASE);

	rc = mkdirs(pin_dir);
	if (rc == 0)
		rc = pin(x->prog_fd, pin_dir, SL_BPF_PIN_PROG);
	if (rc == 0)
		rc = pin(x->cfg_fd, pin_dir, SL_BPF_PIN_CFG);
	if (rc == 0)
		rc = pin(x->stats_fd, pin_dir, SL_BPF_PIN_STATS);
	if (rc == 0)
		rc = pin(x->acl_fd, pin_dir, SL_BPF_PIN_ACL);
	if (rc == 0)
		rc = pin(x->caps_fd, pin_dir, SL_BPF_PIN_CAPS);
	if (rc == 0)
		rc = pin(x->syn_fd, pin_dir, SL_BPF_PIN_SYN);
	if (rc == 0)
		rc = pin(x->conns_fd, pin_dir, SL_BPF_PIN_CONNS);
	if (rc != 0) {
		snprintf(err, errlen, "cannot pin BPF objects under %s: %s", pin_dir,
			 strerror(-rc));
		goto err;
	}
	return 0;
err:
	sl_xdp_deactivate(x);
	return rc;
}

void sl_xdp_deactivate(struct sl_xdp *x)
{
	if (x->cfg != NULL) {
		__atomic_store_n(&x->cfg->flags, 0, __ATOMIC_RELEASE);
		__atomic_fetch_add(&x->cfg->generation, 1, __ATOMIC_RELEASE);
		munmap(x->cfg, sizeof(struct sl_bpf_cfg));
		x->cfg = NULL;
	}
	if (x->sketch != NULL) {
		munmap(x->sketch, sizeof(struct sl_bpf_sketch));
		x->sketch = NULL;
	}
	if (x->pin_dir[0] != '\0')
		sl_xdp_remove_pins(x->pin_dir);
	if (x->cfg_fd >= 0)
		close(x->cfg_fd);
	if (x->stats_fd >= 0)
		close(x->stats_fd);
	if (x->acl_fd >= 0)
		close(x->acl_fd);
	if (x->caps_fd >= 0)
		close(x->caps_fd);
	if (x->syn_fd >= 0)
		close(x->syn_fd);
	if (x->conns_fd >= 0)
		close(x->conns_fd);
	x->cfg_fd = x->stats_fd = x->acl_fd = x->syn_fd = x->conns_fd = x->caps_fd = -1;
}

int sl_xdp_ensure_detached(const struct sl_xdp *x)
{
	uint32_t id, mode;
	int rc;

	if (x->prog_fd < 0)
		return 0;
	rc = attached_prog(x->ifindex, &id, &mode);
	if (rc == 0 && id == x->prog_id)
		rc = detach(x->ifindex, x->prog_fd, mode);
	close(x->prog_fd);
	return rc;
}

void *sl_xdp_mmap(int map_fd, size_t size)
{
	void *mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, map_fd, 0);

	return mem == MAP_FAILED ? NULL : mem;
}

int sl_xdp_parse_prefix(const char *s, struct sl_bpf_acl_key *k)
{
	char buf[64], *slash, *end;
	struct in_addr a;
	unsigned long len = 32;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	snprintf(buf, sizeof(buf), "%s", s);
	slash = strchr(buf, '/');
	if (slash != NULL) {
		*slash = '\0';
		errno = 0;
		len = strtoul(slash + 1, &end, 10);
		if (slash[1] < '0' || slash[1] > '9' || *end != '\0' || errno != 0 || len > 32)
			return -EINVAL;
	}
	if (inet_pton(AF_INET, buf, &a) != 1)
		return -EINVAL;
	k->prefixlen = (__u32)len;
	/* keep only the prefix bits so one prefix has one key */
	k->addr = len == 0 ? 0 : a.s_addr & htonl(~(uint32_t)0 << (32 - len));
	return 0;
}

const char *const sl_xdp_stat_names[SL_XDP_STAT__MAX] = {
	[SL_XDP_PASS_INACTIVE] = "pass_inactive",   [SL_XDP_PASS_OTHER] = "pass_other",
	[SL_XDP_PASS_MALFORMED] = "pass_malformed", [SL_XDP_REDIRECT_ARP] = "redirect_arp",
	[SL_XDP_REDIRECT_IPV4] = "redirect_ipv4",   [SL_XDP_REDIRECT_SYN] = "redirect_syn",
	[SL_XDP_DROP_OVERLOAD] = "drop_overload",   [SL_XDP_DROP_ACL] = "drop_acl",
	[SL_XDP_DROP_SYN_RATE] = "drop_syn_rate",   [SL_XDP_DROP_CONN_CAP] = "drop_conn_cap",
};

int sl_xdp_read_stats(int stats_fd, uint64_t out[SL_XDP_STAT__MAX])
{
	int ncpu = libbpf_num_possible_cpus(), c;
	uint64_t *vals;
	uint32_t k;

	if (ncpu <= 0)
		return -EINVAL;
	vals = calloc((size_t)ncpu, sizeof(*vals));
	if (vals == NULL)
		return -ENOMEM;
	for (k = 0; k < SL_XDP_STAT__MAX; k++) {
		out[k] = 0;
		if (bpf_map_lookup_elem(stats_fd, &k, vals) != 0)
			continue;
		for (c = 0; c < ncpu; c++)
			out[k] += vals[c];
	}
	free(vals);
	return 0;
}
