#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "control/instance.h"

/* Opens and flocks path; on EWOULDBLOCK reads the holder's pid into *holder. */
static int take(const char *path, long *holder)
{
	char buf[32];
	ssize_t n;
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

	if (fd == -1)
		return -errno;
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		int e = errno;

		n = pread(fd, buf, sizeof(buf) - 1, 0);
		buf[n > 0 ? n : 0] = '\0';
		*holder = strtol(buf, NULL, 10);
		close(fd);
		return e == EWOULDBLOCK ? -EBUSY : -e;
	}
	return fd;
}

static int write_pid(int fd)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());

	if (ftruncate(fd, 0) == -1 || pwrite(fd, buf, (size_t)n, 0) != n)
		return -errno;
	return 0;
}

int sl_instance_lock(struct sl_instance_lock *l, const char *run_dir, const char *instance,
		     const char *device, char *err, size_t errlen)
{
	char dev[128], *p;
	long holder = 0;
	int rc;

	l->pid_fd = l->dev_fd = -1;
	if (mkdir(run_dir, 0755) == -1 && errno != EEXIST) {
		rc = -errno;
		snprintf(err, errlen, "cannot create run-dir %s: %s", run_dir, strerror(errno));
		return rc;
	}
	snprintf(l->pid_path, sizeof(l->pid_path), "%s/%s.pid", run_dir, instance);
	rc = take(l->pid_path, &holder);
	if (rc < 0) {
		if (rc == -EBUSY)
			snprintf(err, errlen,
				 "instance '%s' is already running (pid %ld, %s); stop it first "
				 "or start this one with another --instance",
				 instance, holder, l->pid_path);
		else
			snprintf(err, errlen, "cannot lock %s: %s", l->pid_path, strerror(-rc));
		return rc;
	}
	l->pid_fd = rc;

	/* Device names contain ':' and '/'-free PCI addresses; keep them file-safe. */
	snprintf(dev, sizeof(dev), "%s", device);
	for (p = dev; *p != '\0'; p++)
		if (*p == '/' || *p == ':')
			*p = '_';
	snprintf(l->dev_path, sizeof(l->dev_path), "%s/dev-%s.lock", run_dir, dev);
	rc = take(l->dev_path, &holder);
	if (rc < 0) {
		if (rc == -EBUSY)
			snprintf(err, errlen, "device %s is already driven by sluice pid %ld",
				 device, holder);
		else
			snprintf(err, errlen, "cannot lock %s: %s", l->dev_path, strerror(-rc));
		sl_instance_unlock(l);
		return rc;
	}
	l->dev_fd = rc;
	rc = write_pid(l->pid_fd);
	if (rc == 0)
		rc = write_pid(l->dev_fd);
	if (rc != 0) {
		snprintf(err, errlen, "cannot write pid to %s: %s", l->pid_path, strerror(-rc));
		sl_instance_unlock(l);
	}
	return rc;
}

void sl_instance_unlock(struct sl_instance_lock *l)
{
	if (l->dev_fd >= 0) {
		unlink(l->dev_path);
		close(l->dev_fd);
		l->dev_fd = -1;
	}
	if (l->pid_fd >= 0) {
		unlink(l->pid_path);
		close(l->pid_fd);
		l->pid_fd = -1;
	}
}
