/*
 * seal_rate: crypto_box_seal_open operations per second on PROCS processes
 * (one per core) for SECONDS, with a payload the size of a typical
 * application.  The export benchmark's yardstick.
 * usage: seal_rate PROCS SECONDS
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PAYLOAD 600

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Opens per second over at least secs.  Timed with the monotonic clock and
 * divided by the time it really ran: time(NULL)'s whole seconds made a run
 * of "5 s" last anywhere from 4 to 5 s and undercounted by up to a fifth.
 */
static double
run(double secs)
{
	unsigned char	pk[crypto_box_PUBLICKEYBYTES], sk[crypto_box_SECRETKEYBYTES];
	unsigned char	msg[PAYLOAD], box[PAYLOAD + crypto_box_SEALBYTES], out[PAYLOAD];
	double		start, elapsed;
	long		n = 0;

	crypto_box_keypair(pk, sk);
	randombytes_buf(msg, sizeof(msg));
	crypto_box_seal(box, msg, sizeof(msg), pk);
	start = now();
	do {
		if (crypto_box_seal_open(out, box, sizeof(box), pk, sk) != 0)
			return -1;
		n++;
	} while ((elapsed = now() - start) < secs);
	return (double)n / elapsed;
}

int
main(int argc, char *argv[])
{
	int	procs, i, fds[64][2];
	double	secs, total = 0, rate;

	if (argc != 3 || sodium_init() < 0 || (procs = atoi(argv[1])) < 1 || procs > 64)
		return 2;
	secs = atof(argv[2]);
	for (i = 0; i < procs; i++) {
		if (pipe(fds[i]) == -1)
			return 1;
		if (fork() == 0) {
			rate = run(secs);
			if (write(fds[i][1], &rate, sizeof(rate)) != (ssize_t)sizeof(rate))
				_exit(1);
			_exit(0);
		}
	}
	for (i = 0; i < procs; i++) {
		if (read(fds[i][0], &rate, sizeof(rate)) != (ssize_t)sizeof(rate) || rate < 0)
			return 1;
		total += rate;
	}
	while (wait(NULL) > 0)
		;
	printf("%.1f\n", total);
	return 0;
}
