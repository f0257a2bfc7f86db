#include "jst.h"

#define JST_OFFSET (9 * 60 * 60)

static void
jst_tm(time_t t, struct tm *tm)
{
	time_t local = t + JST_OFFSET;

	gmtime_r(&local, tm);
}

struct jn_date
jst_date(time_t t)
{
	struct tm	tm;
	struct jn_date	d;

	jst_tm(t, &tm);
	d.y = tm.tm_year + 1900;
	d.m = tm.tm_mon + 1;
	d.d = tm.tm_mday;
	return d;
}

int
jst_format(time_t t, int with_time, struct buf *out)
{
	struct tm tm;

	jst_tm(t, &tm);
	if (jn_format_date_ja(jst_date(t), out) == -1)
		return -1;
	if (with_time)
		return buf_printf(out, "%d時%02d分", tm.tm_hour, tm.tm_min);
	return 0;
}
