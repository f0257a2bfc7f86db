/*
 * Fuzz harness for jn_lookup_code() (lib/jnorm.c): what residents type as a
 * receipt number (first byte even) or an inquiry key (odd) on /status.
 * Invariants: on success the output is only [0-9] (or [0-9A-Z]) and fits;
 * normalising the output again gives the same output (idempotent).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jnorm.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	out[24], again[24];
	int	digits;
	size_t	i;

	if (size < 1)
		return 0;
	digits = (data[0] & 1) == 0;
	if (jn_lookup_code((const char *)data + 1, size - 1, digits, out, sizeof(out)) != 0)
		return 0;
	for (i = 0; out[i] != '\0'; i++)
		if (!((out[i] >= '0' && out[i] <= '9') || (!digits && out[i] >= 'A' && out[i] <= 'Z')))
			abort();
	if (i >= sizeof(out))
		abort();
	if (jn_lookup_code(out, i, digits, again, sizeof(again)) != 0 || strcmp(out, again) != 0)
		abort();
	return 0;
}
