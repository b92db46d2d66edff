/*
 * Logging in Redis's format, so operators' log tooling reads sluice too:
 *   <pid>:M <dd Mon yyyy hh:mm:ss.mmm> <level char> <message>
 * with level chars '.' debug, '-' verbose, '*' notice, '#' warning.
 * Control thread only: never call it from a worker's loop.
 */
#ifndef SL_CONTROL_LOG_H
#define SL_CONTROL_LOG_H

enum sl_log_level {
	SL_LOG_DEBUG = 0,
	SL_LOG_VERBOSE,
	SL_LOG_NOTICE,
	SL_LOG_WARNING,
};

/*
 * Sends messages at or above level to path (appended), or to stderr when
 * path is NULL or empty. Returns 0 or -errno when path cannot be opened.
 */
int sl_log_setup(enum sl_log_level level, const char *path);
void sl_log_teardown(void);

void sl_log(enum sl_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), nonnull(2)));

#endif /* SL_CONTROL_LOG_H */
