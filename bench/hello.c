/*
 * hello: the bare FastCGI program the benchmark compares apply with — the
 * same libfcgi, the same process model (lib/prefork: master + N workers),
 * one fixed page.  With --pad N the page's body is N bytes long: as large as
 * the form page, it tells how much of the form's cost is only its size.
 * Not part of the product.
 * usage: hello --socket PATH [--socket-group GROUP] [--workers N] [--pad BYTES]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fcgiapp.h>

#include "log.h"
#include "prefork.h"

#define PAD_MAX	(64 * 1024)

static const char head[] = "Status: 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
    "Content-Length: %d\r\n\r\n";
static const char body[] = "<!DOCTYPE html><html lang=\"ja\"><title>hello</title></html>";

static char	page[PAD_MAX + 128];
static int	page_len;

static int	start(void *arg) { (void)arg; return 0; }
static void	reload(void *arg) { (void)arg; }
static void	stop(void *arg) { (void)arg; }

static void
serve(void *arg, FCGX_Request *fr)
{
	(void)arg;
	FCGX_PutStr(page, page_len, fr->out);
}

/* The whole response, made once: the body, then spaces up to pad bytes. */
static int
make_page(int pad)
{
	int body_len = pad > (int)sizeof(body) - 1 ? pad : (int)sizeof(body) - 1;
	int n = snprintf(page, sizeof(page), head, body_len);

	if (n < 0 || (size_t)n + (size_t)body_len > sizeof(page))
		return -1;
	memcpy(page + n, body, sizeof(body) - 1);
	memset(page + n + sizeof(body) - 1, ' ', (size_t)body_len - (sizeof(body) - 1));
	page_len = n + body_len;
	return 0;
}

int
main(int argc, char *argv[])
{
	static const struct prefork_ops ops = { start, reload, serve, stop, NULL, NULL };
	const char	*sock = NULL, *group = NULL;
	int		 i, workers = 2, pad = 0;

	log_init("hello");
	for (i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--socket") == 0)
			sock = argv[i + 1];
		else if (strcmp(argv[i], "--socket-group") == 0)
			group = argv[i + 1];
		else if (strcmp(argv[i], "--workers") == 0)
			workers = atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--pad") == 0)
			pad = atoi(argv[i + 1]);
	}
	if (sock == NULL || pad < 0 || pad > PAD_MAX || make_page(pad) == -1) {
		fprintf(stderr, "usage: hello --socket PATH [--socket-group GROUP] [--workers N] [--pad BYTES (at most %d)]\n", PAD_MAX);
		return 2;
	}
	return prefork_run(sock, group, workers, &ops, NULL) == 0 ? 0 : 1;
}
