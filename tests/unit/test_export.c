/*
 * Unit tests for exports/export.c: the ledger's SHA-256 is that of every
 * byte written; answers read by payload.h and by json-c make the same bytes
 * in both encodings; a row that could not be opened says so; a failed write
 * is reported.
 */
#include <stdio.h>
#include <stdlib.h>

#include <sodium.h>

#include "export.h"
#include "mo_build.h"
#include "t.h"

static struct langset *langs;	/* the built catalogues: the 言語 column names their languages */

static const char definition[] =
    "id: t-export\n"
    "title: テスト手続き\n"
    "section: gomi-genryo\n"
    "opens_at: 2026-04-01 09:00\n"
    "retention_days: 30\n"
    "contact: テスト課 電話 03-0000-0000\n"
    "fields:\n"
    "  - key: name\n    type: text\n    label: 氏名\n"
    "  - key: course\n    type: radio\n    label: コース\n    choices:\n"
    "      - value: a\n        label: Aコース\n      - value: b\n        label: Bコース\n"
    "  - key: topics\n    type: checkbox\n    label: テーマ\n    choices:\n"
    "      - value: food\n        label: 食事\n      - value: sleep\n        label: 睡眠\n"
    "  - key: note\n    type: textarea\n    label: ご意見\n";

/* Payloads as apply writes them, and at the edges of what both readers take. */
static const char *const payloads[] = {
	"{\"v\":1,\"answers\":{\"name\":\"試験 花子\",\"course\":\"a\",\"topics\":[\"food\",\"sleep\"],"
	    "\"note\":\"改行\\nと\\\"引用\\\", カンマ\"}}",
	"{\"v\":1,\"answers\":{\"note\":\"=1+1\",\"name\":\"髙﨑 🍙\",\"course\":\"gone\",\"topics\":[]}}",
	"{\"v\":1,\"answers\":{\"name\":\"\\u00e9\\u3042\\/\\t\",\"topics\":[\"removed\"]}}",
	"{\"v\":1,\"answers\":{}}",
};

static int
to_buf(void *arg, const void *p, size_t n)
{
	return buf_put(arg, p, n);
}

static int
fail_after_header(void *arg, const void *p, size_t n)
{
	return (*(int *)arg)-- > 0 ? 0 : -1;
}

static struct procedure *
procedure(void)
{
	return formdef_load_mem("forms/t-export.yaml", definition, sizeof(definition) - 1, NULL, NULL, NULL);
}

/* The whole file for one row of each payload, read by payload.h (by_payload) or by json-c. */
static int
export_all(const struct procedure *p, enum csv_encoding enc, int by_payload, struct buf *out,
    struct export_summary *sum)
{
	struct export		*e = export_open(p, langs, enc, to_buf, out);
	struct export_row	 row;
	struct payload		 pl;
	json_object		*root;
	size_t			 i;
	int			 rc = 0;

	if (e == NULL)
		return -1;
	payload_init(&pl);
	for (i = 0; i < sizeof(payloads) / sizeof(payloads[0]); i++) {
		memset(&row, 0, sizeof(row));
		row.receipt = "0000-0000-0001";
		row.received_at = 1763856000;
		row.status = "received";
		row.lang = i == 0 ? "en" : i == 1 ? "fr" : NULL;	/* English, no catalogue, Japanese */
		row.channel = i == 1 ? "counter" : NULL;	/* entered by staff; NULL: online */
		root = json_tokener_parse(payloads[i]);
		if (by_payload && payload_read(&pl, payloads[i]) == 0)
			row.payload = &pl;
		else if (by_payload || root == NULL || !json_object_object_get_ex(root, "answers", &row.answers))
			rc = -1;
		rc |= export_row(e, &row);
		json_object_put(root);
	}
	payload_free(&pl);
	return export_close(e, sum) == 0 ? rc : -1;
}

static void
both_readers_same_bytes(void)
{
	struct procedure	*p = procedure();
	struct export_summary	 a, b;
	struct buf		 by_json, by_payload;
	int			 enc;

	T_CHECK(p != NULL);
	for (enc = 0; enc < 2; enc++) {
		buf_init(&by_json);
		buf_init(&by_payload);
		T_CHECK(export_all(p, enc ? CSV_CP932 : CSV_UTF8_BOM, 0, &by_json, &a) == 0);
		T_CHECK(export_all(p, enc ? CSV_CP932 : CSV_UTF8_BOM, 1, &by_payload, &b) == 0);
		T_CHECK(by_json.len > 0 && by_json.len == by_payload.len);
		T_CHECK(memcmp(by_json.data, by_payload.data, by_json.len) == 0);
		T_STREQ(a.sha256, b.sha256);
		T_CHECK(a.rows == 4 && b.rows == 4 && a.replaced == b.replaced);
		buf_free(&by_json);
		buf_free(&by_payload);
	}
	formdef_free(p);
}

