/* Unit tests for lib/buf.c's array growth (the byte buffer itself is exercised by every other test). */
#include <stdint.h>
#include <stdlib.h>

#include "buf.h"
#include "t.h"

static void
array_doubles_when_full(void)
{
	int	*a = NULL, *p;
	size_t	 cap = 0, n;

	for (n = 0; n < 20; n++) {
		T_CHECK((p = buf_grow_array(a, n, &cap, sizeof(*a), 4)) != NULL);
		a = p;
		a[n] = (int)n;
	}
	T_CHECK(cap == 32 && a[19] == 19 && a[0] == 0);
	T_CHECK(buf_grow_array(a, 20, &cap, sizeof(*a), 4) == a && cap == 32);	/* room left: unchanged */
	free(a);
}

static void
array_overflow_refused(void)
{
	char	one = 0;
	size_t	cap = SIZE_MAX / 2;

	T_CHECK(buf_grow_array(&one, cap, &cap, 2, 4) == NULL && cap == SIZE_MAX / 2);
}

int
main(void)
{
	T_RUN(array_doubles_when_full);
	T_RUN(array_overflow_refused);
	return T_DONE();
}
