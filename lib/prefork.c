#include "prefork.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"

#define MAX_WORKERS 16

static volatile sig_atomic_t got_hup, got_term, got_chld;

static void
on_signal(int sig)
{
	if (sig == SIGHUP)
		got_hup = 1;
	else if (sig == SIGCHLD)
		got_chld = 1;
	else
		got_term = 1;
}

static void
block_signals(int how)
{
	sigset_t s;

	sigemptyset(&s);
	sigaddset(&s, SIGHUP);
	sigaddset(&s, SIGTERM);
	sigaddset(&s, SIGINT);
	sigprocmask(how, &s, NULL);
}

/*
 * Wait, with signals let in only while waiting, until a connection is
 * pending or a signal came.  Signals stay blocked from accept() to the end
 * of the request: a reload must never cut a request libfcgi is reading
 * (an interrupted read there closes the connection: nginx answers 502).
 */
static int
connection_pending(int listen_fd)
{
	sigset_t	open;
	fd_set		rfds;

	sigemptyset(&open);
	FD_ZERO(&rfds);
	FD_SET(listen_fd, &rfds);
	return pselect(listen_fd + 1, &rfds, NULL, NULL, NULL, &open) > 0;
}

static int
worker(const struct prefork_ops *ops, void *arg, int listen_fd)
{
	FCGX_Request fr;

	block_signals(SIG_BLOCK);	/* let in only by pselect() */
	if (ops->start(arg) != 0)
		return 1;
	if (FCGX_Init() != 0 || FCGX_InitRequest(&fr, listen_fd, FCGI_FAIL_ACCEPT_ON_INTR) != 0)
		return 1;
	while (!got_term) {
		int pending = connection_pending(listen_fd);

		if (got_hup) {
			got_hup = 0;
			ops->reload(arg);
		}
		/* The socket is non-blocking: when another worker took the connection, accept fails at once. */
		if (!pending || got_term || FCGX_Accept_r(&fr) < 0)
			continue;
		ops->serve(arg, &fr);
		FCGX_Finish_r(&fr);
	}
	FCGX_Free(&fr, 1);
	ops->stop(arg);
	return 0;
}

static pid_t
spawn(const struct prefork_ops *ops, void *arg, int listen_fd)
{
	pid_t pid = fork();

	if (pid == 0) {
		signal(SIGCHLD, SIG_DFL);
		_exit(worker(ops, arg, listen_fd));
	}
	if (pid == -1)
		log_msg(LOG_ERR, "fork: %s", strerror(errno));
	return pid;
}

static void
signal_all(pid_t *pids, int n, int sig)
{
	int i;

	for (i = 0; i < n; i++)
		if (pids[i] > 0)
			kill(pids[i], sig);
}

/* Replace workers that died; a worker that dies at once is not restarted in a tight loop. */
static void
reap(const struct prefork_ops *ops, void *arg, int listen_fd, pid_t *pids, int n)
{
	pid_t	pid;
	int	i, status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (i = 0; i < n; i++) {
			if (pids[i] != pid)
				continue;
			log_msg(LOG_ERR, "worker %ld ended (status %d); restarting", (long)pid, status);
			sleep(1);
			pids[i] = spawn(ops, arg, listen_fd);
		}
	}
}

static int
master(const struct prefork_ops *ops, void *arg, int listen_fd, int nworkers)
{
	pid_t		 pids[MAX_WORKERS];
	sigset_t	 empty;
	int		 i, status;

	sigemptyset(&empty);
	for (i = 0; i < nworkers; i++)
		pids[i] = spawn(ops, arg, listen_fd);
	while (!got_term) {
		sigsuspend(&empty);
		if (got_hup) {
			got_hup = 0;
			signal_all(pids, nworkers, SIGHUP);
		}
		if (got_chld && !got_term) {
			got_chld = 0;
			reap(ops, arg, listen_fd, pids, nworkers);
		}
	}
	signal_all(pids, nworkers, SIGTERM);
	while (wait(&status) > 0)
		;
	return 0;
}

static void
install_handlers(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: a signal must interrupt accept() so idle workers reload at once. */
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

int
prefork_run(const char *socket_path, int nworkers, const struct prefork_ops *ops, void *arg)
{
	int fd, rc;

	if (nworkers < 1 || nworkers > MAX_WORKERS)
		return -1;
	block_signals(SIG_BLOCK);
	install_handlers();
	unlink(socket_path);
	if ((fd = FCGX_OpenSocket(socket_path, 128)) < 0) {
		log_msg(LOG_ERR, "cannot listen on %s", socket_path);
		return -1;
	}
	/* Workers wait in pselect(), then accept: a lost race must not block (see connection_pending). */
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == -1) {
		log_msg(LOG_ERR, "cannot make %s non-blocking: %s", socket_path, strerror(errno));
		return -1;
	}
	/* nginx's workers may run as another user: they only need to connect. */
	if (chmod(socket_path, 0666) == -1)
		log_msg(LOG_WARNING, "chmod %s: %s", socket_path, strerror(errno));
	log_msg(LOG_INFO, "listening on %s with %d workers", socket_path, nworkers);
	block_signals(SIG_UNBLOCK);
	rc = master(ops, arg, fd, nworkers);
	unlink(socket_path);
	return rc;
}
