/*
 * prefork: the process model of our FastCGI programs.  A master opens the
 * socket and forks workers that accept on it; it restarts a worker that
 * dies (not in a tight loop).  SIGHUP makes every worker call ops->reload
 * between requests; SIGTERM or SIGINT lets each worker finish its request
 * and exit.  Signal state is process state and lives here, not in any
 * request.
 *
 * An optional helper child runs beside the workers (apply's batching
 * writer): restarted like a worker when it dies, deaf to SIGHUP and SIGINT,
 * and stopped with SIGTERM only after every worker has ended, so that no
 * worker loses the helper in the middle of a request.
 */
#ifndef PREFORK_H
#define PREFORK_H

#include <fcgiapp.h>

struct prefork_ops {
	int	(*start)(void *arg);	/* in each worker after fork; 0 to go on */
	void	(*reload)(void *arg);	/* on SIGHUP, between requests */
	void	(*serve)(void *arg, FCGX_Request *fr);	/* one request; prefork finishes it */
	void	(*stop)(void *arg);	/* worker exit: free, wipe keys */
	int	(*helper)(void *arg);	/* the helper child's whole life, or NULL for none */
	const char *helper_name;	/* the helper's process name (ps, pgrep -x; up to 15 bytes) */
};

/*
 * A listening unix socket at path (an old file there is replaced),
 * non-blocking and close-on-exec: mode 0600, or 0660 with group (a group
 * name: nginx's workers' group) when it is not NULL.  -1 (logged) on error.
 */
int	prefork_listen(const char *path, const char *group, int backlog);
/* Listen on socket_path as prefork_listen does and run until SIGTERM. */
int	prefork_run(const char *socket_path, const char *group, int nworkers, const struct prefork_ops *ops,
	    void *arg);

#endif
