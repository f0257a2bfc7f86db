/*
 * jst: Japan Standard Time for display and for "today" in date rules (a
 * date or time in a reader's language: lang.h).
 * JST is UTC+9 all year (no daylight saving), so plain arithmetic on time_t
 * is exact and no TZ database is consulted.
 */
#ifndef JST_H
#define JST_H

#include <time.h>

#include "buf.h"
#include "jnorm.h"

struct jn_date	jst_date(time_t t);
/* The hour (0-23) and minute of t in Japan. */
void		jst_clock(time_t t, int *hour, int *min);
/* Appends "2026-11-22 21:05" (JST): for CSV cells, reports and tables that are sorted. */
int		jst_format_numeric(time_t t, struct buf *out);
/* A JST wall-clock time (a valid date; not checked here) as time_t. */
time_t		jst_time(int y, int m, int d, int hh, int mm);
/* When the JST day written "YYYY-MM-DD" (jn_date_parse()) begins: 0 and *out, or -1. */
int		jst_day_start(const char *ymd, time_t *out);

#endif
