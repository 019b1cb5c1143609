/*
 * wait-file.c - block until a file exists (inotify), for test fixtures and
 * the demo: the simulator writes its ready file once it listens, and this
 * waits for exactly that event instead of sleeping a guessed time.
 *
 *	wait-file [--gone] [--pid PID] PATH SECONDS
 *
 * Exit 0 when PATH exists (with --gone: no longer exists), 1 on timeout or
 * when process PID (the one that should make the file) has exited first,
 * 2 on bad usage or error.
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

static double
now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	char dirbuf[PATH_MAX], basebuf[PATH_MAX];
	const char *dir, *base;
	double deadline;
	int fd, gone = 0;
	long pid = 0;

	for (;;) {
		if (argc >= 2 && strcmp(argv[1], "--gone") == 0) {
			gone = 1;
			argv++;
			argc--;
		} else if (argc >= 3 && strcmp(argv[1], "--pid") == 0) {
			pid = atol(argv[2]);
			argv += 2;
			argc -= 2;
		} else
			break;
	}
	if (argc != 3) {
		fprintf(stderr, "usage: wait-file [--gone] [--pid PID] PATH SECONDS\n");
		return 2;
	}
	snprintf(dirbuf, sizeof dirbuf, "%s", argv[1]);
	snprintf(basebuf, sizeof basebuf, "%s", argv[1]);
	dir = dirname(dirbuf);
	base = basename(basebuf);
	deadline = now_s() + atof(argv[2]);
	if ((fd = inotify_init1(IN_CLOEXEC)) < 0 ||
	    inotify_add_watch(fd, dir, IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE | IN_DELETE |
	    IN_MOVED_FROM) < 0) {
		fprintf(stderr, "wait-file: cannot watch %s: %s\n", dir, strerror(errno));
		return 2;
	}
	/* Watch first, then look: a file made in between is not missed. */
	while ((access(argv[1], F_OK) == 0) == gone) {
		char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
		struct pollfd p = { fd, POLLIN, 0 };
		double left = deadline - now_s();
		ssize_t n;

		if (pid > 0 && kill((pid_t)pid, 0) != 0 && errno == ESRCH) {
			fprintf(stderr, "wait-file: process %ld exited before %s appeared\n", pid, argv[1]);
			return 1;
		}
		if (left > 0.2 && pid > 0)
			left = 0.2; /* look at the process again soon */
		if (left <= 0) {
			fprintf(stderr, "wait-file: %s did not %s within %s s\n", argv[1],
			    gone ? "go away" : "appear", argv[2]);
			return 1;
		}
		if (poll(&p, 1, (int)(left * 1000) + 1) < 0 && errno != EINTR)
			return 2;
		if (p.revents & POLLIN) {
			n = read(fd, buf, sizeof buf);
			(void)n; /* any event: look again */
		}
	}
	(void)base;
	return 0;
}
