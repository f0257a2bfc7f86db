/*
 * Fuzz lang_accept (a browser's Accept-Language header) and lang_tag_ok.
 * Any header picks one of the tags or none; one of the tags alone picks
 * itself; one more element of weight 0 changes nothing; a tag lang_tag_ok
 * accepts is short and has only the characters of tags; never a crash or a
 * read past the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lang.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char *const tags[] = { "ja", "en", "zh-hant", "ja-x-easy", "ko" };
#define NTAGS (sizeof(tags) / sizeof(tags[0]))

static void
check(int ok)
{
	if (!ok)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char zero[] = ",*;q=0";
	char	*h;
	size_t	 i;
	int	 best;

	if ((h = malloc(size + sizeof(zero))) == NULL)
		return 0;
	memcpy(h, data, size);
	h[size] = '\0';
	best = lang_accept(h, tags, NTAGS);
	check(best >= -1 && best < (int)NTAGS);
	check(lang_accept(h, tags, 0) == -1);
	for (i = 0; i < NTAGS; i++)
		if (strcmp(h, tags[i]) == 0)
			check(best == (int)i);
	strcat(h, zero);
	check(lang_accept(h, tags, NTAGS) == best);
	if (lang_tag_ok((const char *)data, size)) {
		check(size >= 2 && size <= LANG_TAG_MAX);
		for (i = 0; i < size; i++)
			check(data[i] == '-' || (data[i] >= 'a' && data[i] <= 'z') || (data[i] >= 'A' && data[i] <= 'Z') ||
			    (data[i] >= '0' && data[i] <= '9'));
	}
	free(h);
	return 0;
}
