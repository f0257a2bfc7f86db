/*
 * t.h: the whole unit-test harness.  Each tests/unit/test_*.c is one program;
 * each case is a function registered in main() with T_RUN.  Output is TAP
 * ("ok N - name" / "not ok N - name"), which tests/run.sh counts.
 * A case fails by returning from it after a failed T_CHECK.  A case that
 * cannot run here (a memory scan under a sanitizer) says so with T_SKIP:
 * "ok N - name # SKIP why", which tests/run.sh counts apart from passes.
 * T_ONLY=substring runs only the cases whose name contains it (the others are
 * not counted), so one case can be aimed at: T_ONLY=wrong_key build/tests/test_seal
 */
#ifndef T_H
#define T_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int t_n, t_failed, t_case_failed;
static const char *t_skip_why;

#define T_CHECK(cond) do {						\
	if (!(cond)) {							\
		printf("#   %s:%d: check failed: %s\n",			\
		    __FILE__, __LINE__, #cond);				\
		t_case_failed = 1;					\
		return;							\
	}								\
} while (0)

#define T_STREQ(a, b) do {						\
	const char *t_a_ = (a), *t_b_ = (b);				\
	if (t_a_ == NULL || t_b_ == NULL || strcmp(t_a_, t_b_) != 0) {	\
		printf("#   %s:%d: [%s] != [%s]\n", __FILE__, __LINE__,	\
		    t_a_ ? t_a_ : "(null)", t_b_ ? t_b_ : "(null)");	\
		t_case_failed = 1;					\
		return;							\
	}								\
} while (0)

/* Skip the rest of the case: why is a string literal. */
#define T_SKIP(why) do {						\
	t_skip_why = (why);						\
	return;								\
} while (0)

static int
t_selected(const char *name)
{
	const char *only = getenv("T_ONLY");

	return only == NULL || *only == '\0' || strstr(name, only) != NULL;
}

#define T_RUN(fn) do {							\
	if (!t_selected(#fn))						\
		break;							\
	t_case_failed = 0;						\
	t_skip_why = NULL;						\
	fn();								\
	t_n++;								\
	if (t_case_failed)						\
		t_failed++;						\
	printf("%sok %d - %s", t_case_failed ? "not " : "", t_n, #fn);	\
	if (t_skip_why != NULL && !t_case_failed)			\
		printf(" # SKIP %s", t_skip_why);			\
	printf("\n");							\
	fflush(stdout);							\
} while (0)

/* Reference vectors' fixed inputs: p[i] = i, the bytes Python writes as bytes(range(n)). */
static inline void
t_counting_bytes(unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (unsigned char)i;
}

/* Whether the n bytes at p are the lower-case hex text want. */
static inline int
t_hex_is(const unsigned char *p, size_t n, const char *want)
{
	char	two[3];
	size_t	i;

	if (strlen(want) != 2 * n)
		return 0;
	for (i = 0; i < n; i++) {
		snprintf(two, sizeof(two), "%02x", p[i]);
		if (memcmp(two, want + 2 * i, 2) != 0)
			return 0;
	}
	return 1;
}

#define T_DONE() (printf("1..%d\n", t_n), t_failed ? 1 : 0)

#endif
