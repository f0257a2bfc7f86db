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

void
jst_clock(time_t t, int *hour, int *min)
{
	struct tm tm;

	jst_tm(t, &tm);
	*hour = tm.tm_hour;
	*min = tm.tm_min;
}

static void
digits(char *p, int v, int n)
{
	while (n-- > 0) {
		p[n] = (char)('0' + v % 10);
		v /= 10;
	}
}

int
jst_format_numeric(time_t t, struct buf *out)
{
	struct tm	tm;
	char		s[sizeof("YYYY-MM-DD HH:MM")] = "0000-00-00 00:00";

	jst_tm(t, &tm);
	if (tm.tm_year + 1900 < 0 || tm.tm_year + 1900 > 9999)
		return buf_printf(out, "%04d-%02d-%02d %02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
		    tm.tm_hour, tm.tm_min);
	/* By hand: an export formats this once per row, and printf is most of the row's date cost. */
	digits(s, tm.tm_year + 1900, 4);
	digits(s + 5, tm.tm_mon + 1, 2);
	digits(s + 8, tm.tm_mday, 2);
	digits(s + 11, tm.tm_hour, 2);
	digits(s + 14, tm.tm_min, 2);
	return buf_put(out, s, sizeof(s) - 1);
}

/* Days since 1970-01-01 in the proleptic Gregorian calendar.  Written out
 * because timegm() is not standard C and mktime() would consult TZ. */
static long long
days_from_civil(int y, int m, int d)
{
	long long	era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153LL * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

time_t
jst_time(int y, int m, int d, int hh, int mm)
{
	return (time_t)(days_from_civil(y, m, d) * 86400 + hh * 3600LL + mm * 60LL - 9 * 60 * 60);
}

int
jst_day_start(const char *ymd, time_t *out)
{
	struct jn_date d;

	if (jn_date_parse(ymd, &d) == -1)
		return -1;
	*out = jst_time(d.y, d.m, d.d, 0, 0);
	return 0;
}
