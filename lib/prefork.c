#define _GNU_SOURCE	/* ppoll() */
#include "prefork.h"

#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <poll.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define MAX_WORKERS 64

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
 * Run the handlers of signals that came while a request was being served.
 * epoll_pwait() and ppoll() deliver them only when they return EINTR: when
 * a request is already waiting they return it and leave the signal pending,
 * and a worker would serve that request with the forms of before a reload
 * it was told of earlier.
 */
static void
take_pending_signals(void)
{
	sigset_t	pending;

	if (sigpending(&pending) == 0 && (sigismember(&pending, SIGHUP) ||
	    sigismember(&pending, SIGTERM) || sigismember(&pending, SIGINT))) {
		block_signals(SIG_UNBLOCK);
		block_signals(SIG_BLOCK);
	}
}

/*
 * Wait, with signals let in only while waiting, until a connection is
 * pending or a signal came.  Signals stay blocked from accept() to the end
 * of the request: a reload must never cut a request libfcgi is reading
 * (an interrupted read there closes the connection: nginx answers 502).
 *
 * Each worker waits on an epoll instance of its own with EPOLLEXCLUSIVE:
 * a new connection wakes one idle worker, not all of them (with pselect()
 * every idle worker woke, raced for accept() and went back to sleep, which
 * cost more than serving a small request).
 */
static int
connection_pending(int epoll_fd)
{
	sigset_t		open;
	struct epoll_event	ev;

	sigemptyset(&open);
	return epoll_pwait(epoll_fd, &ev, 1, -1, &open) > 0;
}

/*
 * Wait, as connection_pending does, for the next request on a connection
 * nginx kept open (fastcgi_keep_conn): nginx sends it on the same socket,
 * not through the listening one.  End of file counts as ready: libfcgi then
 * closes the connection and the worker goes back to the listening socket.
 */
static int
kept_request_pending(int conn_fd)
{
	sigset_t	open;
	struct pollfd	pfd = { .fd = conn_fd, .events = POLLIN };

	sigemptyset(&open);
	return ppoll(&pfd, 1, NULL, &open) > 0;
}

/* The worker's epoll instance watching listen_fd, or -1. */
static int
listen_watch(int listen_fd)
{
	struct epoll_event	ev = { .events = EPOLLIN | EPOLLEXCLUSIVE };
	int			epoll_fd;

	if ((epoll_fd = epoll_create1(EPOLL_CLOEXEC)) == -1)
		return -1;
	ev.data.fd = listen_fd;
	if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, listen_fd, &ev) == -1) {
		close(epoll_fd);
		return -1;
	}
	return epoll_fd;
}

static int
worker(const struct prefork_ops *ops, void *arg, int listen_fd)
{
	FCGX_Request	fr;
	int		epoll_fd;

	block_signals(SIG_BLOCK);	/* let in only by epoll_pwait() */
	if ((epoll_fd = listen_watch(listen_fd)) == -1) {
		log_msg(LOG_ERR, "epoll: %s", strerror(errno));
		return 1;
	}
	if (ops->start(arg) != 0 || FCGX_Init() != 0 ||
	    FCGX_InitRequest(&fr, listen_fd, FCGI_FAIL_ACCEPT_ON_INTR) != 0) {
		close(epoll_fd);
		return 1;
	}
	while (!got_term) {
		int pending = fr.ipcFd >= 0 ? kept_request_pending(fr.ipcFd) : connection_pending(epoll_fd);

		take_pending_signals();
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
	close(epoll_fd);
	ops->stop(arg);
	return 0;
}

/*
 * In a new child: end with the master.  A master killed outright would
 * otherwise leave its children serving an unlinked socket for ever.
 */
static void
follow_master(pid_t master_pid)
{
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) == -1 || getppid() != master_pid)
		_exit(1);
}

/* The helper child's life: no listening socket, and deaf to reloads and Ctrl-C. */
static int
helper(const struct prefork_ops *ops, void *arg, int listen_fd)
{
	/*
	 * A name of its own, so an operator (and the crash test) can tell it
	 * from the workers; failing only loses the name.
	 */
	if (ops->helper_name != NULL)
		(void)prctl(PR_SET_NAME, ops->helper_name);
	close(listen_fd);
	signal(SIGHUP, SIG_IGN);
	signal(SIGINT, SIG_IGN);	/* Ctrl-C reaches the whole group: wait for the workers */
	signal(SIGTERM, SIG_DFL);	/* by then nobody waits for it; a transaction just rolls back */
	block_signals(SIG_UNBLOCK);
	return ops->helper(arg) == 0 ? 0 : 1;
}

