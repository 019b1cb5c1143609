/*
 * password-login.c - logs in to one host with a password only (no key),
 * through the engine's transport, and runs one command.
 *
 *	password-login KNOWN_HOSTS ADDRESS PORT USER COMMAND < password
 *
 * The password is read from stdin, never from argv or the environment.
 * Prints the transport's status name, the exit code and the output; exits
 * 0 when the login and the command succeeded, 3 on an authentication
 * failure, 1 otherwise. A message that contains the password exits 4.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "error.h"
#include "transport.h"

struct run {
	const char *command, *password;
	int rc;
};

static void
exec_done(struct ro_ssh *s, const struct ro_exec_result *r, void *arg)
{
	struct run *run = arg;

	printf("exec: %s exit %d\n%s", r->status ? ro_strerror(r->status) : "ok", r->exit_code, r->out);
	run->rc = r->status == 0 && r->exit_code == 0 ? 0 : 1;
	ro_ssh_close(s, NULL, NULL);
}

static void
connected(struct ro_ssh *s, int status, const char *cause, void *arg)
{
	struct run *run = arg;

	if (status != 0) {
		printf("connect: %s: %s\n", ro_strerror(status), cause ? cause : "");
		run->rc = status == RO_EAUTH ? 3 : 1;
		if (cause && strstr(cause, run->password))
			run->rc = 4;
		return;
	}
	if (ro_ssh_exec(s, run->command, NULL, 0, 30000, exec_done, run) != 0) {
		run->rc = 1;
		ro_ssh_close(s, NULL, NULL);
	}
}

int
main(int argc, char **argv)
{
	char password[256];
	struct ro_known_hosts *kh = NULL;
	struct ro_ssh *s;
	struct run run = { 0 };
	char *cause = NULL;
	size_t n;
	uv_loop_t loop;

	if (argc != 6 || !fgets(password, sizeof password, stdin)) {
		fprintf(stderr, "usage: password-login KNOWN_HOSTS ADDRESS PORT USER COMMAND < password\n");
		return 2;
	}
	n = strcspn(password, "\r\n");
	password[n] = '\0';
	if (ro_known_hosts_load(argv[1], &kh, &cause) != 0) {
		fprintf(stderr, "password-login: %s\n", cause);
		free(cause);
		return 2;
	}
	run.command = argv[5];
	run.password = password;
	run.rc = 1;
	struct ro_ssh_config cfg = { .host = argv[2], .address = argv[2], .port = atoi(argv[3]),
		.user = argv[4], .password = password, .known = kh };
	uv_loop_init(&loop);
	if (ro_ssh_connect(&loop, &cfg, connected, &run, &s) == 0)
		uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	ro_known_hosts_free(kh);
	return run.rc;
}
