/* Private to drivers/: helpers shared by the backends. */
#ifndef SL_DRIVERS_PORT_PRIV_H
#define SL_DRIVERS_PORT_PRIV_H

#include "drivers/port.h"

/* Appends strdup(s) to argv[*argc]. Returns 0, -E2BIG or -ENOMEM. */
int sl_port_push_arg(char **argv, int *argc, int max, const char *s);

/* Appends "--no-pci --vdev <spec>": a virtual device and no PCI scan. */
int sl_port_push_vdev(char **argv, int *argc, int max, const char *spec);

#endif /* SL_DRIVERS_PORT_PRIV_H */
