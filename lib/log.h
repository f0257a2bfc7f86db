/*
 * log: one line per event to stderr (the run script sends it to a file).
 * Never pass personal data or secrets: log keys, ids and reasons, not values.
 */
#ifndef LOG_H
#define LOG_H

#include <syslog.h>	/* LOG_ERR, LOG_WARNING, LOG_INFO levels */

void	log_init(const char *progname);
void	log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
