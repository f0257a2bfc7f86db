#include "datadir.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

/* A directory at path that the program can read (and write when asked) and nobody else can write. */
static int
dir_ok(const char *what, const char *path, int writable)
{
	struct stat sb;

	if (stat(path, &sb) == -1) {
		log_msg(LOG_ERR, "%s %s: %s%s", what, path, strerror(errno),
		    errno == ENOENT ? " (formctl init makes a data directory)" : "");
		return -1;
	}
	if (!S_ISDIR(sb.st_mode)) {
		log_msg(LOG_ERR, "%s %s is not a directory", what, path);
		return -1;
	}
	if (access(path, writable ? R_OK | W_OK | X_OK : R_OK | X_OK) == -1) {
		log_msg(LOG_ERR, "%s %s: %s (this program runs as uid %u)", what, path, strerror(errno),
		    (unsigned)geteuid());
		return -1;
	}
	if (sb.st_mode & S_IWOTH) {
		log_msg(LOG_ERR, "%s %s: mode %04o lets any user change what is in it: chmod o-w it", what, path,
		    (unsigned)(sb.st_mode & 07777));
		return -1;
	}
	return 0;
}

int
datadir_check(const char *dir)
{
	struct stat	sb;
	char		path[1024];

	if (dir_ok("data directory", dir, 0) == -1)
		return -1;
	snprintf(path, sizeof(path), "%s/db", dir);
	if (dir_ok("database directory", path, 1) == -1)
		return -1;
	snprintf(path, sizeof(path), "%s/keys", dir);
	if (dir_ok("key directory", path, 0) == -1)
		return -1;
	snprintf(path, sizeof(path), "%s/db/platform.sqlite", dir);
	if (stat(path, &sb) == -1 || access(path, R_OK | W_OK) == -1) {
		log_msg(LOG_ERR, "database %s: %s%s", path, strerror(errno),
		    errno == ENOENT ? " (run formctl init)" : "");
		return -1;
	}
	if (sb.st_mode & S_IRWXO) {
		log_msg(LOG_ERR, "database %s: mode %04o lets other users read or change it: chmod o-rwx it", path,
		    (unsigned)(sb.st_mode & 07777));
		return -1;
	}
	return 0;
}

int
datadir_config(const char *what, const char *dir)
{
	return dir_ok(what, dir, 0);
}
