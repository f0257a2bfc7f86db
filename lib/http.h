/*
 * http: the plumbing under the request gate (gate.h) — one per-request
 * struct read from libfcgi, and the one response writer.  The struct owns
 * everything it points to; http_reset() wipes and clears it between
 * FastCGI iterations so nothing leaks from one request into the next.
 */
#ifndef HTTP_H
#define HTTP_H

#include <fcgiapp.h>
#include <stddef.h>

#include "buf.h"

enum http_method {
	HTTP_GET = 1,
	HTTP_HEAD = 2,
	HTTP_POST = 4,
	HTTP_OTHER = 8
};

struct http_req {
	FCGX_Request	*fcgi;
	enum http_method method;
	const char	*path;		/* nginx's normalised $uri */
	const char	*query;		/* "" when none */
	const char	*cookie;	/* Cookie header, "" when none */
	const char	*accept_language;	/* Accept-Language header, "" when none */
	const char	*content_type;
	const char	*remote_addr;
	int		 https;
	int		 streamed;	/* the response went out with http_stream_begin */
	char		*body;		/* POST body, NUL-terminated, wiped on reset */
	size_t		 body_len;

	int		 status;	/* response */
	struct buf	 headers;	/* extra "Name: value\r\n" lines */
	struct buf	 out;		/* body */
};

void	http_init(struct http_req *r);
void	http_reset(struct http_req *r);
/*
 * Read the request's parameters and body (at most maxbody bytes).  Returns 0,
 * or the HTTP status to answer with: 413 body too large, 400 unreadable.
 */
int	http_read(struct http_req *r, FCGX_Request *f, size_t maxbody);
/* Add a response header; refuses names or values with CR, LF or NUL. */
int	http_header(struct http_req *r, const char *name, const char *value);
/* 429 with Retry-After: seconds (a limit reached). */
int	http_too_many(struct http_req *r, int seconds);
/* Send status, headers and body (no body for HEAD).  Content-Type is HTML unless given. */
int	http_send(struct http_req *r, const char *content_type);
/*
 * A streamed response (exports): status and headers at once, no
 * Content-Length, then the body in pieces.  http_send() is then a no-op.
 */
int	http_stream_begin(struct http_req *r, const char *content_type);
int	http_stream_write(struct http_req *r, const void *p, size_t n);
const char *http_status_text(int status);
/* "GET, HEAD, POST" for the Allow header. */
void	http_allow(unsigned methods, char *out, size_t len);

#endif
