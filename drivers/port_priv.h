/* Private to drivers/: helpers shared by the backends. */
#ifndef SL_DRIVERS_PORT_PRIV_H
#define SL_DRIVERS_PORT_PRIV_H

#include "drivers/port.h"

/* Appends strdup(s) to argv[*argc]. Returns 0, -E2BIG or -ENOMEM. */
int sl_port_push_arg(char **argv, int *argc, int max, const char *s);

#endif /* SL_DRIVERS_PORT_PRIV_H */
