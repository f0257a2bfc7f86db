#include "export.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <zip.h>

#include "jst.h"
#include "seal.h"
#include "workflow.h"

struct export {
	const struct procedure		*p;
	const struct langset		*langs;	/* the languages' names, or NULL: their tags */
	struct csv_writer		*w;
	csv_write_fn			 write;
	void				*arg;
	EVP_MD_CTX			*hash;	/* SHA-256 of the file; see export_open() */
	struct buf			 v;	/* one value at a time, wiped in between */
	size_t				 rows;
	int				 failed;
};

/* Every byte goes through here: hashed, then to the caller's sink. */
static int
hashed_write(void *arg, const void *p, size_t n)
{
	struct export *e = arg;

	if (EVP_DigestUpdate(e->hash, p, n) != 1)
		return -1;
	return e->write(e->arg, p, n);
}

static int
cell(struct export *e, const char *s)
{
	return csv_field(e->w, s, strlen(s));
}

struct export *
export_open(const struct procedure *p, const struct langset *langs, enum csv_encoding enc, csv_write_fn write,
    void *arg)
{
	struct export	*e;
	size_t		 i;
	int		 rc;

	if ((e = calloc(1, sizeof(*e))) == NULL)
		return NULL;
	buf_init(&e->v);
	e->p = p;
	e->langs = langs;
	e->write = write;
	e->arg = arg;
	/*
	 * OpenSSL's SHA-256 rather than libsodium's: it uses the CPU's SHA
	 * instructions, four times as fast here, and hashing was half the
	 * writing thread's work per row.  libcrypto is loaded anyway (libzip).
	 */
	if ((e->hash = EVP_MD_CTX_new()) == NULL || EVP_DigestInit_ex(e->hash, EVP_sha256(), NULL) != 1 ||
	    (e->w = csv_open(enc, hashed_write, e)) == NULL) {
		EVP_MD_CTX_free(e->hash);	/* NULL-safe */
		free(e);
		return NULL;
	}
	rc = cell(e, "受付番号") | cell(e, "受付日時") | cell(e, "状態") | cell(e, "受付方法") | cell(e, "言語");
	if (p->participant_prefix != NULL)
		rc |= cell(e, "参加者ID");
	for (i = 0; i < p->nfields; i++)
		rc |= cell(e, p->fields[i].label);
	if ((rc | csv_end_row(e->w)) != 0)
		e->failed = 1;
	return e;
}

static int
choice_label(const struct field *f, const char *value, struct buf *out)
{
	size_t i;

	for (i = 0; i < f->nchoices; i++)
		if (strcmp(f->choices[i].value, value) == 0)
			return buf_puts(out, f->choices[i].label);
	return buf_puts(out, value);	/* a choice removed from the definition since: show what was stored */
}

/* Item i of a list answer (checkbox picks): labels joined with 「、」. */
static int
list_item(const struct field *f, size_t i, const char *value, struct buf *out)
{
	if (i > 0)
		buf_puts(out, "、");
	return choice_label(f, value, out);
}

static int
scalar(const struct field *f, const char *value, struct buf *out)
{
	if (f->type == FT_RADIO || f->type == FT_SELECT)
		return choice_label(f, value, out);
	return buf_puts(out, value);
}

int
export_cell(const struct field *f, json_object *answers, struct buf *out)
{
	json_object	*v;
	size_t		 i, n;

	if (answers == NULL || !json_object_object_get_ex(answers, f->key, &v) || v == NULL)
		return 0;
	if (json_object_is_type(v, json_type_array)) {
		n = json_object_array_length(v);
		for (i = 0; i < n; i++)
			list_item(f, i, json_object_get_string(json_object_array_get_idx(v, i)), out);
		return out->oom ? -1 : 0;
	}
	return scalar(f, json_object_get_string(v), out);
}

/* export_cell() for answers read by payload.h: the same text for the same answers. */
static int
payload_cell(const struct field *f, const struct payload *p, size_t *cursor, struct buf *out)
{
	const struct payload_answer	*a = payload_get(p, f->key, cursor);
	size_t				 i;

	if (a == NULL)
		return 0;
	if (a->value == NULL) {
		for (i = 0; i < a->nitems; i++)
			list_item(f, i, a->items[i], out);
		return out->oom ? -1 : 0;
	}
	return scalar(f, a->value, out);
}

/* One field's cell of an opened row. */
static int
row_cell(const struct field *f, const struct export_row *r, size_t *cursor, struct buf *out)
{
	if (r->payload != NULL)
		return payload_cell(f, r->payload, cursor, out);
	return export_cell(f, r->answers, out);
}

int
export_row_cell(const struct field *f, const struct export_row *r, struct buf *out)
{
	size_t cursor = 0;

	return row_cell(f, r, &cursor, out);
}

