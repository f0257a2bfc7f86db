#include "http.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "seal.h"

void
http_init(struct http_req *r)
{
	memset(r, 0, sizeof(*r));
	buf_init(&r->headers);
	buf_init(&r->out);
	http_reset(r);
}

void
http_reset(struct http_req *r)
{
	if (r->body != NULL) {
		seal_wipe(r->body, r->body_len);
		free(r->body);
	}
	buf_reset(&r->headers);
	buf_reset(&r->out);
	r->fcgi = NULL;
	r->method = HTTP_OTHER;
	r->path = r->query = r->cookie = r->accept_language = r->content_type = r->remote_addr = "";
	r->https = 0;
	r->streamed = 0;
	r->body = NULL;
	r->body_len = 0;
	r->status = 200;
}

static const char *
param(FCGX_Request *f, const char *name)
{
	const char *v = FCGX_GetParam(name, f->envp);

	return v != NULL ? v : "";
}

static enum http_method
method_of(const char *m)
{
	if (strcmp(m, "GET") == 0)
		return HTTP_GET;
	if (strcmp(m, "HEAD") == 0)
		return HTTP_HEAD;
	if (strcmp(m, "POST") == 0)
		return HTTP_POST;
	return HTTP_OTHER;
}

/* CONTENT_LENGTH as a size; -1 when malformed. Absent means 0. */
static long long
content_length(const char *s)
{
	char		*end;
	long long	 n;

	if (*s == '\0')
		return 0;
	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	n = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	return n;
}

static int
read_body(struct http_req *r, size_t len)
{
	int got;

	if ((r->body = malloc(len + 1)) == NULL)
		return 500;
	got = len > 0 ? FCGX_GetStr(r->body, (int)len, r->fcgi->in) : 0;
	if (got < 0 || (size_t)got != len) {
		seal_wipe(r->body, len);
		free(r->body);
		r->body = NULL;
		return 400;
	}
	r->body[len] = '\0';
	r->body_len = len;
	return 0;
}

int
http_read(struct http_req *r, FCGX_Request *f, size_t maxbody)
{
	long long len;

	r->fcgi = f;
	r->method = method_of(param(f, "REQUEST_METHOD"));
	r->path = param(f, "DOCUMENT_URI");
	r->query = param(f, "QUERY_STRING");
	r->cookie = param(f, "HTTP_COOKIE");
	r->accept_language = param(f, "HTTP_ACCEPT_LANGUAGE");
	r->content_type = param(f, "CONTENT_TYPE");
	r->remote_addr = param(f, "REMOTE_ADDR");
	r->https = strcmp(param(f, "HTTPS"), "on") == 0;
	if (*r->path != '/')
		return 400;
	if ((len = content_length(param(f, "CONTENT_LENGTH"))) < 0)
		return 400;
	if ((unsigned long long)len > maxbody || len > INT_MAX)
		return 413;
	if (r->method != HTTP_POST)
		return 0;
	return read_body(r, (size_t)len);
}

static int
header_safe(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s == '\r' || *s == '\n')
			return 0;
	return 1;
}

int
http_header(struct http_req *r, const char *name, const char *value)
{
	if (!header_safe(name) || !header_safe(value) || strchr(name, ':') != NULL)
		return -1;
	buf_puts(&r->headers, name);
	buf_puts(&r->headers, ": ");
	buf_puts(&r->headers, value);
	buf_puts(&r->headers, "\r\n");
	return r->headers.oom ? -1 : 0;
}

int
http_too_many(struct http_req *r, int seconds)
{
	char v[16];

	r->status = 429;
	snprintf(v, sizeof(v), "%d", seconds);
	return http_header(r, "Retry-After", v);
}

const char *
http_status_text(int status)
{
	switch (status) {
	case 200: return "OK";
	case 303: return "See Other";
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 410: return "Gone";
	case 413: return "Payload Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Content";
	case 429: return "Too Many Requests";
	case 503: return "Service Unavailable";
	default: return "Internal Server Error";
	}
}

void
http_allow(unsigned methods, char *out, size_t len)
{
	snprintf(out, len, "%s%s%s",
	    (methods & HTTP_GET) ? "GET, " : "",
	    (methods & HTTP_HEAD) ? "HEAD, " : "",
	    (methods & HTTP_POST) ? "POST, " : "");
	if (strlen(out) >= 2)
		out[strlen(out) - 2] = '\0';
}

/* v in decimal, written backwards from the end of d; returns where it starts. */
static const char *
decimal(unsigned long long v, char d[24])
{
	char *p = d + 23;

	*p = '\0';
	do
		*--p = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	return p;
}

/*
 * Status line and headers; length -1 for a streamed body of unknown length.
 * Piece by piece into libfcgi's stream buffer, which copies them: no
 * temporary buffer and no printf (libfcgi's own lacks %zu, and formatting
 * cost more than the rest of a cached page).
 */
static int
send_head(struct http_req *r, const char *content_type, long long length)
{
	char		 st[24], len[24];
	const char	*parts[] = {
		"Status: ", decimal((unsigned)r->status, st), " ", http_status_text(r->status),
		"\r\nContent-Type: ", content_type ? content_type : "text/html; charset=utf-8",
		/* Pages carry personal data or one-time tokens: never cache them. */
		"\r\nCache-Control: no-store\r\n",
		length >= 0 ? "Content-Length: " : "",
		length >= 0 ? decimal((unsigned long long)length, len) : "",
		length >= 0 ? "\r\n" : "",
		buf_cstr(&r->headers), "\r\n"
	};
	size_t		 i;

	for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		if (FCGX_PutS(parts[i], r->fcgi->out) < 0)
			return -1;
	return 0;
}

int
http_send(struct http_req *r, const char *content_type)
{
	if (r->streamed)
		return 0;
	if (r->out.oom || r->headers.oom) {
		r->status = 500;
		buf_reset(&r->out);
		buf_reset(&r->headers);
	}
	/* HEAD: the length GET would send (RFC 9110 9.3.2, 8.6), without the body. */
	if (send_head(r, content_type, (long long)r->out.len) == -1)
		return -1;
	if (r->method != HTTP_HEAD && r->out.len > 0 &&
	    FCGX_PutStr(r->out.data, (int)r->out.len, r->fcgi->out) < 0)
		return -1;
	return 0;
}

int
http_stream_begin(struct http_req *r, const char *content_type)
{
	r->streamed = 1;
	if (r->headers.oom)
		return -1;
	return send_head(r, content_type, -1);
}

int
http_stream_write(struct http_req *r, const void *p, size_t n)
{
	const char *c = p;

	while (n > 0) {
		int chunk = n > 65536 ? 65536 : (int)n;

		if (FCGX_PutStr(c, chunk, r->fcgi->out) != chunk)
			return -1;
		c += chunk;
		n -= (size_t)chunk;
	}
	return 0;
}
