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

static long
run(double secs)
{
	unsigned char	pk[crypto_box_PUBLICKEYBYTES], sk[crypto_box_SECRETKEYBYTES];
	unsigned char	msg[PAYLOAD], box[PAYLOAD + crypto_box_SEALBYTES], out[PAYLOAD];
	time_t		end = time(NULL) + (time_t)secs;
	long		n = 0;

	crypto_box_keypair(pk, sk);
	randombytes_buf(msg, sizeof(msg));
	crypto_box_seal(box, msg, sizeof(msg), pk);
	while (time(NULL) < end) {
		if (crypto_box_seal_open(out, box, sizeof(box), pk, sk) != 0)
			return -1;
		n++;
	}
	return n;
}

int
main(int argc, char *argv[])
{
	int	procs, i, fds[64][2];
	double	secs;
	long	total = 0, n;

	if (argc != 3 || sodium_init() < 0 || (procs = atoi(argv[1])) < 1 || procs > 64)
		return 2;
	secs = atof(argv[2]);
	for (i = 0; i < procs; i++) {
		if (pipe(fds[i]) == -1)
			return 1;
		if (fork() == 0) {
			n = run(secs);
			if (write(fds[i][1], &n, sizeof(n)) != (ssize_t)sizeof(n))
				_exit(1);
			_exit(0);
		}
	}
	for (i = 0; i < procs; i++) {
		if (read(fds[i][0], &n, sizeof(n)) != (ssize_t)sizeof(n))
			return 1;
		total += n;
	}
	while (wait(NULL) > 0)
		;
	printf("%.1f\n", (double)total / secs);
	return 0;
}
