#include "backup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "seal.h"

#define MAGIC		"SJBACKUP"
#define VERSION		1
#define HEADER_LEN	(8 + 1 + 8 + 8 + SEAL_SALT_LEN + SEAL_STREAM_HEADER_LEN)
#define NAME_MAX_LEN	64
#define MSG_MAX		(BACKUP_CHUNK + 1 + SEAL_STREAM_OVERHEAD)
#define DB_MEMBER	"db/platform.sqlite"
/* Costs a restore accepts from a header: more would be a way to make it spend memory and time. */
#define OPS_MAX		10
#define MEM_MAX		((size_t)1 << 30)

/* Message kinds, the first byte of each message's plain text. */
enum { M_FILE = 'F', M_DATA = 'D', M_END = 'E' };

const char *const backup_members[] = {
	DB_MEMBER, "keys/apply-mac.key", "keys/staff-mac.key", "keys/audit.key", "keys/inquiry.key", "keys/mailer.sk",
	"keys/mailer.pk", NULL,
};

static int
write_all(int fd, const void *p, size_t n)
{
	const char	*c = p;
	ssize_t		 k;

	while (n > 0) {
		if ((k = write(fd, c, n)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		c += k;
		n -= (size_t)k;
	}
	return 0;
}

/* Up to n bytes; fewer only at the end of the file.  The count, or -1. */
static ssize_t
read_full(int fd, void *p, size_t n)
{
	char	*c = p;
	size_t	 got = 0;
	ssize_t	 k;

	while (got < n) {
		if ((k = read(fd, c + got, n - got)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (k == 0)
			break;
		got += (size_t)k;
	}
	return (ssize_t)got;
}

/* dir/name into out: 0, or -1 when it does not fit (paths are checked, never cut short). */
static int
join(char *out, size_t len, const char *dir, const char *name)
{
	int n = snprintf(out, len, "%s/%s", dir, name);

	if (n < 0 || (size_t)n >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

static int
fail(struct buf *why, const char *what, const char *path)
{
	buf_printf(why, "%s %s: %s", what, path, strerror(errno));
	return -1;
}

/* Remove a temporary directory of ours with what it holds (files, and the db/ and keys/ under it). */
static void
remove_tree(const char *dir)
{
	DIR		*d;
	struct dirent	*e;
	struct stat	 sb;
	char		 p[2048];

	if ((d = opendir(dir)) == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (join(p, sizeof(p), dir, e->d_name) == -1)
			continue;
		if (lstat(p, &sb) == 0 && S_ISDIR(sb.st_mode))
			remove_tree(p);
		else
			(void)unlink(p);
	}
	closedir(d);
	(void)rmdir(dir);
}

/* ---- writing ---- */

struct writer {
	int			fd;
	struct seal_stream	st;
	struct buf		msg;	/* plain text of one message */
	struct buf		box;	/* its sealed form, with the length before it */
	const unsigned char	*ad;	/* the file header: authenticated with the first message */
	size_t			adlen;
};

static int
push(struct writer *w, int kind, const void *p, size_t n, int final)
{
	unsigned char	len[4];
	size_t		boxlen;
	int		rc;

	buf_reset(&w->msg);
	buf_reset(&w->box);
	if (buf_putc(&w->msg, kind) == -1 || buf_put(&w->msg, p, n) == -1 || buf_append_space(&w->box, 4) == NULL ||
	    seal_stream_push(&w->st, w->msg.data, w->msg.len, w->ad, w->adlen, final, &w->box) == -1)
		return -1;
	w->ad = NULL;
	w->adlen = 0;
	boxlen = w->box.len - 4;
	len[0] = (unsigned char)(boxlen >> 24);
	len[1] = (unsigned char)(boxlen >> 16);
	len[2] = (unsigned char)(boxlen >> 8);
	len[3] = (unsigned char)boxlen;
	memcpy(w->box.data, len, 4);
	rc = write_all(w->fd, w->box.data, w->box.len);
	buf_reset(&w->msg);
	return rc;
}

/* One file of the data directory: its header message, then its bytes in chunks. */
static int
push_file(struct writer *w, const char *name, const char *path, struct buf *why)
{
	unsigned char	 head[NAME_MAX_LEN + 1 + 8], *chunk = NULL;
	struct stat	 sb;
	size_t		 nlen = strlen(name);
	uint64_t	 left;
	ssize_t		 k;
	int		 fd, rc = -1;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1 || fstat(fd, &sb) == -1) {
		if (fd != -1)
			close(fd);
		return fail(why, "cannot read", path);
	}
	memcpy(head, name, nlen + 1);
	buf_be64_put(head + nlen + 1, (uint64_t)sb.st_size);
	if (push(w, M_FILE, head, nlen + 1 + 8, 0) == -1 || (chunk = malloc(BACKUP_CHUNK)) == NULL)
		goto done;
	for (left = (uint64_t)sb.st_size; left > 0; left -= (uint64_t)k) {
		k = read_full(fd, chunk, left < BACKUP_CHUNK ? (size_t)left : BACKUP_CHUNK);
		if (k <= 0) {
			buf_printf(why, "%s changed while it was copied", path);
			goto done;
		}
		if (push(w, M_DATA, chunk, (size_t)k, 0) == -1)
			goto done;
	}
	rc = 0;
done:
	if (rc == -1 && why->len == 0)
		buf_printf(why, "cannot write the backup: %s", strerror(errno));
	if (chunk != NULL) {
		seal_wipe(chunk, BACKUP_CHUNK);
		free(chunk);
	}
	close(fd);
	return rc;
}

static int
header(const struct backup_costs *costs, unsigned char salt[SEAL_SALT_LEN], unsigned char out[HEADER_LEN])
{
	memcpy(out, MAGIC, 8);
	out[8] = VERSION;
	buf_be64_put(out + 9, costs->ops);
	buf_be64_put(out + 17, (uint64_t)costs->mem);
	memcpy(out + 25, salt, SEAL_SALT_LEN);
	return 0;
}

/* Every member, then the end: into w, whose stream is started. */
static int
push_members(struct writer *w, const char *data_dir, const char *copy, struct buf *why)
{
	char	path[2048];
	size_t	i;

	for (i = 0; backup_members[i] != NULL; i++) {
		if (strcmp(backup_members[i], DB_MEMBER) == 0)
			snprintf(path, sizeof(path), "%s", copy);
		else if (join(path, sizeof(path), data_dir, backup_members[i]) == -1)
			return fail(why, "too long a path:", data_dir);
		if (push_file(w, backup_members[i], path, why) == -1)
			return -1;
	}
	return push(w, M_END, "", 0, 1);
}

static int
write_backup(int fd, const char *data_dir, const char *copy, const char *passphrase,
    const struct backup_costs *costs, struct buf *why)
{
	struct writer	w;
	unsigned char	hdr[HEADER_LEN], salt[SEAL_SALT_LEN], key[SEAL_KEY_LEN];
	int		rc = -1;

	memset(&w, 0, sizeof(w));
	buf_init(&w.msg);
	buf_init(&w.box);
	w.fd = fd;
	seal_random(salt, sizeof(salt));
	header(costs, salt, hdr);
	if (seal_password_key(passphrase, salt, costs->ops, costs->mem, key) == -1) {
		buf_puts(why, "cannot derive the key from the passphrase (out of memory?)");
		goto done;
	}
	if (seal_stream_push_init(&w.st, key, hdr + HEADER_LEN - SEAL_STREAM_HEADER_LEN) == -1 ||
	    write_all(fd, hdr, sizeof(hdr)) == -1)
		goto done;
	w.ad = hdr;
	w.adlen = sizeof(hdr);
	rc = push_members(&w, data_dir, copy, why);
done:
	seal_wipe(key, sizeof(key));
	seal_stream_wipe(&w.st);
	buf_wipe(&w.msg);
	buf_free(&w.box);
	return rc;
}

int
backup_create(struct db *db, const char *data_dir, const char *passphrase, const struct backup_costs *costs,
    const char *out, uint64_t *bytes, struct buf *why)
{
	char		tmp[1024], copy[1100], partial[1100];
	struct stat	sb;
	int		fd = -1, rc = -1;

	*bytes = 0;
	snprintf(tmp, sizeof(tmp), "%s/db/backup.XXXXXX", data_dir);
	snprintf(partial, sizeof(partial), "%s.partial", out);
	if (access(out, F_OK) == 0) {
		buf_printf(why, "%s exists: a backup never replaces a file", out);
		return -1;
	}
	/* The copy is as private as the database it comes from: mkdtemp makes the directory 0700. */
	if (mkdtemp(tmp) == NULL)
		return fail(why, "cannot make a temporary directory", tmp);
	snprintf(copy, sizeof(copy), "%s/platform.sqlite", tmp);
	if (db_copy_into(db, copy) == -1) {
		buf_printf(why, "cannot copy the database into %s (see the log above)", tmp);
		goto done;
	}
	if ((fd = open(partial, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600)) == -1) {
		fail(why, "cannot create", partial);
		goto done;
	}
	if (write_backup(fd, data_dir, copy, passphrase, costs, why) == -1) {
		if (why->len == 0)
			fail(why, "cannot write", partial);
		goto done;
	}
	if (fsync(fd) == -1 || fstat(fd, &sb) == -1 || close(fd) == -1) {
		fd = -1;
		fail(why, "cannot write", partial);
		goto done;
	}
	fd = -1;
	if (rename(partial, out) == -1) {
		fail(why, "cannot rename to", out);
		goto done;
	}
	*bytes = (uint64_t)sb.st_size;
	rc = 0;
done:
	if (fd != -1)
		close(fd);
	if (rc == -1)
		(void)unlink(partial);
	remove_tree(tmp);
	return rc;
}

/* ---- reading ---- */

struct reader {
	int			fd;
	struct seal_stream	st;
	struct buf		box, msg;
	unsigned char		hdr[HEADER_LEN];
	int			first, ended;
	long			n;	/* messages read */
};

/* The next message into r->msg: 0, or an enum backup_error. */
static int
pull(struct reader *r)
{
	unsigned char	len[4];
	size_t		n;
	ssize_t		k;
	int		final;

	buf_reset(&r->msg);
	buf_reset(&r->box);
	if ((k = read_full(r->fd, len, 4)) != 4)
		return k == -1 ? -1 : BACKUP_TRUNCATED;
	n = (size_t)len[0] << 24 | (size_t)len[1] << 16 | (size_t)len[2] << 8 | len[3];
	if (n > MSG_MAX || n <= SEAL_STREAM_OVERHEAD)
		return r->first ? BACKUP_WRONG_PASSPHRASE : BACKUP_DAMAGED;
	if (buf_append_space(&r->box, n) == NULL)
		return -1;
	if ((k = read_full(r->fd, r->box.data, n)) != (ssize_t)n)
		return k == -1 ? -1 : BACKUP_TRUNCATED;
	if (seal_stream_pull(&r->st, r->box.data, n, r->first ? r->hdr : NULL, r->first ? sizeof(r->hdr) : 0,
	    &r->msg, &final) == -1)
		return r->first ? BACKUP_WRONG_PASSPHRASE : BACKUP_DAMAGED;
	r->first = 0;
	r->n++;
	if (r->msg.len == 0 || final != (r->msg.data[0] == M_END))
		return BACKUP_DAMAGED;
	r->ended = final;
	return 0;
}

/* A name from the list, not seen before: its index, or -1. */
static int
member_index(const char *name, const unsigned char *seen)
{
	int i;

	for (i = 0; backup_members[i] != NULL; i++)
		if (strcmp(backup_members[i], name) == 0)
			return seen[i] ? -1 : i;
	return -1;
}

/* One file: its data messages into dir/name (mode 0600). */
static int
pull_file(struct reader *r, const char *dir, unsigned char *seen, struct buf *why)
{
	const char	*name = r->msg.data + 1;
	char		 path[2048], sub[2048], *slash;
	uint64_t	 size, got = 0;
	size_t		 nlen;
	int		 i, fd, rc;

	nlen = strnlen(name, r->msg.len - 1);
	if (nlen == r->msg.len - 1 || r->msg.len != 1 + nlen + 1 + 8 || (i = member_index(name, seen)) == -1) {
		buf_puts(why, "an unexpected file in the backup");
		return BACKUP_DAMAGED;
	}
	seen[i] = 1;
	size = buf_be64_get((const unsigned char *)name + nlen + 1);
	if (join(path, sizeof(path), dir, name) == -1 || join(sub, sizeof(sub), dir, name) == -1)
		return fail(why, "too long a path:", dir);
	if ((slash = strrchr(sub, '/')) != NULL) {
		*slash = '\0';
		if (mkdir(sub, 0700) == -1 && errno != EEXIST)
			return fail(why, "cannot make", sub);
	}
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600)) == -1)
		return fail(why, "cannot create", path);
	rc = 0;
	while (rc == 0 && got < size) {
		if ((rc = pull(r)) != 0)
			break;
		if (r->msg.data[0] != M_DATA || r->msg.len - 1 > size - got) {
			rc = BACKUP_DAMAGED;
			break;
		}
		if (write_all(fd, r->msg.data + 1, r->msg.len - 1) == -1)
			rc = fail(why, "cannot write", path);
		got += r->msg.len - 1;
	}
	if (rc == 0 && (fsync(fd) == -1 || close(fd) == -1))
		return fail(why, "cannot write", path);
	if (rc != 0)
		close(fd);
	return rc;
}

/* The whole stream into dir: 0 only when every message and the final tag checked and every file came. */
static int
read_backup(struct reader *r, const char *passphrase, const char *dir, struct buf *why)
{
	unsigned char	key[SEAL_KEY_LEN], seen[16];
	uint64_t	ops, mem;
	ssize_t		k;
	int		i, rc;

	memset(seen, 0, sizeof(seen));
	if ((k = read_full(r->fd, r->hdr, sizeof(r->hdr))) == -1)
		return -1;
	if (k < 9 || memcmp(r->hdr, MAGIC, 8) != 0 || r->hdr[8] != VERSION)
		return BACKUP_NOT_BACKUP;
	if (k != sizeof(r->hdr))
		return BACKUP_TRUNCATED;
	ops = buf_be64_get(r->hdr + 9);
	mem = buf_be64_get(r->hdr + 17);
	if (ops < 1 || ops > OPS_MAX || mem < 8192 || mem > MEM_MAX)
		return BACKUP_DAMAGED;
	if (seal_password_key(passphrase, r->hdr + 25, ops, (size_t)mem, key) == -1) {
		buf_puts(why, "cannot derive the key from the passphrase (out of memory?)");
		return -1;
	}
	rc = seal_stream_pull_init(&r->st, key, r->hdr + HEADER_LEN - SEAL_STREAM_HEADER_LEN) == 0 ? 0 : -1;
	seal_wipe(key, sizeof(key));
	r->first = 1;
	while (rc == 0 && (rc = pull(r)) == 0 && !r->ended)
		rc = r->msg.data[0] == M_FILE ? pull_file(r, dir, seen, why) : BACKUP_DAMAGED;
	if (rc == 0 && read_full(r->fd, key, 1) != 0)
		rc = BACKUP_DAMAGED;	/* bytes after the end */
	for (i = 0; rc == 0 && backup_members[i] != NULL; i++)
		if (!seen[i]) {
			buf_printf(why, "%s is missing from the backup", backup_members[i]);
			rc = BACKUP_DAMAGED;
		}
	return rc;
}

/* 1 when dir does not exist, 0 when it is an empty directory, -1 otherwise (something is there). */
static int
fresh_target(const char *dir)
{
	DIR		*d = opendir(dir);
	struct dirent	*e;
	int		 n = 0;

	if (d == NULL)
		return errno == ENOENT ? 1 : -1;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n == 0 ? 0 : -1;
}

/* The verified files from tmp into target (which is new: tmp becomes it; or empty: its parts move in). */
static int
move_in(const char *tmp, const char *target, int is_new, struct buf *why)
{
	static const char *const parts[] = { "db", "keys" };
	char	from[2048], to[2048];
	size_t	i;

	if (is_new) {
		if (rename(tmp, target) == -1)
			return fail(why, "cannot move the restored files to", target);
		return chmod(target, 0750) == 0 ? 0 : fail(why, "cannot chmod", target);
	}
	for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		if (join(from, sizeof(from), tmp, parts[i]) == -1 || join(to, sizeof(to), target, parts[i]) == -1 ||
		    rename(from, to) == -1)
			return fail(why, "cannot move the restored files to", to);
	}
	return 0;
}

int
backup_restore(const char *in, const char *passphrase, const char *target, struct buf *why)
{
	struct reader	 r;
	char		 tmp[2048], parent[1024], *slash;
	int		 is_new, rc = -1;

	if ((is_new = fresh_target(target)) == -1) {
		buf_printf(why, "%s is not empty: a restore goes into a new or empty directory", target);
		return BACKUP_NOT_EMPTY;
	}
	memset(&r, 0, sizeof(r));
	buf_init(&r.box);
	buf_init(&r.msg);
	if ((r.fd = open(in, O_RDONLY | O_CLOEXEC)) == -1)
		return fail(why, "cannot read", in);
	/* Beside the target, on its file system, so that the verified files move in with a rename. */
	snprintf(parent, sizeof(parent), "%s", target);
	while ((slash = strrchr(parent, '/')) != NULL && slash[1] == '\0')
		*slash = '\0';
	if ((slash = strrchr(parent, '/')) != NULL)
		slash[slash == parent ? 1 : 0] = '\0';
	else
		snprintf(parent, sizeof(parent), ".");
	snprintf(tmp, sizeof(tmp), "%s/.restore.XXXXXX", parent);
	if (mkdtemp(tmp) == NULL) {
		fail(why, "cannot make a temporary directory", tmp);
		goto done;
	}
	if ((rc = read_backup(&r, passphrase, tmp, why)) == 0)
		rc = move_in(tmp, target, is_new, why);
	if (rc != 0 || !is_new)
		remove_tree(tmp);
done:
	close(r.fd);
	seal_stream_wipe(&r.st);
	buf_wipe(&r.msg);
	buf_free(&r.box);
	return rc;
}