int
export_row(struct export *e, const struct export_row *r)
{
	struct buf	label;
	size_t		i, cursor = 0;
	int		rc;

	buf_init(&label);
	buf_reset(&e->v);
	rc = jst_format_numeric(r->received_at, &e->v) | wf_label_of(r->status, r->number, &label);
	rc |= cell(e, r->receipt) | cell(e, buf_cstr(&e->v)) | cell(e, buf_cstr(&label)) |
	    cell(e, wf_channel_label_of(r->channel != NULL ? r->channel : "web")) |
	    cell(e, lang_name_ja(e->langs, r->lang != NULL ? r->lang : LANG_DEFAULT));
	if (e->p->participant_prefix != NULL)
		rc |= cell(e, r->participant != NULL ? r->participant : "");
	for (i = 0; i < e->p->nfields; i++) {
		buf_reset(&e->v);
		if (r->answers == NULL && r->payload == NULL && i == 0)
			rc |= buf_puts(&e->v, "（この申請を開く鍵がなく、出力できませんでした）");
		else
			rc |= row_cell(&e->p->fields[i], r, &cursor, &e->v);
		rc |= csv_field(e->w, buf_cstr(&e->v), e->v.len);
	}
	rc |= csv_end_row(e->w);
	buf_reset(&e->v);
	buf_free(&label);
	if (rc != 0) {
		e->failed = 1;
		return -1;
	}
	e->rows++;
	return 0;
}

int
export_row_cb(void *e, const struct export_row *row)
{
	return export_row(e, row);
}

int
export_close(struct export *e, struct export_summary *sum)
{
	unsigned char	digest[EVP_MAX_MD_SIZE];
	unsigned int	len = 0;
	int		rc;

	memset(sum, 0, sizeof(*sum));
	sum->rows = e->rows;
	sum->replaced = csv_replaced(e->w);
	rc = csv_close(e->w) == -1 || e->failed ? -1 : 0;
	if (EVP_DigestFinal_ex(e->hash, digest, &len) != 1 || len != 32)
		rc = -1;
	else
		(void)seal_hex(digest, len, sum->sha256, sizeof(sum->sha256));
	EVP_MD_CTX_free(e->hash);
	buf_wipe(&e->v);
	free(e);
	return rc;
}

int
export_filename(const struct procedure *p, time_t now, struct buf *out)
{
	struct buf	t;
	char		stamp[16];
	const char	*s;
	int		rc;

	buf_init(&t);
	if (jst_format_numeric(now, &t) == -1) {
		buf_free(&t);
		return -1;
	}
	/* "2026-11-22 09:05" -> "20261122-0905" */
	s = buf_cstr(&t);
	snprintf(stamp, sizeof(stamp), "%.4s%.2s%.2s-%.2s%.2s", s, s + 5, s + 8, s + 11, s + 14);
	buf_free(&t);
	rc = buf_printf(out, "%s_%s.csv", p->title, stamp);
	return rc;
}

/* The archive is built in a libzip memory source, so neither the CSV nor the ZIP touches the disk here. */
static int
zip_build(zip_source_t *mem, const char *entry_name, const void *data, size_t len, const char *password)
{
	zip_t		*z;
	zip_source_t	*src;
	zip_int64_t	 idx;

	if ((z = zip_open_from_source(mem, ZIP_TRUNCATE, NULL)) == NULL)
		return -1;
	zip_source_keep(mem);	/* zip_close must leave the result to us */
	if ((src = zip_source_buffer(z, data, len, 0)) == NULL)
		goto fail;
	if ((idx = zip_file_add(z, entry_name, src, ZIP_FL_ENC_UTF_8)) < 0) {
		zip_source_free(src);
		goto fail;
	}
	if (zip_file_set_encryption(z, (zip_uint64_t)idx, ZIP_EM_AES_256, password) == -1 || zip_close(z) == -1)
		goto fail;
	return 0;
fail:
	zip_discard(z);
	return -1;
}

int
export_zip(const char *entry_name, const void *data, size_t len, const char *password, struct buf *out)
{
	zip_source_t	*mem;
	zip_int64_t	 n;
	char		 chunk[16384];
	int		 rc = -1;

	if ((mem = zip_source_buffer_create(NULL, 0, 0, NULL)) == NULL)
		return -1;
	if (zip_build(mem, entry_name, data, len, password) == -1 || zip_source_open(mem) == -1)
		goto done;
	while ((n = zip_source_read(mem, chunk, sizeof(chunk))) > 0)
		if (buf_put(out, chunk, (size_t)n) == -1)
			break;
	rc = n == 0 ? 0 : -1;
	zip_source_close(mem);
done:
	zip_source_free(mem);
	return rc;
}
