/*
 * fault_fs.so: an LD_PRELOAD shim for tests that makes writes to the
 * platform's database fail as a full disk (ENOSPC) or a read-only file
 * system (EROFS) would, while the file named by $FAULT_FS_TRIGGER exists and
 * holds "enospc" or "erofs".  Only descriptors whose path contains
 * "platform.sqlite" (the database, its WAL and journal) are affected, so the
 * rest of the process works normally.  While "enospc" is on, statvfs() of
 * any path says no block is free, as a full disk's would (GET /health).
 * It exists because a real full disk
 * or read-only mount needs privileges a test machine may not grant.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <sys/types.h>
#include <unistd.h>

static int
fault_for(int fd)
{
	const char	*trigger = getenv("FAULT_FS_TRIGGER");
	char		 link[64], path[4096], mode[16];
	ssize_t		 n;
	FILE		*f;

	if (trigger == NULL || (f = fopen(trigger, "r")) == NULL)
		return 0;
	n = (ssize_t)fread(mode, 1, sizeof(mode) - 1, f);
	fclose(f);
	mode[n > 0 ? n : 0] = '\0';
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	if ((n = readlink(link, path, sizeof(path) - 1)) <= 0)
		return 0;
	path[n] = '\0';
	if (strstr(path, "platform.sqlite") == NULL)
		return 0;
	return strncmp(mode, "erofs", 5) == 0 ? EROFS : ENOSPC;
}

#define WRAP(ret, name, params, args, fd)				\
ret name params								\
{									\
	static ret (*real) params;					\
	int e = fault_for(fd);						\
									\
	if (e != 0) {							\
		errno = e;						\
		return -1;						\
	}								\
	if (real == NULL)						\
		*(void **)&real = dlsym(RTLD_NEXT, #name);		\
	return real args;						\
}

WRAP(ssize_t, write, (int fd, const void *buf, size_t n), (fd, buf, n), fd)
WRAP(ssize_t, pwrite, (int fd, const void *buf, size_t n, off_t off), (fd, buf, n, off), fd)
WRAP(ssize_t, pwrite64, (int fd, const void *buf, size_t n, off_t off), (fd, buf, n, off), fd)
WRAP(int, fsync, (int fd), (fd), fd)
WRAP(int, fdatasync, (int fd), (fd), fd)
WRAP(int, ftruncate, (int fd, off_t len), (fd, len), fd)

/* The trigger's mode is "enospc" (fault_for() needs a descriptor: it checks the path). */
static int
disk_full(void)
{
	const char	*trigger = getenv("FAULT_FS_TRIGGER");
	char		 mode[8] = "";
	FILE		*f;

	if (trigger == NULL || (f = fopen(trigger, "r")) == NULL)
		return 0;
	if (fgets(mode, sizeof(mode), f) == NULL)
		mode[0] = '\0';
	fclose(f);
	return strncmp(mode, "enospc", 6) == 0;
}

int
statvfs(const char *path, struct statvfs *sv)
{
	static int (*real)(const char *, struct statvfs *);
	int rc;

	if (real == NULL)
		*(void **)&real = dlsym(RTLD_NEXT, "statvfs");
	if ((rc = real(path, sv)) == 0 && disk_full())
		sv->f_bfree = sv->f_bavail = 0;
	return rc;
}
