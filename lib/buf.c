#include "buf.h"

/*
 * Contents are wiped with explicit_bzero(), which the compiler may not
 * leave out: buf is beneath seal, whose seal_wipe() the other modules use.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
buf_init(struct buf *b)
{
	memset(b, 0, sizeof(*b));
}

static int
buf_grow(struct buf *b, size_t extra)
{
	size_t	 need, ncap;
	char	*p;

	if (b->oom)
		return -1;
	if (extra > SIZE_MAX - b->len - 1)
		goto fail;
	need = b->len + extra + 1;
	if (b->limit != 0 && need - 1 > b->limit)
		goto fail;
	if (need <= b->cap)
		return 0;
	ncap = b->cap ? b->cap : 64;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2)
			goto fail;
		ncap *= 2;
	}
	/*
	 * Not realloc: the old block may hold personal data and must be wiped.
	 * calloc: the unused tail holds zeros, never stale heap, so a wipe check
	 * can read the whole capacity.
	 */
	if ((p = calloc(1, ncap)) == NULL)
		goto fail;
	if (b->data != NULL) {
		memcpy(p, b->data, b->len + 1);
		explicit_bzero(b->data, b->cap);
		free(b->data);
	}
	b->data = p;
	b->cap = ncap;
	return 0;
fail:
	b->oom = 1;
	return -1;
}

int
buf_put(struct buf *b, const void *p, size_t n)
{
	if (buf_grow(b, n) == -1)
		return -1;
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

unsigned char *
buf_append_space(struct buf *b, size_t n)
{
	unsigned char *p;

	if (buf_grow(b, n) == -1)
		return NULL;
	p = (unsigned char *)b->data + b->len;
	memset(p, 0, n);
	b->len += n;
	b->data[b->len] = '\0';
	return p;
}

int
buf_puts(struct buf *b, const char *s)
{
	return buf_put(b, s, strlen(s));
}

int
buf_putc(struct buf *b, int c)
{
	char ch = (char)c;

	return buf_put(b, &ch, 1);
}

int
buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	va_list	 ap2;
	int	 n;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0 || buf_grow(b, (size_t)n) == -1) {
		b->oom = 1;
		return -1;
	}
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list	 ap;
	int	 rc;

	va_start(ap, fmt);
	rc = buf_vprintf(b, fmt, ap);
	va_end(ap);
	return rc;
}

const char *
buf_cstr(const struct buf *b)
{
	return b->data != NULL ? b->data : "";
}

void
buf_reset(struct buf *b)
{
	if (b->data != NULL) {
		explicit_bzero(b->data, b->len);
		b->data[0] = '\0';
	}
	b->len = 0;
	b->oom = 0;
}

void
buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
	b->oom = 0;
}

void
buf_wipe(struct buf *b)
{
	if (b->data != NULL)
		explicit_bzero(b->data, b->cap);
	buf_free(b);
}

char *
buf_take(struct buf *b)
{
	char *p;

	if (b->data == NULL && buf_grow(b, 0) == -1)
		return NULL;
	p = b->data;
	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}

void *
buf_grow_array(void *array, size_t n, size_t *cap, size_t size, size_t first)
{
	size_t	 ncap;
	void	*p;

	if (n < *cap)
		return array;
	if (*cap > SIZE_MAX / 2 / size)
		return NULL;
	ncap = *cap ? *cap * 2 : first;
	if ((p = realloc(array, ncap * size)) == NULL)
		return NULL;
	*cap = ncap;
	return p;
}

void
buf_be64_put(unsigned char *p, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--, v >>= 8)
		p[i] = (unsigned char)(v & 0xff);
}

uint64_t
buf_be64_get(const unsigned char *p)
{
	uint64_t	v = 0;
	int		i;

	for (i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}
