/* cmd-serve.c - `rollout serve`: the city's read-only console (engine/web/web.h). */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "error.h"
#include "util.h"
#include "web/web.h"

extern const struct ro_cmd ro_cmd_serve;

static volatile sig_atomic_t stop_asked;

static void
on_stop(int sig)
{
	(void)sig;
	stop_asked = 1;
}

static int
serve_exec(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "listen", required_argument, NULL, 'l' },
		{ "ready-file", required_argument, NULL, 'r' },
		{ "tls-cert", required_argument, NULL, 'c' },
		{ "tls-key", required_argument, NULL, 'k' },
		{ "rp-id", required_argument, NULL, 'R' },
		{ "state-dir", required_argument, NULL, 'S' },
		{ "state", required_argument, NULL, 'S' },
		{ "campaign", required_argument, NULL, 'C' },
		{ NULL, 0, NULL, 0 },
	};
	struct ro_web_config cfg = { ro_cmd_state_dir(), "127.0.0.1", 8080, NULL, NULL, NULL,
	    "localhost", NULL, 0 };
	struct sigaction sa;
	char *end, *cause = NULL;
	const char **campaigns = ro_xcalloc((size_t)argc, sizeof *campaigns);
	long port;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "p:l:r:c:k:R:S:C:", opts, NULL)) != -1) {
		switch (ch) {
		case 'p':
			port = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end || port < 0 || port > 65535)
				return ro_cmd_usage(&ro_cmd_serve, "--port takes a TCP port (0: any free one)");
			cfg.port = (int)port;
			break;
		case 'l':
			cfg.listen = optarg;
			break;
		case 'r':
			cfg.ready_file = optarg;
			break;
		case 'c':
			cfg.tls_cert = optarg;
			break;
		case 'k':
			cfg.tls_key = optarg;
			break;
		case 'R':
			cfg.rp_id = optarg;
			break;
		case 'S':
			cfg.state_dir = optarg;
			break;
		case 'C':
			campaigns[cfg.ncampaigns++] = optarg;
			break;
		default:
			free(campaigns);
			return ro_cmd_usage(&ro_cmd_serve, NULL);
		}
	}
	cfg.campaigns = campaigns;
	if (optind != argc) {
		free(campaigns);
		return ro_cmd_usage(&ro_cmd_serve, "serve takes no arguments besides its options");
	}
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_stop;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	rc = ro_web_serve(&cfg, &stop_asked, &cause);
	free(campaigns);
	if (rc != RO_OK) {
		fprintf(stderr, "rollout serve: %s\n", cause ? cause : ro_strerror(rc));
		free(cause);
		return rc == RO_EINVAL ? RO_EXIT_USAGE : RO_EXIT_FAIL;
	}
	return RO_EXIT_OK;
}

const struct ro_cmd ro_cmd_serve = {
	.name = "serve",
	.usage = "[--port N] [--listen ADDR] [--tls-cert FILE --tls-key FILE] [--ready-file FILE] "
	    "[--rp-id HOST] [--state-dir DIR] [--campaign FILE]...",
	.summary = "Serve the console: campaigns, plans, approvals, passkey decisions (Japanese).",
	.help =
	    "Serves, over plain HTTP on a loopback address, read-only pages in Japanese: the\n"
	    "campaigns of the state store, and for each the plan as the city approves it\n"
	    "(waves and gates, every host's planned times by site, the playbooks and\n"
	    "parameters such as KB numbers and artefact hashes, the approvers roster) and its\n"
	    "approvals with the verification of their signatures (English: ?lang=en).\n"
	    "Approvers enrolled with a passkey (`rollout approvers invite`) log in and approve\n"
	    "or refuse a gate on its page (/c/ID/gate/N); the only writes are enrolments and\n"
	    "those signed decisions. Plain HTTP only on a loopback address; any other needs\n"
	    "the city's certificate and key (HTTPS).\n"
	    "\n"
	    "  --port N          TCP port (default 8080; 0: any free one, see --ready-file)\n"
	    "  --listen ADDR     an IPv4 address (default 127.0.0.1; not loopback: TLS only)\n"
	    "  --tls-cert FILE   PEM certificate (chain) for HTTPS\n"
	    "  --tls-key FILE    its PEM private key (read once, zeroed when serve ends)\n"
	    "  --rp-id HOST      the console's host name, the passkeys' relying party\n"
	    "                    (default localhost; with TLS, the certificate's name)\n"
	    "  --ready-file FILE written with \"port N\" once it listens (for scripts)\n"
	    "  --state-dir DIR   the state directory (default $ROLLOUT_STATE_DIR, else .rollout)\n"
	    "  --campaign FILE   a campaign file (repeatable): its plan page shows the work\n"
	    "                    procedure (作業手順書), rebuilt from the file and shown only\n"
	    "                    when its plan hash is the recorded one\n",
	.exec = serve_exec,
};
