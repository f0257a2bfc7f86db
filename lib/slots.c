#define _GNU_SOURCE	/* F_OFD_SETLK */
#include "slots.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

int
slots_open(struct slots *s, const char *path, int n)
{
	s->n = n;
	s->held = -1;
	if ((s->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) == -1) {
		log_msg(LOG_ERR, "%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

static int
lock_byte(int fd, int i, short type)
{
	struct flock fl;

	memset(&fl, 0, sizeof(fl));
	fl.l_type = type;
	fl.l_whence = SEEK_SET;
	fl.l_start = i;
	fl.l_len = 1;
	return fcntl(fd, F_OFD_SETLK, &fl);
}

int
slots_take(struct slots *s)
{
	int i;

	if (s->held >= 0)
		return 1;
	for (i = 0; i < s->n; i++) {
		if (lock_byte(s->fd, i, F_WRLCK) == 0) {
			s->held = i;
			return 1;
		}
		if (errno != EAGAIN && errno != EACCES) {
			log_msg(LOG_ERR, "slot lock: %s", strerror(errno));
			return -1;
		}
	}
	return 0;
}

void
slots_give(struct slots *s)
{
	if (s->held >= 0 && lock_byte(s->fd, s->held, F_UNLCK) == -1)
		log_msg(LOG_ERR, "slot unlock: %s", strerror(errno));
	s->held = -1;
}

void
slots_close(struct slots *s)
{
	slots_give(s);
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}
