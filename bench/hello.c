/*
 * hello: the bare FastCGI program the benchmark compares apply with — the
 * same libfcgi, the same process model (lib/prefork: master + N workers),
 * one fixed small page.  Not part of the product.
 * usage: hello --socket PATH [--workers N]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fcgiapp.h>

#include "log.h"
#include "prefork.h"

static const char page[] = "Status: 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
    "Content-Length: 58\r\n\r\n<!DOCTYPE html><html lang=\"ja\"><title>hello</title></html>";

static int	start(void *arg) { (void)arg; return 0; }
static void	reload(void *arg) { (void)arg; }
static void	stop(void *arg) { (void)arg; }

static void
serve(void *arg, FCGX_Request *fr)
{
	(void)arg;
	FCGX_PutStr(page, (int)sizeof(page) - 1, fr->out);
}

int
main(int argc, char *argv[])
{
	static const struct prefork_ops ops = { start, reload, serve, stop, NULL, NULL };
	const char	*sock = NULL;
	int		 i, workers = 2;

	log_init("hello");
	for (i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--socket") == 0)
			sock = argv[i + 1];
		else if (strcmp(argv[i], "--workers") == 0)
			workers = atoi(argv[i + 1]);
	}
	if (sock == NULL) {
		fprintf(stderr, "usage: hello --socket PATH [--workers N]\n");
		return 2;
	}
	return prefork_run(sock, workers, &ops, NULL) == 0 ? 0 : 1;
}
