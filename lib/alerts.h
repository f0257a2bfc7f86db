/*
 * alerts: what a reviewer must look at in the audit log (lib/audit.h), found
 * by rules rather than read line by line:
 *   export_large      an export of more rows than a threshold
 *   export_off_hours  an export outside office hours (JST; weekends all day)
 *   views_burst       many applications opened by one person in a short time
 *   login_failures    repeated failed logins for one account or from one address
 *   key_operation     grants, revocations, rotations, retired keys, new or
 *                     reset accounts, restores: each one
 *   denied            a request for something outside the member's sections
 * A burst is reported once, when it reaches its threshold, then again only
 * after a quiet window.  No personal data: entries hold logins, receipt
 * numbers, procedure ids and addresses, and so do the alerts.
 */
#ifndef ALERTS_H
#define ALERTS_H

#include <time.h>

#include "db.h"

struct alerts_conf {
	long	export_rows;		/* an export of more rows than this */
	int	office_start, office_end;	/* minutes after JST midnight, Monday to Friday */
	int	views, views_window;	/* this many views by one person within seconds */
	int	failures, failures_window;	/* failed logins per account or address within seconds */
};
void	alerts_defaults(struct alerts_conf *c);
/* "08:30-18:00" into c; -1 when it is not two times, the first before the second. */
int	alerts_office_hours(struct alerts_conf *c, const char *spec);

struct alert {
	const char	*kind;		/* one of the names above */
	time_t		 at;
	const char	*actor;
	const char	*target;
	const char	*detail;	/* English, for the admin; alerts_label() names the kind in Japanese */
};
/* Each alert in [from, to), in the log's order.  fn's pointers are valid during the call only. */
int	alerts_scan(struct db *db, const struct alerts_conf *c, time_t from, time_t to,
	    int (*fn)(const struct alert *a, void *arg), void *arg);
const char *alerts_label(const char *kind);

#endif
