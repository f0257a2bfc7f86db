/*
 * t_mem.h: looking for a secret or plaintext left in this process's
 * memory, for tests of wiping.  The needle is given as two halves, so that
 * the test's own copy of it, kept so, is never the whole needle.
 * Scanning reads freed and unused memory: not under a sanitizer or valgrind
 * (T_MEM_CAN_SCAN says whether it may run).
 */
#ifndef T_MEM_H
#define T_MEM_H

#include <stdio.h>
#include <string.h>

#include <valgrind/valgrind.h>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define T_MEM_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || __has_feature(memory_sanitizer)
#define T_MEM_SANITIZER 1
#endif
#endif
#ifndef T_MEM_SANITIZER
#define T_MEM_SANITIZER 0
#endif
#define T_MEM_CAN_SCAN	(!T_MEM_SANITIZER && !RUNNING_ON_VALGRIND)

/*
 * Whether head (hl bytes) followed by rest (rl bytes) stands anywhere in the
 * process's writable private memory, the stack only when with_stack (a
 * test's own locals, and libraries' stack copies, are there); -1 when the
 * maps cannot be read.
 */
static int
t_in_memory(const void *head, size_t hl, const void *rest, size_t rl, int with_stack)
{
	char	 line[512], perms[8], name[256];
	FILE	*f = fopen("/proc/self/maps", "r");
	int	 found = 0;

	if (f == NULL)
		return -1;
	while (!found && fgets(line, sizeof(line), f) != NULL) {
		unsigned long	 lo, hi;
		const char	*p, *end;

		name[0] = '\0';
		if (sscanf(line, "%lx-%lx %7s %*s %*s %*s %255s", &lo, &hi, perms, name) < 3 ||
		    strcmp(perms, "rw-p") != 0 || (name[0] != '\0' && name[0] != '[') ||
		    strcmp(name, "[vvar]") == 0 || strcmp(name, "[vsyscall]") == 0 ||
		    (!with_stack && strcmp(name, "[stack]") == 0))
			continue;
		for (p = (const char *)lo, end = (const char *)hi; !found && (size_t)(end - p) >= hl + rl &&
		    (p = memchr(p, *(const char *)head, (size_t)(end - p) - hl - rl + 1)) != NULL; p++)
			found = memcmp(p, head, hl) == 0 && memcmp(p + hl, rest, rl) == 0;
	}
	fclose(f);
	return found;
}

#endif
