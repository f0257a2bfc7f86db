/*
 * fsync_loop: how many small durable writes this disk does per second —
 * append 512 bytes and fdatasync, for SECONDS, in DIR (the data directory's
 * disk).  The benchmark's yardstick for durable submissions.
 * usage: fsync_loop DIR SECONDS
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double
now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int
main(int argc, char *argv[])
{
	char	path[1024], block[512];
	double	start, secs;
	long	n = 0;
	int	fd;

	if (argc != 3)
		return 2;
	secs = atof(argv[2]);
	snprintf(path, sizeof(path), "%s/fsync_loop.tmp", argv[1]);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1)
		return 1;
	memset(block, 'x', sizeof(block));
	start = now();
	while (now() - start < secs) {
		if (write(fd, block, sizeof(block)) != (ssize_t)sizeof(block) || fdatasync(fd) != 0)
			return 1;
		n++;
	}
	printf("%.1f\n", (double)n / (now() - start));
	close(fd);
	unlink(path);
	return 0;
}