/* A worker, or the helper when is_helper. */
static pid_t
spawn(const struct prefork_ops *ops, void *arg, int listen_fd, int is_helper)
{
	pid_t master_pid = getpid(), pid = fork();

	if (pid == 0) {
		follow_master(master_pid);
		signal(SIGCHLD, SIG_DFL);
		_exit(is_helper ? helper(ops, arg, listen_fd) : worker(ops, arg, listen_fd));
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

static time_t
uptime_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/*
 * Replace children that died: at once when they had been running (a
 * killed worker, a writer the workers wait for), after a pause when they
 * died within a second of starting, so that a broken start is not a tight
 * loop.  pids[0] is the helper's slot (0 when there is none).
 */
static void
reap(const struct prefork_ops *ops, void *arg, int listen_fd, pid_t *pids, time_t *born, int n)
{
	pid_t	pid;
	int	i, status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (i = 0; i < n; i++) {
			if (pids[i] != pid)
				continue;
			log_msg(LOG_ERR, "%s %ld ended (status %d); restarting", i == 0 ? "helper" : "worker",
			    (long)pid, status);
			if (uptime_now() - born[i] < 1)
				sleep(1);
			pids[i] = spawn(ops, arg, listen_fd, i == 0);
			born[i] = uptime_now();
		}
	}
}

static void
wait_for(pid_t *pids, int n)
{
	int i, status;

	for (i = 0; i < n; i++)
		if (pids[i] > 0)
			while (waitpid(pids[i], &status, 0) == -1 && errno == EINTR)
				;
}

static int
master(const struct prefork_ops *ops, void *arg, int listen_fd, int nworkers)
{
	pid_t		 pids[MAX_WORKERS + 1];	/* [0]: the helper */
	time_t		 born[MAX_WORKERS + 1];
	sigset_t	 empty;
	int		 i;

	sigemptyset(&empty);
	pids[0] = ops->helper != NULL ? spawn(ops, arg, listen_fd, 1) : 0;
	for (i = 1; i <= nworkers; i++)
		pids[i] = spawn(ops, arg, listen_fd, 0);
	for (i = 0; i <= nworkers; i++)
		born[i] = uptime_now();
	while (!got_term) {
		sigsuspend(&empty);
		if (got_hup) {
			got_hup = 0;
			signal_all(pids + 1, nworkers, SIGHUP);
		}
		if (got_chld && !got_term) {
			got_chld = 0;
			reap(ops, arg, listen_fd, pids, born, nworkers + 1);
		}
	}
	signal_all(pids + 1, nworkers, SIGTERM);
	wait_for(pids + 1, nworkers);
	signal_all(pids, 1, SIGTERM);
	wait_for(pids, 1);
	return 0;
}

static void
install_handlers(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: a signal must end an idle worker's wait so that it reloads at once. */
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/*
 * The socket file is made 0600 at bind (umask) and opened to the group
 * before listen(): until listen() nobody can connect at all, so there is no
 * instant in which a user outside the group could reach the program.
 */
int
prefork_listen(const char *path, const char *group, int backlog)
{
	struct sockaddr_un	 sa;
	struct group		*gr = NULL;
	mode_t			 old;
	int			 fd, rc;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		log_msg(LOG_ERR, "socket path too long: %s", path);
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (group != NULL && (gr = getgrnam(group)) == NULL) {
		log_msg(LOG_ERR, "socket group %s: no such group", group);
		return -1;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) == -1) {
		log_msg(LOG_ERR, "socket %s: %s", path, strerror(errno));
		return -1;
	}
	unlink(path);
	old = umask(0177);
	rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (rc == 0 && gr != NULL)
		rc = chown(path, (uid_t)-1, gr->gr_gid) == 0 && chmod(path, 0660) == 0 ? 0 : -1;
	if (rc == -1 || listen(fd, backlog) == -1) {
		log_msg(LOG_ERR, "cannot listen on %s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		return -1;
	}
	return fd;
}

int
prefork_run(const char *socket_path, const char *group, int nworkers, const struct prefork_ops *ops, void *arg)
{
	int fd, rc;

	if (nworkers < 1 || nworkers > MAX_WORKERS)
		return -1;
	block_signals(SIG_BLOCK);
	install_handlers();
	/* Non-blocking: workers wait in epoll_pwait(), then accept, and a lost race must not block. */
	if ((fd = prefork_listen(socket_path, group, 128)) == -1)
		return -1;
	log_msg(LOG_INFO, "listening on %s with %d workers", socket_path, nworkers);
	block_signals(SIG_UNBLOCK);
	rc = master(ops, arg, fd, nworkers);
	unlink(socket_path);
	return rc;
}
