/*
 * Unit tests for lib/slots.c: a bound across processes, and a slot held by
 * a process that dies comes back.  Each struct slots opened here is its own
 * open file description, as each worker's is.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "slots.h"
#include "t.h"

static char dir[] = "/tmp/test_unit_slots.XXXXXX";
static char path[128];

static void
bound_holds(void)
{
	struct slots a, b, c;

	T_CHECK(slots_open(&a, path, 2) == 0 && slots_open(&b, path, 2) == 0 && slots_open(&c, path, 2) == 0);
	T_CHECK(slots_take(&a) == 1 && slots_take(&b) == 1);
	T_CHECK(slots_take(&c) == 0);
	T_CHECK(slots_take(&a) == 1);	/* a holder asking again still holds one, not two */
	slots_give(&a);
	T_CHECK(slots_take(&c) == 1);
	T_CHECK(slots_take(&a) == 0);
	slots_give(&a);			/* giving what is not held changes nothing */
	T_CHECK(slots_take(&a) == 0);
	slots_close(&b);
	T_CHECK(slots_take(&a) == 1);
	slots_close(&a);
	slots_close(&c);
}

/* A worker killed while hashing: the kernel drops its lock, and the slot is free again. */
static void
dead_holder_frees_its_slot(void)
{
	struct slots	s;
	int		fds[2], status;
	char		ok = 0;
	pid_t		pid;

	T_CHECK(pipe(fds) == 0);
	if ((pid = fork()) == 0) {
		struct slots mine;

		close(fds[0]);
		if (slots_open(&mine, path, 1) == 0 && slots_take(&mine) == 1 && write(fds[1], "1", 1) == 1)
			pause();
		_exit(1);
	}
	close(fds[1]);
	T_CHECK(pid > 0 && read(fds[0], &ok, 1) == 1 && ok == '1');
	close(fds[0]);
	T_CHECK(slots_open(&s, path, 1) == 0);
	T_CHECK(slots_take(&s) == 0);
	T_CHECK(kill(pid, SIGKILL) == 0 && waitpid(pid, &status, 0) == pid);
	T_CHECK(slots_take(&s) == 1);
	slots_close(&s);
}

int
main(void)
{
	int rc;

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof(path), "%s/slots.lock", dir);
	T_RUN(bound_holds);
	T_RUN(dead_holder_frees_its_slot);
	rc = T_DONE();
	(void)unlink(path);
	(void)rmdir(dir);
	return rc;
}
