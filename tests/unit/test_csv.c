/* Unit tests for exports/csv.c, including a round trip through Python's csv module. */
#define _GNU_SOURCE	/* memmem */
#include <stdlib.h>
#include <unistd.h>

#include "csv.h"
#include "t.h"

static int
to_buf(void *arg, const void *p, size_t n)
{
	return buf_put(arg, p, n);
}

static int
count_only(void *arg, const void *p, size_t n)
{
	(void)p;
	*(size_t *)arg += n;
	return 0;
}

static int
fail_write(void *arg, const void *p, size_t n)
{
	(void)arg;
	(void)p;
	(void)n;
	return -1;
}

/* Write one row of cells with the writer, return the bytes. */
static int
one_row(enum csv_encoding enc, const char *const *cells, size_t n, struct buf *out, size_t *replaced)
{
	struct csv_writer *w = csv_open(enc, to_buf, out);
	size_t i;

	if (w == NULL)
		return -1;
	for (i = 0; i < n; i++)
		csv_field(w, cells[i], strlen(cells[i]));
	csv_end_row(w);
	if (replaced != NULL)
		*replaced = csv_replaced(w);
	return csv_close(w);
}

static void
bom_and_crlf(void)
{
	const char *cells[] = { "a", "b" };
	struct buf b;

	buf_init(&b);
	T_CHECK(one_row(CSV_UTF8_BOM, cells, 2, &b, NULL) == 0);
	T_STREQ(buf_cstr(&b), "\xef\xbb\xbf" "a,b\r\n");
	buf_free(&b);
}

static void
quoting_rfc4180(void)
{
	const char *cells[] = { "a,b", "say \"hi\"", "line1\nline2", " lead", "plain" };
	struct buf b;

	buf_init(&b);
	T_CHECK(one_row(CSV_UTF8_BOM, cells, 5, &b, NULL) == 0);
	T_STREQ(buf_cstr(&b) + 3, "\"a,b\",\"say \"\"hi\"\"\",\"line1\nline2\",\" lead\",plain\r\n");
	buf_free(&b);
}

static void
formulas_neutralised(void)
{
	const char *cells[] = { "=SUM(A1)", "+81", "-1", "@x", "\tTab", "03-1234" };
	struct buf b;

	buf_init(&b);
	T_CHECK(one_row(CSV_UTF8_BOM, cells, 6, &b, NULL) == 0);
	T_STREQ(buf_cstr(&b) + 3, "\"'=SUM(A1)\",\"'+81\",\"'-1\",\"'@x\",\"'\tTab\",03-1234\r\n");
	buf_free(&b);
}

static void
cp932_keeps_ibm_kanji_and_counts_emoji(void)
{
	const char *cells[] = { "髙﨑", "🍙" };
	struct buf b;
	size_t rep = 0;

	buf_init(&b);
	T_CHECK(one_row(CSV_CP932, cells, 2, &b, &rep) == 0);
	T_CHECK(rep == 1);
	T_CHECK(b.len >= 3 && memcmp(b.data, "\xef\xbb\xbf", 3) != 0);	/* no BOM in CP932 */
	/* 〓 (81 AC) stands where the emoji was */
	T_CHECK(memmem(b.data, b.len, ",\x81\xac\r\n", 5) != NULL);
	buf_free(&b);
}

static void
invalid_utf8_replaced(void)
{
	const char *cells[] = { "ok\xff" };
	struct buf b;
	size_t rep = 0;

	buf_init(&b);
	T_CHECK(one_row(CSV_UTF8_BOM, cells, 1, &b, &rep) == 0);
	T_CHECK(rep == 1);
	T_STREQ(buf_cstr(&b) + 3, "ok〓\r\n");
	buf_free(&b);
}

static void
failed_write_reported(void)
{
	struct csv_writer *w = csv_open(CSV_UTF8_BOM, fail_write, NULL);

	T_CHECK(w != NULL);
	T_CHECK(csv_field(w, "a", 1) == -1);
	T_CHECK(csv_close(w) == -1);
}

