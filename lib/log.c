#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static const char *log_prog = "platform";

void
log_init(const char *progname)
{
	log_prog = progname;
}

static const char *
level_name(int level)
{
	switch (level) {
	case LOG_ERR:
		return "error";
	case LOG_WARNING:
		return "warning";
	default:
		return "info";
	}
}

void
log_msg(int level, const char *fmt, ...)
{
	char		 when[32];
	struct tm	 tm;
	time_t		 now = time(NULL);
	va_list		 ap;

	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	fprintf(stderr, "%s %s[%ld] %s: ", when, log_prog, (long)getpid(), level_name(level));
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
}
