#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "control/log.h"

static enum sl_log_level min_level = SL_LOG_NOTICE;
static FILE *out;

int sl_log_setup(enum sl_log_level level, const char *path)
{
	min_level = level;
	if (path == NULL || path[0] == '\0') {
		out = NULL;
		return 0;
	}
	out = fopen(path, "a");
	if (out == NULL)
		return -errno;
	setvbuf(out, NULL, _IOLBF, 0);
	return 0;
}

void sl_log_teardown(void)
{
	if (out != NULL)
		fclose(out);
	out = NULL;
}

void sl_log(enum sl_log_level level, const char *fmt, ...)
{
	static const char marks[] = {'.', '-', '*', '#'};
	FILE *f = out != NULL ? out : stderr;
	struct timeval tv;
	struct tm tm;
	char when[64];
	va_list ap;

	if (level < min_level)
		return;
	gettimeofday(&tv, NULL);
	localtime_r(&tv.tv_sec, &tm);
	strftime(when, sizeof(when), "%d %b %Y %H:%M:%S", &tm);
	fprintf(f, "%d:M %s.%03d %c ", (int)getpid(), when, (int)(tv.tv_usec / 1000), marks[level]);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fputc('\n', f);
	fflush(f);
}
