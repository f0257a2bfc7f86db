/*
 * slots: at most n holders at once across processes, without waiting
 * (staff's workers bound the Argon2id runs with it).  Each slot is a lock
 * on one byte of a lock file, an open file description lock taken by the
 * process that opened the file itself; the kernel drops it when that
 * process ends, so a worker that dies while hashing leaks no slot.  Every
 * process opens the file on its own: descriptions inherited through fork
 * would share their locks.
 */
#ifndef SLOTS_H
#define SLOTS_H

struct slots {
	int	fd;
	int	n;
	int	held;	/* the slot this process holds, or -1 */
};

int	slots_open(struct slots *s, const char *path, int n);
/* 1: a slot is held until slots_give; 0: all n are taken; -1 error. */
int	slots_take(struct slots *s);
/* Give back the slot held, if any. */
void	slots_give(struct slots *s);
void	slots_close(struct slots *s);

#endif