/* The cells as staff read them, and the ledger's hash of every byte. */
static void
cells_and_hash(void)
{
	struct procedure	*p = procedure();
	struct export_summary	 sum;
	struct buf		 out;
	unsigned char		 h[crypto_hash_sha256_BYTES];
	char			 hex[65];

	T_CHECK(p != NULL && sodium_init() >= 0);
	buf_init(&out);
	T_CHECK(export_all(p, CSV_UTF8_BOM, 1, &out, &sum) == 0);
	T_CHECK(strstr(buf_cstr(&out), "受付番号,受付日時,状態,受付方法,言語,氏名,コース,テーマ,ご意見\r\n") != NULL);
	T_CHECK(strstr(buf_cstr(&out), "0000-0000-0001,2025-11-23 09:00,到達,オンライン,英語,試験 花子,Aコース,食事、睡眠,"
	    "\"改行\nと\"\"引用\"\", カンマ\"\r\n") != NULL);
	T_CHECK(strstr(buf_cstr(&out), ",到達,窓口,fr,髙﨑 🍙,gone,,\"'=1+1\"\r\n") != NULL);
	T_CHECK(strstr(buf_cstr(&out), ",到達,オンライン,日本語,éあ/\t,,removed,\r\n") != NULL);
	crypto_hash_sha256(h, (const unsigned char *)out.data, out.len);
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	T_STREQ(sum.sha256, hex);
	buf_free(&out);
	formdef_free(p);
}

/* An export of p (NULL: fails) into out, and an empty row. */
static struct export *
open_to_buf(struct procedure *p, struct buf *out, struct export_row *row)
{
	buf_init(out);
	memset(row, 0, sizeof(*row));
	return p != NULL ? export_open(p, langs, CSV_UTF8_BOM, to_buf, out) : NULL;
}

static void
unopened_row_says_so(void)
{
	struct procedure	*p = procedure();
	struct export		*e;
	struct export_row	 row;
	struct export_summary	 sum;
	struct buf		 out;

	T_CHECK((e = open_to_buf(p, &out, &row)) != NULL);
	row.receipt = "0000-0000-0002";
	row.status = "accepted";
	T_CHECK(export_row(e, &row) == 0);
	T_CHECK(export_close(e, &sum) == 0 && sum.rows == 1);
	T_CHECK(strstr(buf_cstr(&out), ",受付,オンライン,日本語,（この申請を開く鍵がなく、出力できませんでした）,,,\r\n") != NULL);
	buf_free(&out);
	formdef_free(p);
}

/* Whether a row of status (and number) writes its 状態 cell as want. */
static int
status_cell(const char *status, long number, const char *want)
{
	struct procedure	*p = procedure();
	struct export_summary	 sum;
	struct export_row	 row;
	struct buf		 out;
	struct export		*e = open_to_buf(p, &out, &row);
	int			 ok;

	row.receipt = "0000-0000-0004";
	row.status = status;
	row.number = number;
	ok = e != NULL && export_row(e, &row) == 0;
	ok &= e != NULL && export_close(e, &sum) == 0 && strstr(buf_cstr(&out), want) != NULL;
	buf_free(&out);
	formdef_free(p);
	return ok;
}

/* A reserve's status cell carries its number; a winner's has none. */
static void
reserve_number_in_the_status_column(void)
{
	T_CHECK(status_cell("reserve", 3, ",補欠（3番）,オンライン,"));
	T_CHECK(status_cell("won", 0, ",当選,オンライン,"));
}

static void
failed_write_reported(void)
{
	struct procedure	*p = procedure();
	struct export		*e;
	struct export_row	 row;
	struct export_summary	 sum;
	int			 writes = 2;	/* the BOM and the header row */

	T_CHECK(p != NULL);
	T_CHECK((e = export_open(p, langs, CSV_UTF8_BOM, fail_after_header, &writes)) != NULL);
	memset(&row, 0, sizeof(row));
	row.receipt = "0000-0000-0003";
	row.status = "received";
	T_CHECK(export_row(e, &row) == -1);
	T_CHECK(export_close(e, &sum) == -1 && sum.rows == 0);
	formdef_free(p);
}

int
main(void)
{
	char	dir[4096];
	int	rc;

	if (t_locale_dir(dir, sizeof(dir)) == -1 || (langs = langset_load(dir, NULL)) == NULL)
		return 1;
	T_RUN(both_readers_same_bytes);
	T_RUN(cells_and_hash);
	T_RUN(unopened_row_says_so);
	T_RUN(reserve_number_in_the_status_column);
	T_RUN(failed_write_reported);
	rc = T_DONE();
	langset_free(langs);
	return rc;
}
