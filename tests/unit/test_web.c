/*
 * web: the pure parts shared by both programs.  web_back_ok decides where
 * the switch of language (/lang?to=en&back=...) may send a reader: only to
 * a path of ours, never to another host (an open redirect).
 */
#include <string.h>

#include "t.h"
#include "web.h"

static int
ok(const char *s)
{
	return web_back_ok(s, strlen(s));
}

static void
back_accepts_our_paths(void)
{
	T_CHECK(ok("/"));
	T_CHECK(ok("/f/hiking"));
	T_CHECK(ok("/f/zero-waste_day.v2"));
	T_CHECK(ok("/status"));
	T_CHECK(ok("/f/a/"));
}

/* Another host, a scheme, a way out of the path, or bytes a header would carry further. */
static void
back_refuses_other_places(void)
{
	static const char *const bad[] = {
		"", "f/hiking", "//evil.example/", "///evil.example", "/f//x", "https://evil.example/",
		"javascript:alert(1)", "/\\evil.example", "\\\\evil.example", "/f/../x", "/..", "/%2F%2Fevil.example",
		"/f/x?y=1", "/f/x#top", "/f/x y", "/f/x\r\nSet-Cookie: a=1", "/f/\xe3\x81\x82", "/f/x;a",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (ok(bad[i])) {
			printf("#   accepted: \"%s\"\n", bad[i]);
			T_CHECK(0);
		}
}

/* The length given counts: a NUL inside, or a byte past it, is not looked past. */
static void
back_length_and_nul(void)
{
	char long_path[300];

	T_CHECK(!web_back_ok("/f/a\0//evil.example", 19));
	T_CHECK(web_back_ok("/f/a//evil.example", 4));
	T_CHECK(!web_back_ok("/f/a", 0));
	memset(long_path, 'a', sizeof(long_path));
	long_path[0] = '/';
	T_CHECK(web_back_ok(long_path, 256));
	T_CHECK(!web_back_ok(long_path, 257));
}

int
main(void)
{
	T_RUN(back_accepts_our_paths);
	T_RUN(back_refuses_other_places);
	T_RUN(back_length_and_nul);
	return T_DONE();
}
