/*
 * buf: a growable byte buffer, the one output and scratch type shared by
 * every module.  The caller owns the struct and what it holds; free it with
 * buf_free(), or buf_wipe() when it held personal data or secrets.
 *
 * Error convention (whole project): functions return 0 on success and -1 on
 * failure.  A buffer that once failed to grow stays failed (b->oom), so a
 * sequence of appends can be checked once at the end.
 */
#ifndef BUF_H
#define BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

struct buf {
	char	*data;	/* always NUL-terminated when len > 0 or cap > 0 */
	size_t	 len;
	size_t	 cap;
	int	 oom;	/* set once an allocation failed or the limit was hit */
	size_t	 limit;	/* 0 = no limit; otherwise appends past it fail */
};

void	 buf_init(struct buf *b);
int	 buf_put(struct buf *b, const void *p, size_t n);
int	 buf_puts(struct buf *b, const char *s);
int	 buf_putc(struct buf *b, int c);
int	 buf_printf(struct buf *b, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
int	 buf_vprintf(struct buf *b, const char *fmt, va_list ap);
/* Append n zero bytes and return where they start (valid until the next
 * append), or NULL on failure: for writers that fill a known length. */
unsigned char *buf_append_space(struct buf *b, size_t n);
/* A NUL-terminated view valid until the next append; "" when empty. */
const char *buf_cstr(const struct buf *b);
/* Forget the contents, keep the memory (wiped first: it may be personal). */
void	 buf_reset(struct buf *b);
void	 buf_free(struct buf *b);
/* Zero the whole allocation, then free it. */
void	 buf_wipe(struct buf *b);
/* Transfer ownership of the bytes to the caller (free() them); b is reset. */
char	*buf_take(struct buf *b);

/* A 64-bit number as 8 big-endian bytes at p, and back (wire and file formats). */
void	 buf_be64_put(unsigned char *p, uint64_t v);
uint64_t buf_be64_get(const unsigned char *p);

/*
 * Room for one more element in an array of *cap elements of size bytes,
 * n of them in use: when it is full, the array grown to twice as many
 * (first when it has none) and *cap updated.  Returns the array, which may
 * have moved (the caller stores it), or NULL when memory ran out or the
 * size would overflow: the array and *cap are then as they were.
 */
void	*buf_grow_array(void *array, size_t n, size_t *cap, size_t size, size_t first);

#endif
