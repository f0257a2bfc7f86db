/*
 * Fuzz msgcat_load_mem (a .mo file, a binary format whose offsets point
 * anywhere).  Any input is either refused, or gives a catalogue whose every
 * id is found again by a lookup and whose texts are NUL-terminated UTF-8
 * inside its own copy; never a read outside the input, a crash or a leak.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistr.h>

#include "msgcat.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check(int ok)
{
	if (!ok)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct msgcat	*c;
	const char	*id, *text, *prev = NULL;
	size_t		 i;

	if ((c = msgcat_load_mem("fuzz.mo", data, size, NULL)) == NULL)
		return 0;
	for (i = 0; (id = msgcat_id(c, i)) != NULL; i++) {
		check(*id != '\0' && u8_check((const uint8_t *)id, strlen(id)) == NULL);
		check(prev == NULL || strcmp(prev, id) < 0);
		check((text = msgcat_get(c, id)) != NULL && *text != '\0');
		check(u8_check((const uint8_t *)text, strlen(text)) == NULL);
		prev = id;
	}
	check(i == msgcat_count(c));
	check(msgcat_get(c, "") == NULL);
	msgcat_free(c);
	return 0;
}