static void
content_disposition_rfc5987(void)
{
	struct buf b;

	buf_init(&b);
	T_CHECK(csv_content_disposition("いきいきハイキング_2026-11-22.csv", &b) == 0);
	T_CHECK(strncmp(buf_cstr(&b), "attachment; filename=\"", 22) == 0);
	T_CHECK(strstr(buf_cstr(&b), "filename*=UTF-8''%E3%81%84%E3%81%8D") != NULL);
	T_CHECK(strstr(buf_cstr(&b), "_2026-11-22.csv\"") != NULL);
	buf_free(&b);
}

static void
many_rows_streamed_through_callback(void)
{
	size_t total = 0, i;
	struct csv_writer *w = csv_open(CSV_CP932, count_only, &total);

	T_CHECK(w != NULL);
	for (i = 0; i < 100000; i++) {
		T_CHECK(csv_field(w, "試験 花子", strlen("試験 花子")) == 0);
		T_CHECK(csv_field(w, "=1+1", 4) == 0);
		T_CHECK(csv_end_row(w) == 0);
	}
	T_CHECK(csv_rows(w) == 100000);
	T_CHECK(total > 100000 * 10);
	T_CHECK(csv_close(w) == 0);
}

/* Every value read back by an independent parser equals what was written. */
static void
round_trip_python_csv(void)
{
	static const char *const cells[] = {
		"a,b", "say \"hi\"", "l1\r\nl2", "l1\nl2", "🍙 emoji", "髙﨑", "=SUM(A1)", "+81",
		"-1", "@x", "", "普通の値"
	};
	enum { N = sizeof(cells) / sizeof(cells[0]) };
	char path[] = "/tmp/test_csv.XXXXXX", cmd[512];
	struct buf b;
	int fd, enc;

	for (enc = 0; enc < 2; enc++) {
		buf_init(&b);
		T_CHECK(one_row(enc == 0 ? CSV_UTF8_BOM : CSV_CP932, (const char *const *)cells, N,
		    &b, NULL) == 0);
		strcpy(path, "/tmp/test_csv.XXXXXX");
		T_CHECK((fd = mkstemp(path)) != -1);
		T_CHECK(write(fd, b.data, b.len) == (ssize_t)b.len);
		close(fd);
		/* The expectation is written in Python too, from the same literals. */
		snprintf(cmd, sizeof(cmd), "/usr/bin/python3 -c '"
		    "import csv,sys\n"
		    "rows=list(csv.reader(open(sys.argv[1],encoding=sys.argv[2],newline=\"\")))\n"
		    "want=[\"a,b\",\"say \\\"hi\\\"\",\"l1\\r\\nl2\",\"l1\\nl2\",sys.argv[3],\"髙﨑\",\"\\x27=SUM(A1)\","
		    "\"\\x27+81\",\"\\x27-1\",\"\\x27@x\",\"\",\"普通の値\"]\n"
		    "sys.exit(0 if rows==[want] else print(rows) or 1)' %s %s %s",
		    path, enc == 0 ? "utf-8-sig" : "cp932", enc == 0 ? "'🍙 emoji'" : "'〓 emoji'");
		T_CHECK(system(cmd) == 0);
		unlink(path);
		buf_free(&b);
	}
}

int
main(void)
{
	T_RUN(bom_and_crlf);
	T_RUN(quoting_rfc4180);
	T_RUN(formulas_neutralised);
	T_RUN(cp932_keeps_ibm_kanji_and_counts_emoji);
	T_RUN(invalid_utf8_replaced);
	T_RUN(failed_write_reported);
	T_RUN(content_disposition_rfc5987);
	T_RUN(many_rows_streamed_through_callback);
	T_RUN(round_trip_python_csv);
	return T_DONE();
}
