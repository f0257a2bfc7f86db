/*
 * Fuzz harness for lib/payload.c.  Invariant: whatever payload_read()
 * accepts, json-c reads with the same answers (tests/unit/payload_check.h);
 * what it declines goes to json-c in the export, so declining is never wrong.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/payload_check.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*text;
	int	 read;

	if ((text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (!payload_agrees_with_json_c(text, &read))
		abort();
	free(text);
	return 0;
}
