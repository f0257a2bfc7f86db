/* Unit tests for lib/jst.c: the numeric format (written by hand for exports) against printf's; days. */
#include <stdio.h>
#include <time.h>

#include "jst.h"
#include "t.h"

/* What jst_format_numeric() wrote before, with printf. */
static void
reference(time_t t, char *out, size_t n)
{
	struct tm	tm;
	time_t		local = t + 9 * 60 * 60;

	gmtime_r(&local, &tm);
	snprintf(out, n, "%04d-%02d-%02d %02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min);
}

static void
numeric_as_printf(void)
{
	static const long long edges[] = {
		0, -1, 59, 60, -9 * 3600, -9 * 3600 - 1, 1763856000, 1763856059, 4102444799LL,
		-62167219200LL - 9 * 3600,		/* 0000-01-01 00:00 JST */
		-62167219200LL - 9 * 3600 - 60,		/* a year before 0000: printf's form */
		253402300799LL - 9 * 3600,		/* 9999-12-31 23:59:59 JST */
		253402300800LL - 9 * 3600,		/* 10000-01-01: printf's form */
	};
	char		want[64];
	struct buf	got;
	long long	t;
	size_t		i;

	buf_init(&got);
	for (i = 0; i < sizeof(edges) / sizeof(edges[0]); i++) {
		buf_reset(&got);
		reference((time_t)edges[i], want, sizeof(want));
		T_CHECK(jst_format_numeric((time_t)edges[i], &got) == 0);
		T_STREQ(buf_cstr(&got), want);
	}
	/* every 7919 minutes and a few seconds from 1900 to 2100 */
	for (t = -2208988800LL; t < 4102444800LL; t += 7919 * 60 + 13) {
		buf_reset(&got);
		reference((time_t)t, want, sizeof(want));
		T_CHECK(jst_format_numeric((time_t)t, &got) == 0);
		T_STREQ(buf_cstr(&got), want);
	}
	buf_free(&got);
}

static void
appends(void)
{
	struct buf b;

	buf_init(&b);
	buf_puts(&b, "受付 ");
	T_CHECK(jst_format_numeric(1763856000, &b) == 0);	/* 2025-11-23 09:00 JST */
	T_STREQ(buf_cstr(&b), "受付 2025-11-23 09:00");
	buf_free(&b);
}

static void
time_round_trip(void)
{
	struct buf b;

	buf_init(&b);
	T_CHECK(jst_format_numeric(jst_time(2026, 11, 22, 21, 5), &b) == 0);
	T_STREQ(buf_cstr(&b), "2026-11-22 21:05");
	buf_free(&b);
}

static void
day_start(void)
{
	time_t t = 0;

	T_CHECK(jst_day_start("2026-11-22", &t) == 0 && t == jst_time(2026, 11, 22, 0, 0));
	T_CHECK(t == 1795273200);	/* 2026-11-21 15:00 UTC */
	T_CHECK(jst_day_start("2026-11-31", &t) == -1 && t == 1795273200);
	T_CHECK(jst_day_start("2026-11-2", &t) == -1);
	T_CHECK(jst_day_start(NULL, &t) == -1);
}

int
main(void)
{
	T_RUN(numeric_as_printf);
	T_RUN(appends);
	T_RUN(time_round_trip);
	T_RUN(day_start);
	return T_DONE();
}
