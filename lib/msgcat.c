#include "msgcat.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <unistr.h>

#define MO_MAGIC	0x950412deu
#define MO_HEAD_LEN	28	/* magic, revision, count, two table offsets, hash size and offset */

struct msg {
	const char	*id;
	const char	*text;
};

struct msgcat {
	char		*data;		/* the file */
	struct msg	*m;		/* ascending by id, header excluded */
	size_t		 n;
};

/* A 32-bit word of the file at off (checked by the caller), in the file's byte order. */
static uint32_t
word(const unsigned char *p, size_t off, int swap)
{
	uint32_t v;

	memcpy(&v, p + off, sizeof(v));
	return swap ? __builtin_bswap32(v) : v;
}

/*
 * The string the descriptor at desc points to: within the file, followed by
 * its NUL, without one inside, valid UTF-8.  NULL when it is not.
 */
static const char *
string_at(const unsigned char *p, size_t len, size_t desc, int swap)
{
	uint64_t n = word(p, desc, swap), off = word(p, desc + 4, swap);

	if (off >= len || n >= len - off || p[off + n] != '\0' || memchr(p + off, '\0', n) != NULL ||
	    u8_check(p + off, n) != NULL)
		return NULL;
	return (const char *)p + off;
}

static struct msgcat *
refuse(struct msgcat *c, struct buf *err, const char *name, const char *why)
{
	if (err != NULL)
		buf_printf(err, "%s: %s\n", name, why);
	msgcat_free(c);
	return NULL;
}

/* The tables of the file in c->data: every message, checked; NULL (c freed) and why when refused. */
static struct msgcat *
parse(struct msgcat *c, size_t len, const char *name, struct buf *err)
{
	const unsigned char	*p = (const unsigned char *)c->data;
	const char		*id, *text, *prev = NULL, *header = NULL;
	uint64_t		 n, ids, texts;
	size_t			 i;
	int			 swap;

	if (len < MO_HEAD_LEN)
		return refuse(c, err, name, "too short for a .mo file");
	if (word(p, 0, 0) == MO_MAGIC)
		swap = 0;
	else if (word(p, 0, 1) == MO_MAGIC)
		swap = 1;
	else
		return refuse(c, err, name, "not a .mo file (wrong magic number)");
	if (word(p, 4, swap) >> 16 > 1)
		return refuse(c, err, name, "unknown .mo revision");
	n = word(p, 8, swap);
	ids = word(p, 12, swap);
	texts = word(p, 16, swap);
	if (n == 0 || n > len / 16 || ids > len - n * 8 || texts > len - n * 8)
		return refuse(c, err, name, "tables outside the file");
	if ((c->m = calloc((size_t)n, sizeof(*c->m))) == NULL)
		return refuse(c, err, name, "out of memory");
	for (i = 0; i < n; i++) {
		if ((id = string_at(p, len, (size_t)ids + i * 8, swap)) == NULL ||
		    (text = string_at(p, len, (size_t)texts + i * 8, swap)) == NULL)
			return refuse(c, err, name, "a string outside the file, not UTF-8, or with a plural form");
		if (prev != NULL && strcmp(prev, id) >= 0)
			return refuse(c, err, name, "messages not in ascending order");
		prev = id;
		if (*id == '\0')
			header = text;
		else if (*text != '\0') {
			c->m[c->n].id = id;
			c->m[c->n++].text = text;
		}
	}
	if (header == NULL || strstr(header, "charset=UTF-8") == NULL)
		return refuse(c, err, name, "no header declaring charset=UTF-8");
	return c;
}

struct msgcat *
msgcat_load_mem(const char *name, const void *data, size_t len, struct buf *err)
{
	struct msgcat *c;

	if (len > MSGCAT_MAX_SIZE)
		return refuse(NULL, err, name, "larger than 4 MiB");
	if ((c = calloc(1, sizeof(*c))) == NULL || (c->data = malloc(len + 1)) == NULL)
		return refuse(c, err, name, "out of memory");
	if (len > 0)
		memcpy(c->data, data, len);
	c->data[len] = '\0';
	return parse(c, len, name, err);
}

struct msgcat *
msgcat_load_file(const char *path, struct buf *err)
{
	struct msgcat	*c = NULL;
	struct buf	 b;
	struct stat	 st;
	ssize_t		 got;
	int		 fd;

	buf_init(&b);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 || fstat(fd, &st) == -1) {
		if (err != NULL)
			buf_printf(err, "%s: cannot open: %s\n", path, strerror(errno));
	} else if (!S_ISREG(st.st_mode) || st.st_size > MSGCAT_MAX_SIZE) {
		if (err != NULL)
			buf_printf(err, "%s: not a regular file of at most 4 MiB\n", path);
	} else if (buf_append_space(&b, (size_t)st.st_size) == NULL ||
	    (got = read(fd, b.data, (size_t)st.st_size)) != st.st_size) {
		if (err != NULL)
			buf_printf(err, "%s: cannot read it whole\n", path);
	} else
		c = msgcat_load_mem(path, b.data, b.len, err);
	if (fd != -1)
		close(fd);
	buf_free(&b);
	return c;
}

void
msgcat_free(struct msgcat *c)
{
	if (c == NULL)
		return;
	free(c->m);
	free(c->data);
	free(c);
}

static int
by_id(const void *key, const void *m)
{
	return strcmp(key, ((const struct msg *)m)->id);
}

const char *
msgcat_get(const struct msgcat *c, const char *id)
{
	const struct msg *m = bsearch(id, c->m, c->n, sizeof(*c->m), by_id);

	return m != NULL ? m->text : NULL;
}

size_t
msgcat_count(const struct msgcat *c)
{
	return c->n;
}

const char *
msgcat_id(const struct msgcat *c, size_t i)
{
	return i < c->n ? c->m[i].id : NULL;
}
