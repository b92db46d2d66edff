/*
 * Single-instance guarantees, via flock(2) so that a killed process releases
 * them with its last file descriptor and a restart after kill -9 needs no
 * manual clean-up:
 *   <run-dir>/<instance>.pid    held while the instance runs; holds its pid
 *   <run-dir>/dev-<name>.lock   held while any instance drives the device
 * Control thread only.
 */
#ifndef SL_CONTROL_INSTANCE_H
#define SL_CONTROL_INSTANCE_H

#include <stddef.h>

struct sl_instance_lock {
	int pid_fd;
	int dev_fd;
	char pid_path[4096];
	char dev_path[4096];
};

/*
 * Takes both locks and writes our pid. On conflict returns -EBUSY with the
 * other process's pid in err; other failures return -errno.
 */
int sl_instance_lock(struct sl_instance_lock *l, const char *run_dir, const char *instance,
		     const char *device, char *err, size_t errlen);

/* Removes the pid file and releases both locks. */
void sl_instance_unlock(struct sl_instance_lock *l);

#endif /* SL_CONTROL_INSTANCE_H */
