/*
 * mo_build.h: .mo files written byte by byte for the tests of lib/msgcat.c
 * and lib/lang.c, laid out as msgfmt lays them out (header, the msgid
 * descriptors, the msgstr descriptors, then the strings).
 */
#ifndef MO_BUILD_H
#define MO_BUILD_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"

#define HEADER	"Content-Type: text/plain; charset=UTF-8\n"

struct pair { const char *id, *text; };

static inline void
put32(struct buf *b, size_t off, uint32_t v, int big)
{
	unsigned char p[4];

	if (big) {
		p[0] = (unsigned char)(v >> 24);
		p[1] = (unsigned char)(v >> 16);
		p[2] = (unsigned char)(v >> 8);
		p[3] = (unsigned char)v;
	} else {
		p[0] = (unsigned char)v;
		p[1] = (unsigned char)(v >> 8);
		p[2] = (unsigned char)(v >> 16);
		p[3] = (unsigned char)(v >> 24);
	}
	memcpy(b->data + off, p, 4);
}

/* A .mo of the pairs as given (the caller sorts them, or not), as msgfmt lays it out. */
static inline void
mo_build(const struct pair *m, size_t n, int big, struct buf *out)
{
	size_t	i, ids = 28, texts = 28 + 8 * n, strings = 28 + 16 * n, off;

	buf_init(out);
	buf_append_space(out, strings);
	put32(out, 0, 0x950412de, big);
	put32(out, 4, 0, big);
	put32(out, 8, (uint32_t)n, big);
	put32(out, 12, (uint32_t)ids, big);
	put32(out, 16, (uint32_t)texts, big);
	for (i = 0; i < n; i++) {
		off = out->len;
		buf_put(out, m[i].id, strlen(m[i].id) + 1);
		put32(out, ids + 8 * i, (uint32_t)strlen(m[i].id), big);
		put32(out, ids + 8 * i + 4, (uint32_t)off, big);
	}
	for (i = 0; i < n; i++) {
		off = out->len;
		buf_put(out, m[i].text, strlen(m[i].text) + 1);
		put32(out, texts + 8 * i, (uint32_t)strlen(m[i].text), big);
		put32(out, texts + 8 * i + 4, (uint32_t)off, big);
	}
}

/* Write the .mo of the pairs to dir/name: 0 or -1. */
static inline int
mo_write(const char *dir, const char *name, const struct pair *m, size_t n)
{
	char		 path[4096];
	struct buf	 mo;
	FILE		*f;
	int		 rc;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	mo_build(m, n, 0, &mo);
	rc = (f = fopen(path, "wb")) != NULL && fwrite(mo.data, 1, mo.len, f) == mo.len ? 0 : -1;
	if (f != NULL && fclose(f) != 0)
		rc = -1;
	buf_free(&mo);
	return rc;
}

/* The catalogues the build compiled (po/ -> <build>/locale), beside this program's <build>/tests. */
static inline int
t_locale_dir(char *out, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", out, len - 32);

	if (n <= 0 || memchr(out, '/', (size_t)n) == NULL)
		return -1;
	out[n] = '\0';
	strcpy(strrchr(out, '/'), "/../locale");
	return 0;
}

#endif
