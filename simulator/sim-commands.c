/*
 * sim-commands.c - the Windows commands of the playbooks, emulated against
 * a host's state. See simulator/README.md for every command, its output
 * and exit codes.
 */
#include "sim-commands.h"

#include <ctype.h>
#include <stdarg.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "error.h"
#include "sim-shell.h"

/* Windows error codes that commands return, as unsigned 32-bit exit codes. */
#define E_FILE_NOT_FOUND 2147942402u   /* 0x80070002 */
#define E_DISK_FULL 2147942512u        /* 0x80070070 */
#define WU_E_NOT_APPLICABLE 2149842967u /* 0x80240017 */
#define WU_S_ALREADY_INSTALLED 2359302  /* 0x00240006 */
#define ERROR_SUCCESS_REBOOT_REQUIRED 3010
#define DISK_FULL_FREE (512LL * 1024 * 1024)

void
sim_result_init(struct sim_result *r)
{
	memset(r, 0, sizeof(*r));
	ro_buf_init(&r->out);
	ro_buf_init(&r->err);
	ro_buf_init(&r->calls);
	ro_buf_adds(&r->out, "");
	ro_buf_adds(&r->err, "");
	ro_buf_adds(&r->calls, "");
}

void
sim_result_free(struct sim_result *r)
{
	ro_buf_free(&r->out);
	ro_buf_free(&r->err);
	ro_buf_free(&r->calls);
}

/* One command's context: the host, the arena, the result. */
struct run {
	const struct sim_hostctx *h;
	struct ro_arena *a;
	struct sim_result *r;
	const char *stdin_data;
	size_t stdin_len;
	struct sim_ps *ps;       /* set while PowerShell runs */
};

static char *
aprintf(struct ro_arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static char *
aprintf(struct ro_arena *a, const char *fmt, ...)
{
	va_list ap, aq;
	va_start(ap, fmt);
	va_copy(aq, ap);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	char *s = ro_arena_alloc(a, (size_t)n + 1);
	vsnprintf(s, (size_t)n + 1, fmt, aq);
	va_end(aq);
	return s;
}

static const char *
upper(struct ro_arena *a, const char *s)
{
	char *u = ro_arena_strdup(a, s);
	for (char *p = u; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	return u;
}

static const char *
basename_w(const char *p)
{
	const char *b = p;
	for (const char *s = p; *s; s++)
		if (*s == '\\' || *s == '/')
			b = s + 1;
	return b;
}

/* A Windows path in one spelling: backslashes, no doubled separators or trailing one. */
static const char *
winpath(struct ro_arena *a, const char *p)
{
	char *s = ro_arena_strdup(a, p), *o = s;
	if ((s[0] == '\'' || s[0] == '"') && strlen(s) > 1 && s[strlen(s) - 1] == s[0]) {
		s[strlen(s) - 1] = '\0';
		s++;
		o = s;
	}
	if (strncmp(s, "/", 1) == 0 && isalpha((unsigned char)s[1]) && s[2] == ':')
		s++, o++;
	char *w = o;
	for (char *r = s; *r; r++) {
		char c = *r == '/' ? '\\' : *r;
		if (c == '\\' && w > o && w[-1] == '\\')
			continue;
		*w++ = c;
	}
	*w = '\0';
	size_t l = strlen(o);
	if (l > 3 && o[l - 1] == '\\')
		o[l - 1] = '\0';
	if (isalpha((unsigned char)o[0]) && o[1] == ':')
		o[0] = (char)toupper((unsigned char)o[0]);
	return o;
}

static int
file_get(struct run *R, const char *path, struct sim_item *it)
{
	return sim_state_get(R->h->st, R->h->name, "file", winpath(R->a, path), R->a, it);
}

/* Creates a small text file (content kept so that Get-Content/Import-Csv can read it). */
static void
file_write(struct run *R, const char *path, const char *content)
{
	unsigned char h[32];
	char hex[65];
	crypto_hash_sha256(h, (const unsigned char *)content, strlen(content));
	ro_hex(h, sizeof(h), hex);
	struct sim_item it = { .key = winpath(R->a, path), .a = upper(R->a, hex), .b = "",
		.c = content, .n = (int64_t)strlen(content), .t = R->h->now };
	(void)sim_state_put(R->h->st, R->h->name, "file", &it);
}

int
sim_file_uploaded(const struct sim_hostctx *h, const char *path, uint64_t size,
    const char *sha256_hex)
{
	struct ro_arena a;
	ro_arena_init(&a);
	struct sim_item it = { .key = winpath(&a, path), .a = upper(&a, sha256_hex), .b = "upload",
		.c = "", .n = (int64_t)size, .t = h->now };
	int rc = sim_state_put(h->st, h->name, "file", &it);
	ro_arena_free(&a);
	return rc;
}

int
sim_file_content(const struct sim_hostctx *h, const char *path, struct ro_arena *ar,
    const char **data, size_t *len, int64_t *mtime)
{
	struct sim_item it;

	if (sim_state_get(h->st, h->name, "file", winpath(ar, path), ar, &it) != 0 ||
	    strcmp(it.b, "dir") == 0)
		return RO_ENOENT;
	/* Files the commands write keep their text; uploads keep only a hash. */
	if (strcmp(it.b, "upload") == 0 || (int64_t)strlen(it.c) != it.n)
		return RO_EINVAL;
	*data = it.c;
	*len = (size_t)it.n;
	*mtime = it.t;
	return 0;
}

int64_t
sim_disk_free(const struct sim_hostctx *h)
{
	if (h->faults && sim_faults_find(h->faults, SIM_FAULT_DISKFULL, h->name, h->site, NULL))
		return DISK_FULL_FREE;
	return sim_state_num(h->st, h->name, "disk_free", 0);
}

void
sim_host_restarted(const struct sim_hostctx *h, int64_t boot_done)
{
	struct ro_arena a;
	struct sim_item *kb;
	size_t n;
	ro_arena_init(&a);
	if (sim_state_list(h->st, h->name, "kb", NULL, &a, &kb, &n) == 0)
		for (size_t i = 0; i < n; i++)
			if (kb[i].n == 2) {
				kb[i].n = 1;
				kb[i].t = boot_done;
				(void)sim_state_put(h->st, h->name, "kb", &kb[i]);
			}
	(void)sim_state_set_num(h->st, h->name, "pending_reboot", 0);
	ro_arena_free(&a);
}

static void
outf(struct run *R, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void
outf(struct run *R, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	ro_buf_vprintf(&R->r->out, fmt, ap);
	va_end(ap);
}

static void
errf(struct run *R, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void
errf(struct run *R, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	ro_buf_vprintf(&R->r->err, fmt, ap);
	va_end(ap);
}

/*
 * The command's standard input, a line at a time, cut the way Read-Host cuts it
 * (sim_ps_read_line: no newline, no carriage return). The session is only the input
 * cursor: nothing runs in it and its buffers stay empty. Lines live in the run's arena,
 * so they outlast stdin_lines_close.
 */
struct stdin_lines {
	struct sim_ps ps;
	struct ro_buf out, err;
};

static void
stdin_lines_open(struct run *R, struct stdin_lines *in)
{
	ro_buf_init(&in->out);
	ro_buf_init(&in->err);
	sim_ps_init(&in->ps, R->a, &in->out, &in->err, NULL, NULL);
	in->ps.stdin_data = R->stdin_data;
	in->ps.stdin_len = R->stdin_len;
}

/* The next line, or NULL at the end of the input. */
static const char *
stdin_line(struct stdin_lines *in)
{
	return sim_ps_read_line(&in->ps);
}

static void
stdin_lines_close(struct stdin_lines *in)
{
	ro_buf_free(&in->out);
	ro_buf_free(&in->err);
}

/* The first line of standard input (a password typed at a prompt), or NULL if none. */
static const char *
stdin_first_line(struct run *R)
{
	struct stdin_lines in;
	stdin_lines_open(R, &in);
	const char *line = stdin_line(&in);
	stdin_lines_close(&in);
	return line;
}

static const char *
computer_name(struct run *R)
{
	return upper(R->a, R->h->name);
}

/* ---- native programs ------------------------------------------------------- */

/* Whether a `deviate` fault plants a deviation on this host in what the inspection
 * item checks: t_item on a terminal, c_item on a CS node (NULL: not that role). */
static int
deviated(struct run *R, const char *t_item, const char *c_item)
{
	const char *item = R->h->cs ? c_item : t_item;
	return item != NULL && R->h->faults != NULL &&
	    sim_faults_find(R->h->faults, SIM_FAULT_DEVIATE, R->h->name, R->h->site, item) != NULL;
}

static int
has_flag(char **argv, size_t argc, const char *flag)
{
	for (size_t i = 1; i < argc; i++)
		if (strcasecmp(argv[i], flag) == 0)
			return 1;
	return 0;
}

static const char *
kb_of(struct ro_arena *a, const char *path)
{
	const char *b = basename_w(path);
	for (const char *p = b; *p; p++)
		if ((p[0] == 'k' || p[0] == 'K') && (p[1] == 'b' || p[1] == 'B') && isdigit((unsigned char)p[2])) {
			size_t l = 2;
			while (isdigit((unsigned char)p[l]))
				l++;
			return upper(a, ro_arena_strndup(a, p, l));
		}
	return NULL;
}

static int
cmd_wusa(struct run *R, char **argv, size_t argc)
{
	const char *pkg = NULL;
	struct sim_item f, kb;
	for (size_t i = 1; i < argc; i++)
		if (argv[i][0] != '/')
			pkg = argv[i];
	if (pkg == NULL) {
		/* wusa without a package shows its usage dialog; /quiet makes it fail. */
		return 87; /* ERROR_INVALID_PARAMETER */
	}
	R->r->vseconds = 20;
	if (file_get(R, pkg, &f) != 0)
		return (int)E_FILE_NOT_FOUND;
	const char *id = kb_of(R->a, pkg);
	if (id == NULL)
		return (int)WU_E_NOT_APPLICABLE;
	if (sim_state_get(R->h->st, R->h->name, "kb", id, R->a, &kb) == 0)
		return kb.n == 2 ? ERROR_SUCCESS_REBOOT_REQUIRED : WU_S_ALREADY_INSTALLED;
	if (sim_disk_free(R->h) < 4LL * 1024 * 1024 * 1024) {
		R->r->vseconds = 60;
		return (int)E_DISK_FULL;
	}
	/* A cumulative update: several minutes, then a restart to finish. */
	R->r->vseconds = R->h->cs ? 15 * 60 : 8 * 60;
	struct sim_item it = { .key = id, .a = "Security Update", .n = 2, .t = R->h->now };
	(void)sim_state_put(R->h->st, R->h->name, "kb", &it);
	(void)sim_state_set_num(R->h->st, R->h->name, "pending_reboot", 1);
	return ERROR_SUCCESS_REBOOT_REQUIRED;
}

static int
cmd_msiexec(struct run *R, char **argv, size_t argc)
{
	const char *pkg = NULL, *log = NULL;
	struct sim_item f;
	for (size_t i = 1; i < argc; i++) {
		if ((strcasecmp(argv[i], "/i") == 0 || strcasecmp(argv[i], "/package") == 0) && i + 1 < argc)
			pkg = argv[++i];
		else if (strncasecmp(argv[i], "/l", 2) == 0 && i + 1 < argc)
			log = argv[++i];
	}
	R->r->vseconds = 5;
	if (pkg == NULL)
		return 1639; /* ERROR_INVALID_COMMAND_LINE */
	if (file_get(R, pkg, &f) != 0) {
		if (log)
			file_write(R, log, "MSI (c): Note: 1: 2203 2: package 3: -2147287038\r\n"
			    "=== Logging stopped ===\r\n");
		return 1619; /* ERROR_INSTALL_PACKAGE_OPEN_FAILED */
	}
	const char *b = basename_w(pkg);
	int for_cs = strncasecmp(b, "jlis-cs", 7) == 0, for_term = strncasecmp(b, "jlis-terminal", 13) == 0;
	if (!for_cs && !for_term)
		return 1620; /* ERROR_INSTALL_PACKAGE_INVALID: not a package this simulator knows */
	if (for_cs != R->h->cs) {
		if (log)
			file_write(R, log, "MSI (s): Product: installation failed: this package is for another "
			    "kind of machine (launch condition).\r\n=== Logging stopped ===\r\n");
		R->r->vseconds = 30;
		return 1603; /* ERROR_INSTALL_FAILURE */
	}
	/* The version is in the name: jlis-terminal-2.40.0.msi. */
	const char *v = b + (for_cs ? 7 : 13);
	if (*v == '-')
		v++;
	size_t vl = 0;
	while (v[vl] && (isdigit((unsigned char)v[vl]) || v[vl] == '.'))
		vl++;
	if (vl > 0 && v[vl - 1] == '.')
		vl--;
	const char *ver = vl ? ro_arena_strndup(R->a, v, vl) : "2.31.0";
	struct sim_item it = { .key = for_cs ? "住基ネットCS業務アプリケーション" :
		"住基ネット統合端末業務アプリケーション", .a = ver, .b = "J-LIS" };
	(void)sim_state_put(R->h->st, R->h->name, "software", &it);
	if (log) {
		char *t = ro_arena_alloc(R->a, 512);
		snprintf(t, 512, "=== Verbose logging started ===\r\nMSI (s): Product: %s -- "
		    "Installation completed successfully.\r\nMSI (s): Windows Installer installed the "
		    "product. Product Version: %s. Installation success or error status: 0.\r\n"
		    "=== Logging stopped ===\r\n", it.key, ver);
		file_write(R, log, t);
	}
	R->r->vseconds = R->h->cs ? 8 * 60 : 4 * 60;
	if (R->h->cs) {
		(void)sim_state_set_num(R->h->st, R->h->name, "pending_reboot", 1);
		return ERROR_SUCCESS_REBOOT_REQUIRED; /* its service was in use */
	}
	return 0;
}

static const char *
reg_root(struct ro_arena *a, const char *key)
{
	static const char *const m[][2] = { { "HKLM", "HKEY_LOCAL_MACHINE" },
		{ "HKCU", "HKEY_CURRENT_USER" }, { "HKU", "HKEY_USERS" }, { "HKCR", "HKEY_CLASSES_ROOT" } };
	const char *k = key;
	if (strncasecmp(k, "Registry::", 10) == 0)
		k += 10;
	for (size_t i = 0; i < 4; i++) {
		size_t l = strlen(m[i][0]);
		if (strncasecmp(k, m[i][0], l) == 0 && (k[l] == '\\' || k[l] == ':' || k[l] == '\0')) {
			const char *rest = k + l;
			if (*rest == ':')
				rest++;
			if (*rest == '\\')
				rest++;
			return *rest ? aprintf(a, "%s\\%s", m[i][1], rest) : m[i][1];
		}
	}
	return winpath(a, k);
}

/* Splits "KEY|Value" registry item keys. */
static const char *
reg_item(struct ro_arena *a, const char *key, const char *value)
{
	return aprintf(a, "%s|%s", key, value ? value : "");
}

static int
cmd_reg(struct run *R, char **argv, size_t argc)
{
	R->r->vseconds = 1;
	if (argc < 3) {
		errf(R, "ERROR: Invalid syntax.\r\nType \"REG /?\" for usage.\r\n");
		return 1;
	}
	const char *op = argv[1], *key = reg_root(R->a, argv[2]);
	const char *v = NULL, *t = "REG_SZ", *d = "";
	for (size_t i = 3; i < argc; i++) {
		if (strcasecmp(argv[i], "/v") == 0 && i + 1 < argc) v = argv[++i];
		else if (strcasecmp(argv[i], "/t") == 0 && i + 1 < argc) t = argv[++i];
		else if (strcasecmp(argv[i], "/d") == 0 && i + 1 < argc) d = argv[++i];
	}
	struct sim_item *items, it;
	size_t n;
	if (strcasecmp(op, "add") == 0) {
		static const char *const types[] = { "REG_SZ", "REG_DWORD", "REG_QWORD", "REG_EXPAND_SZ",
			"REG_MULTI_SZ", "REG_BINARY", NULL };
		int ok = 0;
		for (int i = 0; types[i]; i++)
			ok |= strcasecmp(types[i], t) == 0;
		if (!ok || (strcasecmp(t, "REG_DWORD") == 0 && strspn(d, "0123456789xXabcdefABCDEF") != strlen(d))) {
			errf(R, "ERROR: Invalid syntax.\r\nType \"REG ADD /?\" for usage.\r\n");
			return 1;
		}
		struct sim_item w = { .key = reg_item(R->a, key, v), .a = upper(R->a, t), .b = d };
		(void)sim_state_put(R->h->st, R->h->name, "reg", &w);
		outf(R, "The operation completed successfully.\r\n\r\n");
		return 0;
	}
	if (strcasecmp(op, "delete") == 0) {
		int rc = v ? sim_state_del(R->h->st, R->h->name, "reg", reg_item(R->a, key, v)) :
		    sim_state_del_prefix(R->h->st, R->h->name, "reg", key);
		if (rc != 0) {
			errf(R, "ERROR: The system was unable to find the specified registry key or value.\r\n");
			return 1;
		}
		outf(R, "The operation completed successfully.\r\n\r\n");
		return 0;
	}
	if (strcasecmp(op, "query") == 0) {
		if (v) {
			if (sim_state_get(R->h->st, R->h->name, "reg", reg_item(R->a, key, v), R->a, &it) != 0) {
				errf(R, "ERROR: The system was unable to find the specified registry key or value.\r\n");
				return 1;
			}
			outf(R, "\r\n%s\r\n    %s    %s    %s\r\n\r\n", key, v, it.a, it.b);
			return 0;
		}
		(void)sim_state_list(R->h->st, R->h->name, "reg", aprintf(R->a, "%s|", key), R->a, &items, &n);
		if (n == 0) {
			errf(R, "ERROR: The system was unable to find the specified registry key or value.\r\n");
			return 1;
		}
		outf(R, "\r\n%s\r\n", key);
		for (size_t i = 0; i < n; i++)
			outf(R, "    %s    %s    %s\r\n", strchr(items[i].key, '|') + 1, items[i].a, items[i].b);
		outf(R, "\r\n");
		return 0;
	}
	if (strcasecmp(op, "export") == 0) {
		if (argc < 4) {
			errf(R, "ERROR: Invalid syntax.\r\nType \"REG EXPORT /?\" for usage.\r\n");
			return 1;
		}
		(void)sim_state_list(R->h->st, R->h->name, "reg", aprintf(R->a, "%s|", key), R->a, &items, &n);
		if (n == 0) {
			errf(R, "ERROR: The system was unable to find the specified registry key or value.\r\n");
			return 1;
		}
		struct ro_buf b;
		ro_buf_init(&b);
		ro_buf_printf(&b, "Windows Registry Editor Version 5.00\r\n\r\n[%s]\r\n", key);
		for (size_t i = 0; i < n; i++)
			ro_buf_printf(&b, "\"%s\"=%s%s%s\r\n", strchr(items[i].key, '|') + 1,
			    strcasecmp(items[i].a, "REG_DWORD") == 0 ? "dword:" : "\"", items[i].b,
			    strcasecmp(items[i].a, "REG_DWORD") == 0 ? "" : "\"");
		file_write(R, argv[3], b.p);
		ro_buf_free(&b);
		outf(R, "The operation completed successfully.\r\n\r\n");
		return 0;
	}
	errf(R, "ERROR: Invalid syntax.\r\nType \"REG /?\" for usage.\r\n");
	return 1;
}

/* The restart/power-off request of shutdown.exe. */
static int
cmd_shutdown(struct run *R, char **argv, size_t argc)
{
	int restart = 0, off = 0;
	double t = 30; /* shutdown's default delay */
	for (size_t i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (a[0] == '-')
			a = ro_arena_strdup(R->a, a), ((char *)a)[0] = '/';
		if (strcasecmp(a, "/r") == 0 || strcasecmp(a, "/g") == 0) restart = 1;
		else if (strcasecmp(a, "/s") == 0 || strcasecmp(a, "/p") == 0) off = 1;
		else if (strcasecmp(a, "/a") == 0) {
			errf(R, "Unable to abort the system shutdown because no shutdown was in progress.(1116)\r\n");
			return 1116;
		} else if (strcasecmp(a, "/t") == 0 && i + 1 < argc) {
			char *end;
			long v = strtol(argv[++i], &end, 10);
			if (*end != '\0' || v < 0 || v > 315360000) {
				errf(R, "%s: The parameter is incorrect.(87)\r\n", argv[i]);
				return 87;
			}
			t = (double)v;
		} else if ((strcasecmp(a, "/c") == 0 || strcasecmp(a, "/d") == 0) && i + 1 < argc)
			i++;
	}
	if (!restart && !off) {
		outf(R, "Usage: shutdown [/i | /l | /s | /sg | /r | /g | /a | /p | /h | /e | /o] [/hybrid] "
		    "[/soft] [/fw] [/f]\r\n    [/m \\\\computer][/t xxx][/d [p|u:]xx:yy [/c \"comment\"]]\r\n");
		return 0;
	}
	R->r->restart = restart ? 1 : 2;
	R->r->restart_delay = t;
	return 0;
}

static int
cmd_schtasks(struct run *R, char **argv, size_t argc)
{
	const char *tn = NULL, *tr = "", *sc = "";
	int create = has_flag(argv, argc, "/create"), query = has_flag(argv, argc, "/query"),
	    del = has_flag(argv, argc, "/delete"), run = has_flag(argv, argc, "/run");
	struct sim_item it;
	for (size_t i = 1; i + 1 < argc; i++) {
		if (strcasecmp(argv[i], "/tn") == 0) tn = argv[i + 1];
		else if (strcasecmp(argv[i], "/tr") == 0) tr = argv[i + 1];
		else if (strcasecmp(argv[i], "/sc") == 0) sc = argv[i + 1];
	}
	R->r->vseconds = 1;
	if ((create || del || run) && tn == NULL) {
		errf(R, "ERROR: Invalid syntax. Mandatory option '/tn' is missing.\r\nType \"SCHTASKS /? \" for usage.\r\n");
		return 1;
	}
	if (create) {
		struct sim_item w = { .key = tn, .a = tr, .b = upper(R->a, sc), .t = R->h->now };
		if (sim_state_get(R->h->st, R->h->name, "task", tn, R->a, &it) == 0 && !has_flag(argv, argc, "/f")) {
			errf(R, "ERROR: Cannot create a file when that file already exists.\r\n");
			return 1;
		}
		(void)sim_state_put(R->h->st, R->h->name, "task", &w);
		outf(R, "SUCCESS: The scheduled task \"%s\" has successfully been created.\r\n", tn);
		return 0;
	}
	if (query) {
		if (tn && sim_state_get(R->h->st, R->h->name, "task", tn, R->a, &it) != 0) {
			errf(R, "ERROR: The system cannot find the file specified.\r\n");
			return 1;
		}
		outf(R, "\r\nFolder: \\\r\nTaskName                                 Next Run Time          Status\r\n"
		    "======================================== ====================== ===============\r\n");
		if (tn)
			outf(R, "%-40.40s %-22s %s\r\n", tn, "N/A", "Ready");
		return 0;
	}
	if (del) {
		if (sim_state_del(R->h->st, R->h->name, "task", tn) != 0) {
			errf(R, "ERROR: The system cannot find the file specified.\r\n");
			return 1;
		}
		outf(R, "SUCCESS: The scheduled task \"%s\" was successfully deleted.\r\n", tn);
		return 0;
	}
	errf(R, "ERROR: Invalid syntax.\r\nType \"SCHTASKS /?\" for usage.\r\n");
	return 1;
}

/* Directories that exist on every host, and those made by New-Item. */
static int
dir_exists(struct run *R, const char *path)
{
	static const char *const std[] = { "C:", "C:\\", "C:\\Windows", "C:\\Windows\\Temp",
		"C:\\Windows\\System32", "C:\\Program Files", "C:\\Users", "C:\\rollout",
		"C:\\rollout\\vendor", NULL };
	const char *p = winpath(R->a, path);
	for (int i = 0; std[i]; i++)
		if (strcasecmp(std[i], p) == 0)
			return 1;
	struct sim_item it;
	return file_get(R, p, &it) == 0 && strcmp(it.b, "dir") == 0;
}

static const char *
parent_of(struct run *R, const char *path)
{
	char *p = ro_arena_strdup(R->a, winpath(R->a, path));
	char *s = strrchr(p, '\\');
	if (s == NULL)
		return "";
	if (s == p + 2)
		s[1] = '\0';
	else
		*s = '\0';
	return p;
}

static int
cmd_wevtutil(struct run *R, char **argv, size_t argc)
{
	R->r->vseconds = 30;
	if (argc >= 4 && (strcasecmp(argv[1], "epl") == 0 || strcasecmp(argv[1], "export-log") == 0)) {
		if (strcasecmp(argv[2], "System") != 0 && strcasecmp(argv[2], "Application") != 0 &&
		    strcasecmp(argv[2], "Setup") != 0 && strcasecmp(argv[2], "Security") != 0) {
			errf(R, "Failed to export log %s. The specified channel could not be found.\r\n", argv[2]);
			return 15007;
		}
		if (!dir_exists(R, parent_of(R, argv[3]))) {
			errf(R, "Failed to export log %s. The system cannot find the path specified.\r\n", argv[2]);
			return 3;
		}
		struct sim_item it;
		if (file_get(R, argv[3], &it) == 0 && !has_flag(argv, argc, "/ow:true")) {
			errf(R, "Failed to export log %s. The file exists.\r\n", argv[2]);
			return 80;
		}
		file_write(R, argv[3], aprintf(R->a, "ElfFile %s %s %" PRId64 "\r\n", R->h->name, argv[2], R->h->now));
		return 0;
	}
	errf(R, "The parameter is incorrect.\r\n");
	return 87;
}

static int
cmd_auditpol(struct run *R, char **argv, size_t argc)
{
	struct sim_item *items;
	size_t n;
	(void)sim_state_list(R->h->st, R->h->name, "audit", NULL, R->a, &items, &n);
	for (size_t i = 1; i < argc; i++)
		if (strncasecmp(argv[i], "/file:", 6) == 0 && has_flag(argv, argc, "/backup")) {
			struct ro_buf b;
			ro_buf_init(&b);
			ro_buf_adds(&b, "Machine Name,Policy Target,Subcategory,Subcategory GUID,Inclusion Setting,Exclusion Setting,Setting Value\r\n");
			for (size_t k = 0; k < n; k++)
			{
				/* t06/c05: failure auditing of logons switched off. */
				int off = strcmp(items[k].key, "Logon") == 0 && deviated(R, "t06", "c05");
				ro_buf_printf(&b, "%s,System,Audit %s,%s,%s,,%" PRId64 "\r\n", computer_name(R),
				    items[k].key, items[k].a, off ? "Success" : items[k].b, off ? (int64_t)1 : items[k].n);
			}
			file_write(R, argv[i] + 6, b.p);
			ro_buf_free(&b);
			outf(R, "The command was successfully executed.\r\n");
			return 0;
		}
	if (has_flag(argv, argc, "/get")) {
		outf(R, "System audit policy\r\nCategory/Subcategory                      Setting\r\nLogon/Logoff\r\n");
		for (size_t k = 0; k < n; k++)
			outf(R, "  %-40s%s\r\n", items[k].key, items[k].b);
		return 0;
	}
	errf(R, "The parameter is incorrect.\r\n");
	return 87;
}

static int
cmd_secedit(struct run *R, char **argv, size_t argc)
{
	struct sim_item *items;
	size_t n;
	for (size_t i = 1; i + 1 < argc; i++)
		if (strcasecmp(argv[i], "/cfg") == 0 && has_flag(argv, argc, "/export")) {
			(void)sim_state_list(R->h->st, R->h->name, "secpol", NULL, R->a, &items, &n);
			struct ro_buf b;
			ro_buf_init(&b);
			ro_buf_adds(&b, "[Unicode]\r\nUnicode=yes\r\n[System Access]\r\n");
			for (size_t k = 0; k < n; k++) {
				const char *v = items[k].a;
				if (strcmp(items[k].key, "LockoutBadCount") == 0 && deviated(R, "t07", NULL))
					v = "0"; /* t07: no lockout */
				if (strcmp(items[k].key, "MinimumPasswordLength") == 0 && deviated(R, "t08", NULL))
					v = "4"; /* t08: short passwords allowed */
				ro_buf_printf(&b, "%s = %s\r\n", items[k].key, v);
			}
			ro_buf_adds(&b, "[Version]\r\nsignature=\"$CHICAGO$\"\r\nRevision=1\r\n");
			file_write(R, argv[i + 1], b.p);
			ro_buf_free(&b);
			if (!has_flag(argv, argc, "/quiet"))
				outf(R, "\r\nThe task has completed successfully.\r\nSee log %%windir%%\\security\\logs\\scesrv.log for detail info.\r\n");
			return 0;
		}
	errf(R, "The parameter is incorrect.\r\n");
	return 87;
}

static void
boot_str(struct run *R, int64_t t, char *buf, size_t n, int style)
{
	time_t lt = (time_t)(t + 540 * 60);
	struct tm tm;
	gmtime_r(&lt, &tm);
	int h = tm.tm_hour % 12;
	if (style == 0) /* systeminfo */
		snprintf(buf, n, "%d/%d/%d, %d:%02d:%02d %s", tm.tm_mon + 1, tm.tm_mday, tm.tm_year + 1900,
		    h ? h : 12, tm.tm_min, tm.tm_sec, tm.tm_hour < 12 ? "AM" : "PM");
	else /* WMI CIM_DATETIME */
		snprintf(buf, n, "%04d%02d%02d%02d%02d%02d.500000+540", tm.tm_year + 1900, tm.tm_mon + 1,
		    tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static int
cmd_systeminfo(struct run *R)
{
	struct sim_item it, *kb;
	size_t n;
	char boot[64];
	R->r->vseconds = 5;
	int64_t bt = sim_state_num(R->h->st, R->h->name, "boot_time", 0);
	boot_str(R, bt, boot, sizeof(boot), 0);
	const char *cap = sim_state_get(R->h->st, R->h->name, "host", "caption", R->a, &it) == 0 ? it.a : "";
	const char *build = sim_state_get(R->h->st, R->h->name, "host", "os_build", R->a, &it) == 0 ? it.a : "";
	outf(R, "\r\nHost Name:                 %s\r\nOS Name:                   %s\r\n"
	    "OS Version:                %s N/A Build %s\r\nOS Manufacturer:           Microsoft Corporation\r\n"
	    "System Boot Time:          %s\r\nSystem Manufacturer:       FUJITSU\r\n"
	    "Time Zone:                 (UTC+09:00) Osaka, Sapporo, Tokyo\r\n",
	    computer_name(R), cap, build, strrchr(build, '.') ? strrchr(build, '.') + 1 : build, boot);
	(void)sim_state_list(R->h->st, R->h->name, "kb", NULL, R->a, &kb, &n);
	size_t shown = 0;
	for (size_t i = 0; i < n; i++)
		shown += kb[i].n == 1;
	outf(R, "Hotfix(s):                 %zu Hotfix(s) Installed.\r\n", shown);
	for (size_t i = 0, k = 1; i < n; i++)
		if (kb[i].n == 1)
			outf(R, "                           [%02zu]: %s\r\n", k++, kb[i].key);
	outf(R, "Network Card(s):           1 NIC(s) Installed.\r\n                           [01]: Intel(R) Ethernet Connection\r\n"
	    "                                 IP address(es)\r\n                                 [01]: %s\r\n", R->h->address);
	return 0;
}

static int
cmd_wmic(struct run *R, char **argv, size_t argc)
{
	char boot[64];
	R->r->vseconds = 2;
	if (argc >= 4 && strcasecmp(argv[1], "os") == 0 && strcasecmp(argv[2], "get") == 0 &&
	    strcasecmp(argv[3], "lastbootuptime") == 0) {
		boot_str(R, sim_state_num(R->h->st, R->h->name, "boot_time", 0), boot, sizeof(boot), 1);
		outf(R, "LastBootUpTime             \r\r\n%-27s\r\r\n\r\r\n", boot);
		return 0;
	}
	errf(R, "Node - %s\r\nERROR:\r\nDescription = Invalid query\r\n\r\n", computer_name(R));
	return 44135;
}

static int
cmd_ipconfig(struct run *R)
{
	outf(R, "\r\nWindows IP Configuration\r\n\r\n   Host Name . . . . . . . . . . . . : %s\r\n\r\n"
	    "Ethernet adapter Ethernet:\r\n\r\n   Connection-specific DNS Suffix  . : \r\n"
	    "   DHCP Enabled. . . . . . . . . . . : No\r\n   IPv4 Address. . . . . . . . . . . : %s(Preferred) \r\n"
	    "   Subnet Mask . . . . . . . . . . . : 255.255.255.0\r\n", computer_name(R), R->h->address);
	return 0;
}

static int
cmd_net(struct run *R, char **argv, size_t argc)
{
	struct sim_item it, *items;
	size_t n;
	R->r->vseconds = 1;
	if (argc >= 2 && strcasecmp(argv[1], "user") == 0) {
		if (argc == 2) {
			(void)sim_state_list(R->h->st, R->h->name, "account", NULL, R->a, &items, &n);
			outf(R, "\r\nUser accounts for \\\\%s\r\n\r\n-------------------------------------------------------------------------------\r\n", computer_name(R));
			for (size_t i = 0; i < n; i++)
				outf(R, "%-25s%s", items[i].key, (i % 3 == 2 || i + 1 == n) ? "\r\n" : "");
			outf(R, "The command completed successfully.\r\n\r\n");
			return 0;
		}
		if (sim_state_get(R->h->st, R->h->name, "account", argv[2], R->a, &it) != 0) {
			errf(R, "The user name could not be found.\r\n\r\nMore help is available by typing NET HELPMSG 2221.\r\n\r\n");
			return 2;
		}
		if (argc == 3) {
			outf(R, "User name                    %s\r\nComment                      %s\r\nAccount active               %s\r\n"
			    "The command completed successfully.\r\n\r\n", it.key, it.c, it.n ? "Yes" : "No");
			return 0;
		}
		if (argc == 4 && strcmp(argv[3], "*") == 0) {
			/* The new password comes from standard input: typed, then retyped. */
			struct stdin_lines in;
			stdin_lines_open(R, &in);
			const char *p1 = stdin_line(&in), *p2 = stdin_line(&in);
			stdin_lines_close(&in);
			outf(R, "Type a password for the user: \r\nRetype the password to confirm: \r\n");
			if (p1 == NULL || p1[0] == '\0') {
				errf(R, "The password does not meet the password policy requirements. Check the minimum password length, password complexity and password history requirements.\r\n\r\nMore help is available by typing NET HELPMSG 2245.\r\n\r\n");
				return 2;
			}
			if (p2 != NULL && strcmp(p1, p2) != 0) {
				errf(R, "The passwords do not match.\r\n\r\nMore help is available by typing NET HELPMSG 2221.\r\n\r\n");
				return 2;
			}
			(void)sim_state_set_password(R->h->st, R->h->name, it.key, p1);
			outf(R, "The command completed successfully.\r\n\r\n");
			return 0;
		}
		/* A password on the command line is refused here on purpose: it would be in argv. */
		errf(R, "rollout-sim: net user NAME PASSWORD puts the password on the command line; use net user NAME * with the password on standard input.\r\n");
		return 2;
	}
	if (argc >= 2 && strcasecmp(argv[1], "accounts") == 0) {
		outf(R, "Force user logoff how long after time expires?:       Never\r\nMinimum password age (days):                          0\r\n"
		    "Maximum password age (days):                          90\r\nMinimum password length:                              8\r\n"
		    "Lockout threshold:                                    5\r\nThe command completed successfully.\r\n\r\n");
		return 0;
	}
	errf(R, "The syntax of this command is:\r\n\r\nNET\r\n    [ ACCOUNTS | COMPUTER | CONFIG | CONTINUE | FILE | GROUP | HELP |\r\n      HELPMSG | LOCALGROUP | PAUSE | SESSION | SHARE | START |\r\n      STATISTICS | STOP | TIME | USE | USER | VIEW ]\r\n\r\n");
	return 1;
}

static int
cmd_netsh(struct run *R, char **argv, size_t argc)
{
	if (argc >= 4 && strcasecmp(argv[1], "advfirewall") == 0 && strcasecmp(argv[2], "show") == 0) {
		static const char *const prof[] = { "Domain", "Private", "Public" };
		for (int i = 0; i < 3; i++)
			outf(R, "\r\n%s Profile Settings: \r\n----------------------------------------------------------------------\r\nState                                 ON\r\n", prof[i]);
		outf(R, "Ok.\r\n\r\n");
		return 0;
	}
	if (argc >= 4 && strcasecmp(argv[1], "interface") == 0) {
		outf(R, "\r\nConfiguration for interface \"Ethernet\"\r\n    DHCP enabled:                         No\r\n"
		    "    IP Address:                           %s\r\n    Subnet Prefix:                        %s/24 (mask 255.255.255.0)\r\n\r\n",
		    R->h->address, R->h->address);
		return 0;
	}
	outf(R, "The following command was not found: %s.\r\n", argc > 1 ? argv[1] : "");
	return 1;
}

/* The vendors' password wrappers: set reads the new value from stdin, check compares. */
static int
cmd_vendor(struct run *R, const char *path)
{
	const char *b = basename_w(path);
	size_t l = strlen(b);
	int set = l > 17 && strcasecmp(b + l - 17, "-set-password.cmd") == 0;
	int check = l > 19 && strcasecmp(b + l - 19, "-check-password.cmd") == 0;
	const char *name = ro_arena_strndup(R->a, b, l - (set ? 17 : check ? 19 : 0));
	const char *pw = stdin_first_line(R);
	R->r->vseconds = 20;
	if (!set && !check) {
		outf(R, "\r\n");
		return 0;
	}
	if (pw == NULL || pw[0] == '\0') {
		errf(R, "no password on standard input\r\n");
		return 2;
	}
	const char *acct = aprintf(R->a, "vendor:%s", name);
	if (set) {
		(void)sim_state_set_password(R->h->st, R->h->name, acct, pw);
		outf(R, "%s: password changed.\r\n", name);
		return 0;
	}
	if (sim_state_check_password(R->h->st, R->h->name, acct, pw)) {
		outf(R, "%s: password OK.\r\n", name);
		return 0;
	}
	errf(R, "%s: password does not match.\r\n", name);
	return 1;
}

/* ---- PowerShell cmdlets ---------------------------------------------------- */

static void
not_found_path(struct sim_ps *ps, const struct sim_call *c, const char *path, const char *cmd)
{
	char cat[600], fq[200];
	snprintf(cat, sizeof(cat), "ObjectNotFound: (%s:String) [%s], ItemNotFoundException", path, c->name);
	snprintf(fq, sizeof(fq), "PathNotFound,Microsoft.PowerShell.Commands.%sCommand", cmd);
	sim_ps_error(ps, c, cat, fq, "Cannot find path '%s' because it does not exist.", path);
}

static const char *
path_arg(struct sim_ps *ps, const struct sim_call *c)
{
	const char *p = sim_call_str(ps, c, "LiteralPath", (size_t)-1);
	if (p == NULL)
		p = sim_call_str(ps, c, "Path", 0);
	if (p == NULL)
		p = sim_call_str(ps, c, "FilePath", (size_t)-1);
	return p;
}

static struct sim_val *
file_obj(struct run *R, struct sim_ps *ps, const struct sim_item *it)
{
	int dir = strcmp(it->b, "dir") == 0;
	struct sim_val *o = sim_v_obj(ps, dir ? "System.IO.DirectoryInfo" : "System.IO.FileInfo",
	    "Mode,LastWriteTime,Length,Name");
	sim_v_set(ps, o, "Mode", sim_v_str(ps, dir ? "d-----" : "-a----"));
	sim_v_set(ps, o, "LastWriteTime", sim_v_date(ps, it->t));
	sim_v_set(ps, o, "Length", dir ? sim_v_str(ps, "") : sim_v_int(ps, it->n));
	sim_v_set(ps, o, "Name", sim_v_str(ps, basename_w(it->key)));
	sim_v_set(ps, o, "FullName", sim_v_str(ps, it->key));
	return o;
}

static int
ps_hotfix(struct run *R, struct sim_ps *ps, struct sim_call *c, struct sim_val *out)
{
	struct sim_item *kb;
	size_t n;
	struct sim_val *ids = sim_call_param(c, "Id");
	if (ids == NULL)
		ids = sim_call_pos(c, 0);
	(void)sim_state_list(R->h->st, R->h->name, "kb", NULL, R->a, &kb, &n);
	ps->vseconds += 2;
	size_t want = ids ? (ids->k == SIM_V_ARR ? ids->n : 1) : 0;
	for (size_t w = 0; w < (ids ? want : 1); w++) {
		const char *id = ids ? sim_v_tostr(ps, ids->k == SIM_V_ARR ? ids->items[w] : ids) : NULL;
		int found = 0;
		for (size_t i = 0; i < n; i++) {
			/* An update waiting for its restart is not listed until the restart. */
			if (kb[i].n != 1 || (id && strcasecmp(id, kb[i].key) != 0))
				continue;
			found = 1;
			struct sim_val *o = sim_v_obj(ps, "System.Management.ManagementObject#root\\cimv2\\Win32_QuickFixEngineering",
			    "Source,Description,HotFixID,InstalledBy,InstalledOn");
			char d[64];
			sim_ps_datestr(ps, kb[i].t - (kb[i].t + 9 * 3600) % 86400, d, sizeof(d));
			sim_v_set(ps, o, "Source", sim_v_str(ps, computer_name(R)));
			sim_v_set(ps, o, "Description", sim_v_str(ps, kb[i].a));
			sim_v_set(ps, o, "HotFixID", sim_v_str(ps, kb[i].key));
			sim_v_set(ps, o, "InstalledBy", sim_v_str(ps, "NT AUTHORITY\\SYSTEM"));
			sim_v_set(ps, o, "InstalledOn", sim_v_date(ps, kb[i].t - (kb[i].t + 9 * 3600) % 86400));
			sim_v_push(ps, out, o);
		}
		if (id && !found)
			sim_ps_error(ps, c, "ObjectNotFound: (:) [Get-HotFix], ArgumentException",
			    "GetHotFixNoEntriesFound,Microsoft.PowerShell.Commands.GetHotFixCommand",
			    "Cannot find the requested hotfix on the 'localhost' computer. Verify the input and run the command again.");
	}
	return 0;
}

static int
ps_filehash(struct run *R, struct sim_ps *ps, struct sim_call *c, struct sim_val *out)
{
	const char *alg = sim_call_str(ps, c, "Algorithm", (size_t)-1);
	const char *p = path_arg(ps, c);
	struct sim_item it;
	if (alg && strcasecmp(alg, "SHA256") != 0) {
		sim_ps_error(ps, c, "NotImplemented: (:) [Get-FileHash], RuntimeException", "RolloutSimNotEmulated",
		    "rollout-sim keeps SHA256 hashes only; use -Algorithm SHA256.");
		return 0;
	}
	if (p == NULL || file_get(R, p, &it) != 0 || strcmp(it.b, "dir") == 0) {
		not_found_path(ps, c, p ? p : "", "GetFileHash");
		return 0;
	}
	ps->vseconds += 1 + (double)it.n / (200.0 * 1024 * 1024);
	struct sim_val *o = sim_v_obj(ps, "Microsoft.Powershell.Utility.FileHash", "Algorithm,Hash,Path");
	sim_v_set(ps, o, "Algorithm", sim_v_str(ps, "SHA256"));
	sim_v_set(ps, o, "Hash", sim_v_str(ps, it.a));
	sim_v_set(ps, o, "Path", sim_v_str(ps, it.key));
	sim_v_push(ps, out, o);
	return 0;
}

static int
ps_psdrive(struct run *R, struct sim_ps *ps, struct sim_call *c, struct sim_val *out)
{
	const char *name = sim_call_str(ps, c, "Name", 0);
	if (name && strcasecmp(name, "C") != 0) {
		char cat[200];
		snprintf(cat, sizeof(cat), "ObjectNotFound: (%s:String) [Get-PSDrive], DriveNotFoundException", name);
		sim_ps_error(ps, c, cat, "GetLocationNoMatchingDrive,Microsoft.PowerShell.Commands.GetPSDriveCommand",
		    "Cannot find drive. A drive with the name '%s' does not exist.", name);
		return 0;
	}
	int64_t fr = sim_disk_free(R->h), size = sim_state_num(R->h->st, R->h->name, "disk_size", 0);
	struct sim_val *o = sim_v_obj(ps, "System.Management.Automation.PSDriveInfo", "Name,Used (GB),Free (GB),Provider,Root");
	sim_v_set(ps, o, "Name", sim_v_str(ps, "C"));
	sim_v_set(ps, o, "Used (GB)", sim_v_strf(ps, "%.2f", (double)(size - fr) / 1073741824.0));
	sim_v_set(ps, o, "Free (GB)", sim_v_strf(ps, "%.2f", (double)fr / 1073741824.0));
	sim_v_set(ps, o, "Provider", sim_v_str(ps, "FileSystem"));
	sim_v_set(ps, o, "Root", sim_v_str(ps, "C:\\"));
	sim_v_set(ps, o, "Used", sim_v_int(ps, size - fr));
	sim_v_set(ps, o, "Free", sim_v_int(ps, fr));
	sim_v_push(ps, out, o);
	return 0;
}

static struct sim_val *
service_obj(struct sim_ps *ps, const struct sim_item *s)
{
	struct sim_val *o = sim_v_obj(ps, "System.ServiceProcess.ServiceController", "Status,Name,DisplayName");
	sim_v_set(ps, o, "Status", sim_v_str(ps, s->b));
	sim_v_set(ps, o, "Name", sim_v_str(ps, s->key));
	sim_v_set(ps, o, "DisplayName", sim_v_str(ps, s->a));
	sim_v_set(ps, o, "StartType", sim_v_str(ps, s->c));
	return o;
}

static int
ps_service(struct run *R, struct sim_ps *ps, struct sim_call *c, struct sim_val *out, const char *set)
{
	struct sim_item *items;
	size_t n;
	struct sim_val *names = sim_call_param(c, "Name");
	if (names == NULL)
		names = sim_call_pos(c, 0);
	(void)sim_state_list(R->h->st, R->h->name, "service", NULL, R->a, &items, &n);
	size_t want = names ? (names->k == SIM_V_ARR ? names->n : 1) : 1;
	for (size_t w = 0; w < want; w++) {
		const char *name = names ? sim_v_tostr(ps, names->k == SIM_V_ARR ? names->items[w] : names) : NULL;
		int found = 0;
		for (size_t i = 0; i < n; i++) {
			if (name && strcasecmp(name, items[i].key) != 0 && strcasecmp(name, items[i].a) != 0 &&
			    !(strchr(name, '*')))
				continue;
			found = 1;
			if (set) {
				items[i].b = set;
				(void)sim_state_put(R->h->st, R->h->name, "service", &items[i]);
				ps->vseconds += 5;
				continue;
			}
			sim_v_push(ps, out, service_obj(ps, &items[i]));
		}
		if (name && !found && !strchr(name, '*')) {
			char cat[300];
			snprintf(cat, sizeof(cat), "ObjectNotFound: (%s:String) [%s], ServiceCommandException", name, c->name);
			sim_ps_error(ps, c, cat, "NoServiceFoundForGivenName,Microsoft.PowerShell.Commands.GetServiceCommand",
			    "Cannot find any service with service name '%s'.", name);
		}
	}
	return 0;
}

static int
ps_remove_item(struct run *R, struct sim_ps *ps, struct sim_call *c)
{
	const char *p = path_arg(ps, c);
	struct sim_item it;
	if (p == NULL || file_get(R, p, &it) != 0) {
		not_found_path(ps, c, p ? p : "", "RemoveItem");
		return 0;
	}
	const char *w = winpath(R->a, p);
	if (strcmp(it.b, "dir") == 0) {
		struct sim_item *items;
		size_t n;
		(void)sim_state_list(R->h->st, R->h->name, "file", aprintf(R->a, "%s\\", w), R->a, &items, &n);
		if (n > 0 && !sim_call_switch(c, "Recurse")) {
			sim_ps_error(ps, c, "NotSpecified: (:) [Remove-Item], IOException",
			    "RemoveItemIOError,Microsoft.PowerShell.Commands.RemoveItemCommand",
			    "The item at %s has children and the Recurse parameter was not specified.", w);
			return 0;
		}
		(void)sim_state_del_prefix(R->h->st, R->h->name, "file", aprintf(R->a, "%s\\", w));
	}
	(void)sim_state_del(R->h->st, R->h->name, "file", w);
	return 0;
}

static const char *
content_of(struct run *R, struct sim_ps *ps, struct sim_call *c, struct sim_item *it)
{
	const char *p = path_arg(ps, c);
	if (p == NULL || file_get(R, p, it) != 0 || strcmp(it->b, "dir") == 0) {
		not_found_path(ps, c, p ? p : "", c->name[0] == 'I' || c->name[0] == 'i' ? "ImportCsv" : "GetContent");
		return NULL;
	}
	if (strcmp(it->b, "upload") == 0 && it->c[0] == '\0') {
		sim_ps_error(ps, c, "NotImplemented: (:) [], RuntimeException", "RolloutSimNotEmulated",
		    "rollout-sim keeps the hash and size of uploaded files, not their content.");
		return NULL;
	}
	return it->c;
}

static int
ps_get_content(struct run *R, struct sim_ps *ps, struct sim_call *c, struct sim_val *out)
{
	struct sim_item it;
	const char *s = content_of(R, ps, c, &it);
	if (s == NULL)
		return 0;
	char *d = ro_arena_strdup(R->a, s);
	for (char *line = d; *line;) {
		char *e = strchr(line, '\n');
		if (e)
			*e = '\0';
		size_t l = strlen(line);
		if (l && line[l - 1] == '\r')
			line[l - 1] = '\0';
		sim_v_push(ps, out, sim_v_str(ps, line));
		if (!e)
			break;
		line = e + 1;
	}
	return 0;
}

static int
ps_import_csv(struct run *R, struct sim_ps *ps, struct sim_call *c, struct sim_val *out)
{
	struct sim_item it;
	const char *s = content_of(R, ps, c, &it);
	if (s == NULL)
		return 0;
	char *d = ro_arena_strdup(R->a, s);
	char *hdr[32];
	size_t nh = 0;
	int first = 1;
	for (char *line = strtok(d, "\r\n"); line; line = strtok(NULL, "\r\n")) {
		char *f[32];
		size_t nf = 0;
		for (char *p = line; nf < 32;) {
			f[nf++] = p;
			char *comma = strchr(p, ',');
			if (!comma)
				break;
			*comma = '\0';
			p = comma + 1;
		}
		if (first) {
			memcpy(hdr, f, nf * sizeof(*f));
			nh = nf;
			first = 0;
			continue;
		}
		struct sim_val *o = sim_v_obj(ps, "System.Management.Automation.PSCustomObject", NULL);
		for (size_t i = 0; i < nh; i++)
			sim_v_set(ps, o, hdr[i], sim_v_str(ps, i < nf ? f[i] : ""));
		sim_v_push(ps, out, o);
	}
	return 0;
}

/* HKLM:\...\Uninstall\* and Registry::KEY paths. */
static int
ps_itemproperty(struct run *R, struct sim_ps *ps, struct sim_call *c, struct sim_val *out)
{
	struct sim_val *paths = sim_call_param(c, "LiteralPath");
	if (paths == NULL)
		paths = sim_call_param(c, "Path");
	if (paths == NULL)
		paths = sim_call_pos(c, 0);
	const char *name = sim_call_str(ps, c, "Name", 1);
	size_t np = paths ? (paths->k == SIM_V_ARR ? paths->n : 1) : 0;
	int uninstall_done = 0;
	for (size_t k = 0; k < np; k++) {
		const char *p = sim_v_tostr(ps, paths->k == SIM_V_ARR ? paths->items[k] : paths);
		size_t l = strlen(p);
		if (l > 11 && strcasecmp(p + l - 11, "Uninstall\\*") == 0) {
			if (uninstall_done++)
				continue; /* WOW6432Node: the same list in this simulator */
			struct sim_item *items;
			size_t n;
			(void)sim_state_list(R->h->st, R->h->name, "software", NULL, R->a, &items, &n);
			for (size_t i = 0; i < n; i++) {
				struct sim_val *o = sim_v_obj(ps, "System.Management.Automation.PSCustomObject", NULL);
				sim_v_set(ps, o, "DisplayName", sim_v_str(ps, items[i].key));
				sim_v_set(ps, o, "DisplayVersion", sim_v_str(ps, items[i].a));
				sim_v_set(ps, o, "Publisher", sim_v_str(ps, items[i].b));
				sim_v_push(ps, out, o);
			}
			if (deviated(R, "t09", "c07")) {
				struct sim_val *o = sim_v_obj(ps, "System.Management.Automation.PSCustomObject", NULL);
				sim_v_set(ps, o, "DisplayName", sim_v_str(ps, "Free Screen Recorder"));
				sim_v_set(ps, o, "DisplayVersion", sim_v_str(ps, "5.1"));
				sim_v_set(ps, o, "Publisher", sim_v_str(ps, "Unknown"));
				sim_v_push(ps, out, o);
			}
			continue;
		}
		const char *key = reg_root(R->a, p);
		struct sim_item *items;
		size_t n;
		(void)sim_state_list(R->h->st, R->h->name, "reg", aprintf(R->a, "%s|", key), R->a, &items, &n);
		if (n == 0) {
			not_found_path(ps, c, p, "GetItemProperty");
			continue;
		}
		struct sim_val *o = sim_v_obj(ps, "System.Management.Automation.PSCustomObject", NULL);
		int found = name == NULL;
		for (size_t i = 0; i < n; i++) {
			const char *vn = strchr(items[i].key, '|') + 1;
			if (name && strcasecmp(name, vn) != 0)
				continue;
			found = 1;
			int64_t x;
			const char *data = items[i].b;
			/* t14: a screen saver that waits half an hour. */
			if (strcasecmp(vn, "ScreenSaveTimeOut") == 0 && deviated(R, "t14", NULL))
				data = "1800";
			struct sim_val *v = strcasecmp(items[i].a, "REG_DWORD") == 0 && sim_v_toint(sim_v_str(ps, data), &x) == 0 ?
			    sim_v_int(ps, x) : sim_v_str(ps, data);
			sim_v_set(ps, o, vn, v);
		}
		if (!found) {
			char cat[300];
			snprintf(cat, sizeof(cat), "InvalidArgument: (%s:String) [Get-ItemProperty], PSArgumentException", name);
			sim_ps_error(ps, c, cat, "System.Management.Automation.PSArgumentException,Microsoft.PowerShell.Commands.GetItemPropertyCommand",
			    "Property %s does not exist at path %s.", name, p);
			continue;
		}
		sim_v_set(ps, o, "PSPath", sim_v_strf(ps, "Microsoft.PowerShell.Core\\Registry::%s", key));
		sim_v_push(ps, out, o);
	}
	return 0;
}

static int
ps_set_itemproperty(struct run *R, struct sim_ps *ps, struct sim_call *c, int remove)
{
	const char *p = path_arg(ps, c), *name = sim_call_str(ps, c, "Name", 1);
	const char *val = sim_call_str(ps, c, "Value", 2);
	if (p == NULL || name == NULL) {
		sim_ps_error(ps, c, "InvalidArgument: (:) [], ParameterBindingException", "MissingArgument",
		    "Missing an argument for parameter 'Name'.");
		return 0;
	}
	const char *key = reg_root(R->a, p), *ik = reg_item(R->a, key, name);
	if (remove) {
		if (sim_state_del(R->h->st, R->h->name, "reg", ik) != 0) {
			char cat[300];
			snprintf(cat, sizeof(cat), "InvalidArgument: (%s:String) [Remove-ItemProperty], PSArgumentException", name);
			sim_ps_error(ps, c, cat, "System.Management.Automation.PSArgumentException,Microsoft.PowerShell.Commands.RemoveItemPropertyCommand",
			    "Property %s does not exist at path %s.", name, p);
		}
		return 0;
	}
	struct sim_item w = { .key = ik, .a = "REG_SZ", .b = val ? val : "" };
	(void)sim_state_put(R->h->st, R->h->name, "reg", &w);
	return 0;
}

static int
ps_localuser(struct run *R, struct sim_ps *ps, struct sim_call *c, struct sim_val *out)
{
	struct sim_item *items;
	size_t n;
	const char *name = sim_call_str(ps, c, "Name", 0);
	(void)sim_state_list(R->h->st, R->h->name, "account", NULL, R->a, &items, &n);
	int found = 0;
	for (size_t i = 0; i < n; i++) {
		if (strncmp(items[i].key, "vendor:", 7) == 0 || (name && strcasecmp(name, items[i].key) != 0))
			continue;
		found = 1;
		struct sim_val *o = sim_v_obj(ps, "Microsoft.PowerShell.Commands.LocalUser", "Name,Enabled,Description");
		sim_v_set(ps, o, "Name", sim_v_str(ps, items[i].key));
		sim_v_set(ps, o, "Enabled", sim_v_bool(ps, items[i].n != 0));
		sim_v_set(ps, o, "Description", sim_v_str(ps, items[i].c));
		/* Passwords were last set a month before the host was first seen; c06 plants a
		 * password older than any campaign. */
		sim_v_set(ps, o, "PasswordLastSet", sim_v_date(ps,
		    sim_state_num(R->h->st, R->h->name, "created", R->h->now) - (deviated(R, NULL, "c06") ? 400 : 30) * 86400));
		sim_v_push(ps, out, o);
	}
	if (name == NULL && deviated(R, "t03", "c02")) {
		struct sim_val *o = sim_v_obj(ps, "Microsoft.PowerShell.Commands.LocalUser", "Name,Enabled,Description");
		sim_v_set(ps, o, "Name", sim_v_str(ps, "support01"));
		sim_v_set(ps, o, "Enabled", sim_v_bool(ps, 1));
		sim_v_set(ps, o, "Description", sim_v_str(ps, ""));
		sim_v_push(ps, out, o);
	}
	if (name && !found) {
		char cat[300];
		snprintf(cat, sizeof(cat), "ObjectNotFound: (%s:String) [Get-LocalUser], UserNotFoundException", name);
		sim_ps_error(ps, c, cat, "UserNotFound,Microsoft.PowerShell.Commands.GetLocalUserCommand",
		    "User %s was not found.", name);
	}
	return 0;
}

static int
ps_set_localuser(struct run *R, struct sim_ps *ps, struct sim_call *c)
{
	const char *name = sim_call_str(ps, c, "Name", 0);
	struct sim_val *pw = sim_call_param(c, "Password");
	struct sim_item it;
	ps->vseconds += 2;
	if (name == NULL || sim_state_get(R->h->st, R->h->name, "account", name, R->a, &it) != 0) {
		char cat[300];
		snprintf(cat, sizeof(cat), "ObjectNotFound: (%s:String) [Set-LocalUser], UserNotFoundException", name ? name : "");
		sim_ps_error(ps, c, cat, "UserNotFound,Microsoft.PowerShell.Commands.SetLocalUserCommand",
		    "User %s was not found.", name ? name : "");
		return 0;
	}
	if (pw == NULL)
		return 0;
	if (pw->k != SIM_V_OBJ || pw->s == NULL || strcmp(pw->s, "System.Security.SecureString") != 0) {
		sim_ps_error(ps, c, "InvalidArgument: (:) [Set-LocalUser], ParameterBindingException",
		    "CannotConvertArgumentNoMessage,Microsoft.PowerShell.Commands.SetLocalUserCommand",
		    "Cannot bind parameter 'Password'. Cannot convert the value of type \"System.String\" to type \"System.Security.SecureString\".");
		return 0;
	}
	const char *secret = pw->block;
	if (secret == NULL || strlen(secret) < 8) {
		sim_ps_error(ps, c, "InvalidOperation: (:) [Set-LocalUser], InvalidPasswordException",
		    "InvalidPassword,Microsoft.PowerShell.Commands.SetLocalUserCommand",
		    "The password does not meet the password policy requirements. Check the minimum password length, password complexity and password history requirements.");
		return 0;
	}
	(void)sim_state_set_password(R->h->st, R->h->name, it.key, secret);
	return 0;
}

static int
ps_securestring(struct run *R, struct sim_ps *ps, struct sim_call *c, struct sim_val *out)
{
	struct sim_val *v = sim_call_param(c, "String");
	if (v == NULL)
		v = sim_call_pos(c, 0);
	if (v == NULL && c->input->n)
		v = c->input->items[0];
	if (v == NULL || v->k == SIM_V_NULL) {
		sim_ps_error(ps, c, "InvalidData: (:) [ConvertTo-SecureString], ParameterBindingValidationException",
		    "ParameterArgumentValidationErrorNullNotAllowed,Microsoft.PowerShell.Commands.ConvertToSecureStringCommand",
		    "Cannot bind argument to parameter 'String' because it is null.");
		return 0;
	}
	if (!sim_call_switch(c, "AsPlainText")) {
		sim_ps_error(ps, c, "InvalidArgument: (:) [ConvertTo-SecureString], FormatException",
		    "ImportSecureString_InvalidArgument,Microsoft.PowerShell.Commands.ConvertToSecureStringCommand",
		    "Input string was not in a correct format.");
		return 0;
	}
	struct sim_val *s = sim_v_obj(ps, "System.Security.SecureString", NULL);
	s->block = sim_v_tostr(ps, v);
	sim_v_set(ps, s, "Length", sim_v_int(ps, (int64_t)strlen(s->block)));
	sim_v_push(ps, out, s);
	return 0;
}

static int
ps_cim(struct run *R, struct sim_ps *ps, struct sim_call *c, struct sim_val *out)
{
	const char *cls = sim_call_str(ps, c, "ClassName", 0);
	if (cls == NULL)
		cls = sim_call_str(ps, c, "Class", (size_t)-1);
	const char *filter = sim_call_str(ps, c, "Filter", (size_t)-1);
	struct sim_item it, *items;
	size_t n;
	ps->vseconds += 1;
	if (cls && strcasecmp(cls, "Win32_OperatingSystem") == 0) {
		struct sim_val *o = sim_v_obj(ps, "Microsoft.Management.Infrastructure.CimInstance#root/cimv2/Win32_OperatingSystem",
		    "SystemDirectory,Organization,BuildNumber,RegisteredUser,SerialNumber,Version");
		const char *build = sim_state_get(R->h->st, R->h->name, "host", "os_build", R->a, &it) == 0 ? it.a : "";
		const char *cap = sim_state_get(R->h->st, R->h->name, "host", "caption", R->a, &it) == 0 ? it.a : "";
		sim_v_set(ps, o, "SystemDirectory", sim_v_str(ps, "C:\\Windows\\system32"));
		sim_v_set(ps, o, "Organization", sim_v_str(ps, "Sapporo City"));
		sim_v_set(ps, o, "BuildNumber", sim_v_str(ps, strrchr(build, '.') ? strrchr(build, '.') + 1 : build));
		sim_v_set(ps, o, "RegisteredUser", sim_v_str(ps, "Sapporo City"));
		sim_v_set(ps, o, "SerialNumber", sim_v_strf(ps, "00330-80000-%05u-AA%03u", R->h->index, R->h->index % 1000));
		sim_v_set(ps, o, "Version", sim_v_str(ps, build));
		sim_v_set(ps, o, "Caption", sim_v_str(ps, cap));
		sim_v_set(ps, o, "CSName", sim_v_str(ps, computer_name(R)));
		sim_v_set(ps, o, "LastBootUpTime", sim_v_date(ps, sim_state_num(R->h->st, R->h->name, "boot_time", 0)));
		sim_v_set(ps, o, "LocalDateTime", sim_v_date(ps, R->h->now));
		sim_v_push(ps, out, o);
		return 0;
	}
	if (cls && strcasecmp(cls, "Win32_Service") == 0) {
		(void)sim_state_list(R->h->st, R->h->name, "service", NULL, R->a, &items, &n);
		for (size_t i = 0; i < n; i++) {
			const char *mode = strcasecmp(items[i].c, "Automatic") == 0 ? "Auto" : items[i].c;
			if (filter && strstr(filter, "Auto") && strcmp(mode, "Auto") != 0)
				continue;
			struct sim_val *o = sim_v_obj(ps, "Win32_Service", "ProcessId,Name,StartMode,State,Status,ExitCode");
			sim_v_set(ps, o, "ProcessId", sim_v_int(ps, strcmp(items[i].b, "Running") == 0 ? 1000 + (int64_t)i * 4 : 0));
			sim_v_set(ps, o, "Name", sim_v_str(ps, items[i].key));
			sim_v_set(ps, o, "StartMode", sim_v_str(ps, mode));
			sim_v_set(ps, o, "State", sim_v_str(ps, items[i].b));
			sim_v_set(ps, o, "Status", sim_v_str(ps, "OK"));
			sim_v_set(ps, o, "ExitCode", sim_v_int(ps, 0));
			sim_v_push(ps, out, o);
		}
		return 0;
	}
	if (cls && strcasecmp(cls, "Win32_StartupCommand") == 0) {
		struct sim_val *o = sim_v_obj(ps, "Win32_StartupCommand", "Command,User,Caption");
		sim_v_set(ps, o, "Command", sim_v_str(ps, "\"C:\\Windows\\System32\\SecurityHealthSystray.exe\""));
		sim_v_set(ps, o, "User", sim_v_str(ps, "Public"));
		sim_v_set(ps, o, "Caption", sim_v_str(ps, "SecurityHealth"));
		sim_v_push(ps, out, o);
		if (deviated(R, "t05", "c04")) { /* an unneeded program starts with Windows */
			o = sim_v_obj(ps, "Win32_StartupCommand", "Command,User,Caption");
			sim_v_set(ps, o, "Command", sim_v_str(ps, "C:\\Users\\Public\\remote-helper.exe"));
			sim_v_set(ps, o, "User", sim_v_str(ps, "Public"));
			sim_v_set(ps, o, "Caption", sim_v_str(ps, "RemoteHelper"));
			sim_v_push(ps, out, o);
		}
		return 0;
	}
	if (cls && strcasecmp(cls, "WmiMonitorID") == 0) {
		struct sim_val *o = sim_v_obj(ps, "WmiMonitorID", "InstanceName,Active");
		sim_v_set(ps, o, "InstanceName", sim_v_str(ps, "DISPLAY\\FUJ17A1\\5&1a2b3c4d&0&UID4352_0"));
		sim_v_set(ps, o, "Active", sim_v_bool(ps, 1));
		sim_v_push(ps, out, o);
		return 0;
	}
	char cat[300];
	snprintf(cat, sizeof(cat), "MetadataError: (root\\cimv2:%s:String) [Get-CimInstance], CimException", cls ? cls : "");
	sim_ps_error(ps, c, cat, "HRESULT 0x80041010,Microsoft.Management.Infrastructure.CimCmdlets.GetCimInstanceCommand", "Invalid class ");
	return 0;
}

static int
ps_list_kind(struct run *R, struct sim_ps *ps, struct sim_val *out, const char *kind)
{
	struct sim_item *items;
	size_t n;
	(void)sim_state_list(R->h->st, R->h->name, kind, NULL, R->a, &items, &n);
	for (size_t i = 0; i < n; i++) {
		struct sim_val *o;
		if (strcmp(kind, "share") == 0) {
			o = sim_v_obj(ps, "MSFT_SmbShare", "Name,ScopeName,Path,Description");
			sim_v_set(ps, o, "Name", sim_v_str(ps, items[i].key));
			sim_v_set(ps, o, "ScopeName", sim_v_str(ps, "*"));
			sim_v_set(ps, o, "Path", sim_v_str(ps, items[i].a));
			sim_v_set(ps, o, "Description", sim_v_str(ps, items[i].b));
		} else if (strcmp(kind, "firewall") == 0) {
			o = sim_v_obj(ps, "MSFT_NetFirewallRule", "Name,DisplayName,Enabled,Direction,Action");
			sim_v_set(ps, o, "Name", sim_v_str(ps, items[i].key));
			sim_v_set(ps, o, "DisplayName", sim_v_str(ps, items[i].a));
			sim_v_set(ps, o, "Enabled", sim_v_str(ps, items[i].n ? "True" : "False"));
			sim_v_set(ps, o, "Direction", sim_v_str(ps, items[i].b));
			sim_v_set(ps, o, "Action", sim_v_str(ps, items[i].c));
		} else if (strcmp(kind, "event") == 0) {
			o = sim_v_obj(ps, "System.Diagnostics.Eventing.Reader.EventLogRecord", "TimeCreated,Id,LevelDisplayName,Message");
			sim_v_set(ps, o, "TimeCreated", sim_v_date(ps, items[i].t));
			sim_v_set(ps, o, "Id", sim_v_int(ps, items[i].n));
			sim_v_set(ps, o, "LevelDisplayName", sim_v_str(ps, "Information"));
			sim_v_set(ps, o, "Message", sim_v_str(ps, items[i].a));
			sim_v_set(ps, o, "LogName", sim_v_str(ps, items[i].b));
		} else {
			continue;
		}
		sim_v_push(ps, out, o);
	}
	if (strcmp(kind, "share") == 0 && deviated(R, "t04", "c03")) {
		struct sim_val *o = sim_v_obj(ps, "MSFT_SmbShare", "Name,ScopeName,Path,Description");
		sim_v_set(ps, o, "Name", sim_v_str(ps, "Public"));
		sim_v_set(ps, o, "ScopeName", sim_v_str(ps, "*"));
		sim_v_set(ps, o, "Path", sim_v_str(ps, "C:\\Users\\Public"));
		sim_v_set(ps, o, "Description", sim_v_str(ps, ""));
		sim_v_push(ps, out, o);
	}
	if (strcmp(kind, "firewall") == 0 && deviated(R, "t02", "c01")) {
		struct sim_val *o = sim_v_obj(ps, "MSFT_NetFirewallRule", "Name,DisplayName,Enabled,Direction,Action");
		sim_v_set(ps, o, "Name", sim_v_str(ps, "RemoteHelper-In-TCP-8080"));
		sim_v_set(ps, o, "DisplayName", sim_v_str(ps, "Remote Helper (TCP-In)"));
		sim_v_set(ps, o, "Enabled", sim_v_str(ps, "True"));
		sim_v_set(ps, o, "Direction", sim_v_str(ps, "Inbound"));
		sim_v_set(ps, o, "Action", sim_v_str(ps, "Allow"));
		sim_v_push(ps, out, o);
	}
	return 0;
}

static int
ps_winevent(struct run *R, struct sim_ps *ps, struct sim_call *c, struct sim_val *out)
{
	struct sim_val *f = sim_call_param(c, "FilterHashtable");
	struct sim_val *all = sim_v_arr(ps);
	ps_list_kind(R, ps, all, "event");
	struct sim_val *log = sim_v_get(f, "LogName"), *id = sim_v_get(f, "Id"), *start = sim_v_get(f, "StartTime");
	int64_t want = -1;
	if (id)
		(void)sim_v_toint(id, &want);
	for (size_t i = 0; i < all->n; i++) {
		struct sim_val *e = all->items[i];
		if (log && strcasecmp(sim_v_tostr(ps, log), sim_v_tostr(ps, sim_v_get(e, "LogName"))) != 0)
			continue;
		if (want >= 0 && sim_v_get(e, "Id")->i != want)
			continue;
		if (start && start->k == SIM_V_DATE && sim_v_get(e, "TimeCreated")->i < start->i)
			continue;
		sim_v_push(ps, out, e);
	}
	if (out->n == 0)
		sim_ps_error(ps, c, "ObjectNotFound: (:) [Get-WinEvent], Exception",
		    "NoMatchingEventsFound,Microsoft.PowerShell.Commands.GetWinEventCommand",
		    "No events were found that match the specified selection criteria.");
	return 0;
}

static int
ps_netip(struct run *R, struct sim_ps *ps, struct sim_call *c, struct sim_val *out, int what)
{
	const char *ip = sim_call_str(ps, c, "IPAddress", (size_t)-1);
	struct sim_item it;
	const char *addr = sim_state_get(R->h->st, R->h->name, "host", "ipv4", R->a, &it) == 0 && it.a[0] ? it.a : R->h->address;
	if (what == 0) {
		if (ip && strcmp(ip, addr) != 0) {
			sim_ps_error(ps, c, "ObjectNotFound: (MSFT_NetIPAddress:String) [Get-NetIPAddress], CimJobException",
			    "CmdletizationQuery_NotFound,Get-NetIPAddress",
			    "No matching MSFT_NetIPAddress objects found by CIM query for instances of the ROOT/StandardCimv2/MSFT_NetIPAddress class on the  CIM server: SELECT * FROM MSFT_NetIPAddress  WHERE ((IPAddress LIKE '%s')) AND ((AddressFamily = 2)). Verify query parameters and retry.", ip);
			return 0;
		}
		struct sim_val *o = sim_v_obj(ps, "MSFT_NetIPAddress", NULL);
		sim_v_set(ps, o, "IPAddress", sim_v_str(ps, addr));
		sim_v_set(ps, o, "InterfaceIndex", sim_v_int(ps, 12));
		sim_v_set(ps, o, "InterfaceAlias", sim_v_str(ps, "Ethernet"));
		sim_v_set(ps, o, "AddressFamily", sim_v_str(ps, "IPv4"));
		sim_v_set(ps, o, "PrefixLength", sim_v_int(ps, 24));
		sim_v_set(ps, o, "PrefixOrigin", sim_v_str(ps, "Manual"));
		sim_v_push(ps, out, o);
	} else if (what == 1) {
		struct sim_val *o = sim_v_obj(ps, "NetIPConfiguration", NULL);
		sim_v_set(ps, o, "InterfaceAlias", sim_v_str(ps, "Ethernet"));
		sim_v_set(ps, o, "InterfaceIndex", sim_v_int(ps, 12));
		sim_v_set(ps, o, "InterfaceDescription", sim_v_str(ps, "Intel(R) Ethernet Connection (17) I219-LM"));
		sim_v_set(ps, o, "IPv4Address", sim_v_str(ps, addr));
		sim_v_set(ps, o, "IPv4DefaultGateway", sim_v_str(ps, "127.10.0.254"));
		sim_v_set(ps, o, "DNSServer", sim_v_str(ps, "127.10.0.253"));
		sim_v_push(ps, out, o);
	} else {
		struct sim_val *o = sim_v_obj(ps, "MSFT_NetIPInterface", "ifIndex,InterfaceAlias,AddressFamily,Dhcp,ConnectionState");
		sim_v_set(ps, o, "ifIndex", sim_v_int(ps, 12));
		sim_v_set(ps, o, "InterfaceAlias", sim_v_str(ps, "Ethernet"));
		sim_v_set(ps, o, "AddressFamily", sim_v_str(ps, "IPv4"));
		sim_v_set(ps, o, "Dhcp", sim_v_str(ps, deviated(R, "t10", "c08") ? "Enabled" : "Disabled"));
		sim_v_set(ps, o, "ConnectionState", sim_v_str(ps, "Connected"));
		sim_v_push(ps, out, o);
	}
	return 0;
}

static int
ps_pnp(struct run *R, struct sim_ps *ps, struct sim_call *c, struct sim_val *out)
{
	static const struct { const char *cls, *name, *id, *hw; int term; } dev[] = {
		{ "HIDClass", "HID-compliant touch screen", "HID\\VID_0EEF&PID_C000&COL01\\6&2A1B&0&0000",
		  "HID_DEVICE_UP:000D_U:0004", 1 },
		{ "HIDClass", "USB Input Device", "USB\\VID_0EEF&PID_C000\\5&1F2E&0&2", "USB\\VID_0EEF&PID_C000", 1 },
		{ "HIDClass", "HID Keyboard Device", "HID\\VID_04CA&PID_0061\\7&3B2&0&0000", "HID_DEVICE_SYSTEM_KEYBOARD", 0 },
		{ "Monitor", "Generic PnP Monitor", "DISPLAY\\FUJ17A1\\5&1A2B3C4D&0&UID4352", "MONITOR\\FUJ17A1", 0 },
	};
	struct sim_val *cls = sim_call_param(c, "Class");
	for (size_t i = 0; i < sizeof(dev) / sizeof(dev[0]); i++) {
		if (dev[i].term && R->h->cs)
			continue;
		if (cls) {
			struct sim_val *a = cls->k == SIM_V_ARR ? cls : NULL;
			int hit = 0;
			for (size_t k = 0; k < (a ? a->n : 1); k++)
				hit |= strcasecmp(sim_v_tostr(ps, a ? a->items[k] : cls), dev[i].cls) == 0;
			if (!hit)
				continue;
		}
		struct sim_val *o = sim_v_obj(ps, "Win32_PnPEntity", "Status,Class,FriendlyName,InstanceId");
		sim_v_set(ps, o, "Status", sim_v_str(ps, "OK"));
		sim_v_set(ps, o, "Class", sim_v_str(ps, dev[i].cls));
		sim_v_set(ps, o, "FriendlyName", sim_v_str(ps, dev[i].name));
		sim_v_set(ps, o, "InstanceId", sim_v_str(ps, dev[i].id));
		sim_v_set(ps, o, "HardwareID", sim_v_str(ps, dev[i].hw));
		sim_v_push(ps, out, o);
	}
	return 0;
}

static int
ps_childitem(struct run *R, struct sim_ps *ps, struct sim_call *c, struct sim_val *out)
{
	const char *p = path_arg(ps, c);
	if (p && strcasecmp(reg_root(R->a, p), "HKEY_USERS") == 0) {
		static const char *const sids[] = { ".DEFAULT", "S-1-5-18", "S-1-5-21-3623811015-3361044348-30300820-1001" };
		for (size_t i = 0; i < 3; i++) {
			if (i == 2 && R->h->cs)
				continue;
			struct sim_val *o = sim_v_obj(ps, "Microsoft.Win32.RegistryKey", "Name");
			sim_v_set(ps, o, "Name", sim_v_strf(ps, "HKEY_USERS\\%s", sids[i]));
			sim_v_set(ps, o, "PSChildName", sim_v_str(ps, sids[i]));
			sim_v_push(ps, out, o);
		}
		return 0;
	}
	struct sim_item *items;
	size_t n;
	const char *w = winpath(R->a, p ? p : "C:\\");
	if (!dir_exists(R, w)) {
		not_found_path(ps, c, w, "GetChildItem");
		return 0;
	}
	(void)sim_state_list(R->h->st, R->h->name, "file", aprintf(R->a, "%s\\", w), R->a, &items, &n);
	for (size_t i = 0; i < n; i++)
		if (strchr(items[i].key + strlen(w) + 1, '\\') == NULL)
			sim_v_push(ps, out, file_obj(R, ps, &items[i]));
	return 0;
}

/* Get-NetTCPConnection [-State Listen] [-LocalPort N]: the listening ports of a
 * Windows host (RPC, SMB, RDP, WinRM) and, on the CS, Oracle's listener on the
 * city's port 1522; c10 plants a listener on the default port 1521. Nothing
 * matching: CmdletizationQuery_NotFound, as Windows says it. */
static int
ps_tcpconn(struct run *R, struct sim_ps *ps, struct sim_call *c, struct sim_val *out)
{
	static const int term_ports[] = { 135, 445, 3389, 5985 };
	int ports[8];
	size_t np = 0;
	for (size_t i = 0; i < RO_NELEM(term_ports); i++)
		ports[np++] = term_ports[i];
	if (R->h->cs)
		ports[np++] = 1522;
	if (deviated(R, NULL, "c10"))
		ports[np++] = 1521;
	const char *state = sim_call_str(ps, c, "State", (size_t)-1);
	const char *lp = sim_call_str(ps, c, "LocalPort", (size_t)-1);
	int64_t want = -1;
	if (lp != NULL && sim_v_toint(sim_v_str(ps, lp), &want) != 0)
		want = -2;
	if (state != NULL && strcasecmp(state, "Listen") != 0)
		np = 0; /* only listeners are emulated */
	for (size_t i = 0; i < np; i++) {
		if (want != -1 && ports[i] != want)
			continue;
		struct sim_val *o = sim_v_obj(ps, "MSFT_NetTCPConnection", "LocalAddress,LocalPort,RemoteAddress,RemotePort,State,AppliedSetting,OwningProcess");
		sim_v_set(ps, o, "LocalAddress", sim_v_str(ps, "0.0.0.0"));
		sim_v_set(ps, o, "LocalPort", sim_v_int(ps, ports[i]));
		sim_v_set(ps, o, "RemoteAddress", sim_v_str(ps, "0.0.0.0"));
		sim_v_set(ps, o, "RemotePort", sim_v_int(ps, 0));
		sim_v_set(ps, o, "State", sim_v_str(ps, "Listen"));
		sim_v_set(ps, o, "AppliedSetting", sim_v_str(ps, ""));
		sim_v_set(ps, o, "OwningProcess", sim_v_int(ps, 900 + ports[i] % 97));
		sim_v_push(ps, out, o);
	}
	if (out->n == 0)
		sim_ps_error(ps, c, "ObjectNotFound: (MSFT_NetTCPConnection:String) [Get-NetTCPConnection], CimJobException",
		    "CmdletizationQuery_NotFound,Get-NetTCPConnection",
		    "No matching MSFT_NetTCPConnection objects found by CIM query for instances of the "
		    "ROOT/StandardCimv2/MSFT_NetTCPConnection class on the  CIM server. Verify query parameters and retry.");
	return 0;
}

static int native(struct run *R, char **argv, size_t argc, int *code);
static int run_powershell(struct run *R, char **argv, size_t argc);

/* Injected failures and drops, for a program or cmdlet name. 1: fail with *code. */
static int
injected(struct run *R, const char *name, int *code)
{
	const struct sim_faults *f = R->h->faults;
	if (f == NULL)
		return 0;
	const struct sim_fault *x = sim_faults_find(f, SIM_FAULT_DROP, R->h->name, R->h->site, name);
	if ((x && x->program) || (R->h->fault_counter && sim_faults_roll(f, SIM_FAULT_DROP, R->h->name, R->h->fault_counter)))
		R->r->drop = 1;
	else if (x && !R->r->drop)
		R->r->drop = 1;
	x = sim_faults_find(f, SIM_FAULT_FAIL, R->h->name, R->h->site, name);
	if (x) {
		*code = x->exit_code;
		return 1;
	}
	if (R->h->fault_counter && sim_faults_roll(f, SIM_FAULT_FAIL, R->h->name, R->h->fault_counter)) {
		*code = 1;
		return 1;
	}
	return 0;
}

static int
ps_command(struct sim_ps *ps, struct sim_call *c, struct sim_val *out)
{
	struct run *R = ps->ctx;
	const char *n = c->name;
	int code;
	if (injected(R, n, &code)) {
		sim_ps_error(ps, c, "NotSpecified: (:) [], RolloutSimInjectedFault", "RolloutSimInjectedFault",
		    "The operation failed (fault injected by rollout-sim, exit code %d).", code);
		ps->lastexitcode = code;
		return 0;
	}
	ps->vseconds += 0.2;
	if (strcasecmp(n, "Get-HotFix") == 0) return ps_hotfix(R, ps, c, out);
	if (strcasecmp(n, "Get-FileHash") == 0) return ps_filehash(R, ps, c, out);
	if (strcasecmp(n, "Get-PSDrive") == 0) return ps_psdrive(R, ps, c, out);
	if (strcasecmp(n, "Get-Service") == 0) return ps_service(R, ps, c, out, NULL);
	if (strcasecmp(n, "Start-Service") == 0) return ps_service(R, ps, c, out, "Running");
	if (strcasecmp(n, "Stop-Service") == 0) return ps_service(R, ps, c, out, "Stopped");
	if (strcasecmp(n, "Restart-Service") == 0) return ps_service(R, ps, c, out, "Running");
	if (strcasecmp(n, "Remove-Item") == 0 || strcasecmp(n, "del") == 0 || strcasecmp(n, "rm") == 0)
		return ps_remove_item(R, ps, c);
	if (strcasecmp(n, "Get-Content") == 0 || strcasecmp(n, "gc") == 0 || strcasecmp(n, "type") == 0 || strcasecmp(n, "cat") == 0)
		return ps_get_content(R, ps, c, out);
	if (strcasecmp(n, "Import-Csv") == 0) return ps_import_csv(R, ps, c, out);
	if (strcasecmp(n, "Get-ItemProperty") == 0) return ps_itemproperty(R, ps, c, out);
	if (strcasecmp(n, "Set-ItemProperty") == 0) return ps_set_itemproperty(R, ps, c, 0);
	if (strcasecmp(n, "Remove-ItemProperty") == 0) return ps_set_itemproperty(R, ps, c, 1);
	if (strcasecmp(n, "Get-LocalUser") == 0) return ps_localuser(R, ps, c, out);
	if (strcasecmp(n, "Set-LocalUser") == 0) return ps_set_localuser(R, ps, c);
	if (strcasecmp(n, "ConvertTo-SecureString") == 0) return ps_securestring(R, ps, c, out);
	if (strcasecmp(n, "Get-CimInstance") == 0 || strcasecmp(n, "Get-WmiObject") == 0 || strcasecmp(n, "gwmi") == 0)
		return ps_cim(R, ps, c, out);
	if (strcasecmp(n, "Get-SmbShare") == 0) return ps_list_kind(R, ps, out, "share");
	if (strcasecmp(n, "Get-NetFirewallRule") == 0) return ps_list_kind(R, ps, out, "firewall");
	if (strcasecmp(n, "Get-NetFirewallProfile") == 0) {
		static const char *const prof[] = { "Domain", "Private", "Public" };
		for (int i = 0; i < 3; i++) {
			struct sim_val *o = sim_v_obj(ps, "MSFT_NetFirewallProfile", "Name,Enabled");
			sim_v_set(ps, o, "Name", sim_v_str(ps, prof[i]));
			sim_v_set(ps, o, "Enabled", sim_v_bool(ps, 1));
			sim_v_push(ps, out, o);
		}
		return 0;
	}
	if (strcasecmp(n, "Get-MpThreatDetection") == 0) {
		/* No detections, unless c13 plants one on a CS node. */
		if (deviated(R, NULL, "c13")) {
			struct sim_val *o = sim_v_obj(ps, "MSFT_MpThreatDetection", "ThreatID,ActionSuccess,DomainUser,InitialDetectionTime,Resources");
			sim_v_set(ps, o, "ThreatID", sim_v_int(ps, 2147519003));
			sim_v_set(ps, o, "ActionSuccess", sim_v_bool(ps, 1));
			sim_v_set(ps, o, "DomainUser", sim_v_str(ps, "NT AUTHORITY\\SYSTEM"));
			sim_v_set(ps, o, "InitialDetectionTime", sim_v_date(ps, R->h->now - 3 * 86400));
			sim_v_set(ps, o, "Resources", sim_v_str(ps, "file:_E:\\Backup\\eicar.com"));
			sim_v_push(ps, out, o);
		}
		return 0;
	}
	if (strcasecmp(n, "Get-NetTCPConnection") == 0) return ps_tcpconn(R, ps, c, out);
	if (strcasecmp(n, "Get-WinEvent") == 0) return ps_winevent(R, ps, c, out);
	if (strcasecmp(n, "Get-NetIPAddress") == 0) return ps_netip(R, ps, c, out, 0);
	if (strcasecmp(n, "Get-NetIPConfiguration") == 0) return ps_netip(R, ps, c, out, 1);
	if (strcasecmp(n, "Get-NetIPInterface") == 0) return ps_netip(R, ps, c, out, 2);
	if (strcasecmp(n, "Get-PnpDevice") == 0) return ps_pnp(R, ps, c, out);
	if (strcasecmp(n, "Get-ChildItem") == 0 || strcasecmp(n, "dir") == 0 || strcasecmp(n, "ls") == 0 || strcasecmp(n, "gci") == 0)
		return ps_childitem(R, ps, c, out);
	if (strcasecmp(n, "Get-Item") == 0 || strcasecmp(n, "gi") == 0 || strcasecmp(n, "Test-Path") == 0) {
		const char *p = path_arg(ps, c);
		struct sim_item it;
		int exists = p && (file_get(R, p, &it) == 0 || dir_exists(R, p));
		/* c09: the terminal-encryption tool's log is gone. */
		if (exists && deviated(R, NULL, "c09") && strstr(p, "TerminalCrypt") != NULL)
			exists = 0;
		if (n[0] == 'T' || n[0] == 't') {
			sim_v_push(ps, out, sim_v_bool(ps, exists));
			return 0;
		}
		if (!exists) {
			not_found_path(ps, c, p ? p : "", "GetItem");
			return 0;
		}
		if (file_get(R, p, &it) != 0) {
			memset(&it, 0, sizeof(it));
			it.key = winpath(R->a, p);
			it.a = it.c = "";
			it.b = "dir";
		}
		sim_v_push(ps, out, file_obj(R, ps, &it));
		return 0;
	}
	if (strcasecmp(n, "New-Item") == 0 || strcasecmp(n, "mkdir") == 0 || strcasecmp(n, "md") == 0) {
		const char *p = path_arg(ps, c), *type = sim_call_str(ps, c, "ItemType", (size_t)-1);
		struct sim_item it;
		if (p == NULL)
			return 0;
		int dir = (type && strcasecmp(type, "Directory") == 0) || n[0] == 'm';
		if ((file_get(R, p, &it) == 0 || dir_exists(R, p)) && !sim_call_switch(c, "Force")) {
			sim_ps_error(ps, c, "ResourceExists: (:) [New-Item], IOException",
			    "DirectoryExist,Microsoft.PowerShell.Commands.NewItemCommand",
			    "An item with the specified name %s already exists.", winpath(R->a, p));
			return 0;
		}
		/* -Force creates the missing parents too. */
		const char *w = winpath(R->a, p);
		for (const char *q = w + 3; dir && *q; q++)
			if (*q == '\\') {
				const char *par = ro_arena_strndup(R->a, w, (size_t)(q - w));
				if (!dir_exists(R, par)) {
					struct sim_item d = { .key = par, .a = "", .b = "dir", .c = "", .t = R->h->now };
					(void)sim_state_put(R->h->st, R->h->name, "file", &d);
				}
			}
		struct sim_item d = { .key = w, .a = "", .b = dir ? "dir" : "", .c = "", .t = R->h->now };
		if (!dir_exists(R, w))
			(void)sim_state_put(R->h->st, R->h->name, "file", &d);
		sim_v_push(ps, out, file_obj(R, ps, &d));
		return 0;
	}
	if (strcasecmp(n, "Out-File") == 0 || strcasecmp(n, "Set-Content") == 0) {
		const char *p = path_arg(ps, c);
		struct ro_buf b;
		ro_buf_init(&b);
		ro_buf_adds(&b, "");
		struct sim_val *v = sim_call_param(c, "Value");
		sim_ps_format(ps, &b, v ? v : c->input);
		if (p == NULL || !dir_exists(R, parent_of(R, p))) {
			sim_ps_error(ps, c, "OpenError: (:) [Out-File], DirectoryNotFoundException",
			    "FileOpenFailure,Microsoft.PowerShell.Commands.OutFileCommand",
			    "Could not find a part of the path '%s'.", p ? p : "");
		} else {
			file_write(R, p, b.p);
		}
		ro_buf_free(&b);
		return 0;
	}
	if (strcasecmp(n, "Compress-Archive") == 0) {
		const char *src = sim_call_str(ps, c, "Path", 0), *dst = sim_call_str(ps, c, "DestinationPath", 1);
		struct sim_item *items;
		size_t k;
		if (src == NULL || dst == NULL)
			return 0;
		char *dir = ro_arena_strdup(R->a, src);
		size_t l = strlen(dir);
		if (l >= 2 && dir[l - 1] == '*')
			dir[l - 2] = '\0';
		const char *w = winpath(R->a, dir);
		(void)sim_state_list(R->h->st, R->h->name, "file", aprintf(R->a, "%s\\", w), R->a, &items, &k);
		if (k == 0) {
			not_found_path(ps, c, src, "CompressArchive");
			return 0;
		}
		struct sim_item old;
		if (file_get(R, dst, &old) == 0 && !sim_call_switch(c, "Force")) {
			sim_ps_error(ps, c, "InvalidArgument: (:) [Compress-Archive], IOException",
			    "ArchiveFileExists,Compress-Archive", "The archive file %s already exists.", dst);
			return 0;
		}
		struct ro_buf b;
		ro_buf_init(&b);
		ro_buf_adds(&b, "PK\x03\x04 rollout-sim archive\r\n");
		for (size_t i = 0; i < k; i++)
			ro_buf_printf(&b, "%s %" PRId64 " %s\r\n", items[i].key + strlen(w) + 1, items[i].n, items[i].a);
		file_write(R, dst, b.p);
		ro_buf_free(&b);
		ps->vseconds += 60;
		return 0;
	}
	if (strcasecmp(n, "Restart-Computer") == 0 || strcasecmp(n, "Stop-Computer") == 0) {
		R->r->restart = n[0] == 'R' || n[0] == 'r' ? 1 : 2;
		R->r->restart_delay = 0;
		return 0;
	}
	if (strcasecmp(n, "Start-Sleep") == 0) {
		int64_t s = 0;
		struct sim_val *v = sim_call_param(c, "Seconds");
		(void)sim_v_toint(v ? v : sim_call_pos(c, 0), &s);
		ps->vseconds += (double)s;
		return 0;
	}
	if (strcasecmp(n, "Unregister-ScheduledTask") == 0) {
		const char *tn = sim_call_str(ps, c, "TaskName", 0);
		if (tn == NULL || sim_state_del(R->h->st, R->h->name, "task", tn) != 0)
			sim_ps_error(ps, c, "ObjectNotFound: (PS_ScheduledTask:Root/Microsoft/...S_ScheduledTask) [Unregister-ScheduledTask], CimException",
			    "HRESULT 0x80070002,Unregister-ScheduledTask", "No MSFT_ScheduledTask objects found with property 'TaskName' equal to '%s'.", tn ? tn : "");
		return 0;
	}
	if (strcasecmp(n, "hostname") == 0 || strcasecmp(n, "Get-ComputerName") == 0) {
		sim_v_push(ps, out, sim_v_str(ps, computer_name(R)));
		return 0;
	}
	/* Native programs: their output lines go down the pipeline, $LASTEXITCODE is set. */
	{
		char **argv = ro_arena_alloc(R->a, (c->nargs + 2) * sizeof(*argv));
		size_t argc = 0;
		argv[argc++] = (char *)n;
		for (size_t i = 0; i < c->nargs; i++) {
			if (c->args[i].param)
				argv[argc++] = aprintf(R->a, "-%s", c->args[i].param);
			if (c->args[i].val)
				argv[argc++] = (char *)sim_v_tostr(ps, c->args[i].val);
		}
		argv[argc] = NULL;
		size_t out0 = R->r->out.len;
		/* Native programs that read the pipeline (sqlplus) get it as their stdin. */
		struct ro_buf in;
		ro_buf_init(&in);
		ro_buf_adds(&in, "");
		for (size_t i = 0; i < c->input->n; i++)
			ro_buf_printf(&in, "%s\n", sim_v_tostr(ps, c->input->items[i]));
		const char *sd = R->stdin_data;
		size_t sl = R->stdin_len;
		if (c->input->n) {
			R->stdin_data = in.p;
			R->stdin_len = in.len;
		}
		int ncode = 0;
		int rc = native(R, argv, argc, &ncode);
		R->stdin_data = sd;
		R->stdin_len = sl;
		ro_buf_free(&in);
		if (rc == SIM_NOTFOUND)
			return SIM_NOTFOUND;
		/* Move what it printed into the pipeline, line by line. */
		char *text = ro_arena_strndup(R->a, R->r->out.p + out0, R->r->out.len - out0);
		R->r->out.len = out0;
		R->r->out.p[out0] = '\0';
		for (char *line = text; *line;) {
			char *e = strchr(line, '\n');
			if (e)
				*e = '\0';
			size_t l = strlen(line);
			while (l && line[l - 1] == '\r')
				line[--l] = '\0';
			sim_v_push(ps, out, sim_v_str(ps, line));
			if (!e)
				break;
			line = e + 1;
		}
		ps->lastexitcode = ncode;
		if (ncode != 0)
			ps->ok = 0;
		return 0;
	}
}

static const struct sim_ps_ops ps_ops = { .command = ps_command };

/* sqlplus -S ... with the SQL on stdin: ALTER USER ... IDENTIFIED BY "p"; CONNECT u/"p". */
static int
cmd_sqlplus(struct run *R)
{
	struct stdin_lines in;
	stdin_lines_open(R, &in);
	int connected = 0, rc = 0;
	R->r->vseconds = 5;
	for (const char *l; (l = stdin_line(&in)) != NULL;) {
		char user[64], pw[256];
		if (sscanf(l, "ALTER USER %63s IDENTIFIED BY \"%255[^\"]\"", user, pw) == 2) {
			(void)sim_state_set_password(R->h->st, R->h->name, aprintf(R->a, "oracle:%s", user), pw);
			outf(R, "\r\nUser altered.\r\n\r\n");
			continue;
		}
		if (sscanf(l, "CONNECT %63[^/]/\"%255[^\"]\"", user, pw) == 2) {
			connected = sim_state_check_password(R->h->st, R->h->name, aprintf(R->a, "oracle:%s", user), pw);
			if (!connected) {
				outf(R, "ERROR:\r\nORA-01017: invalid username/password; logon denied\r\n\r\n");
				rc = 1;
			}
			continue;
		}
		if (strncasecmp(l, "SELECT", 6) == 0) {
			if (connected)
				outf(R, "\r\n'ROLLOUT'||'_OK'\r\n----------\r\nROLLOUT_OK\r\n\r\n");
			else
				outf(R, "SP2-0640: Not connected\r\n");
		}
	}
	stdin_lines_close(&in);
	return rc;
}

/* Native programs. Returns 0 with *code set, or SIM_NOTFOUND. */
static int
native(struct run *R, char **argv, size_t argc, int *code)
{
	const char *prog = sim_cmd_program(R->a, argv[0]);
	ro_buf_adds(&R->r->calls, R->r->calls.len ? " " : "");
	ro_buf_adds(&R->r->calls, prog);
	if (injected(R, prog, code)) {
		errf(R, "The operation failed (fault injected by rollout-sim, exit code %d).\r\n", *code);
		return 0;
	}
	R->r->vseconds += 0.5;
	if (strcmp(prog, "powershell") == 0 || strcmp(prog, "pwsh") == 0) *code = run_powershell(R, argv, argc);
	else if (strcmp(prog, "wusa") == 0) *code = cmd_wusa(R, argv, argc);
	else if (strcmp(prog, "msiexec") == 0) *code = cmd_msiexec(R, argv, argc);
	else if (strcmp(prog, "reg") == 0) *code = cmd_reg(R, argv, argc);
	else if (strcmp(prog, "shutdown") == 0) *code = cmd_shutdown(R, argv, argc);
	else if (strcmp(prog, "schtasks") == 0) *code = cmd_schtasks(R, argv, argc);
	else if (strcmp(prog, "wevtutil") == 0) *code = cmd_wevtutil(R, argv, argc);
	else if (strcmp(prog, "auditpol") == 0) *code = cmd_auditpol(R, argv, argc);
	else if (strcmp(prog, "secedit") == 0) *code = cmd_secedit(R, argv, argc);
	else if (strcmp(prog, "systeminfo") == 0) *code = cmd_systeminfo(R);
	else if (strcmp(prog, "wmic") == 0) *code = cmd_wmic(R, argv, argc);
	else if (strcmp(prog, "ipconfig") == 0) *code = cmd_ipconfig(R);
	else if (strcmp(prog, "net") == 0 || strcmp(prog, "net1") == 0) *code = cmd_net(R, argv, argc);
	else if (strcmp(prog, "netsh") == 0) *code = cmd_netsh(R, argv, argc);
	else if (strcmp(prog, "sqlplus") == 0) *code = cmd_sqlplus(R);
	else if (strcmp(prog, "hostname") == 0) { outf(R, "%s\r\n", computer_name(R)); *code = 0; }
	else if (strcmp(prog, "whoami") == 0) { outf(R, "%s\\%s\r\n", R->h->name, R->h->user); *code = 0; }
	else if (strcmp(prog, "ver") == 0) { outf(R, "\r\nMicrosoft Windows [Version %s.%" PRId64 "]\r\n", R->h->cs ? "10.0.20348" : "10.0.26100",
	    sim_state_num(R->h->st, R->h->name, "ubr", 0)); *code = 0; }
	else if (strcmp(prog, "pnputil") == 0) {
		if (has_flag(argv, argc, "/scan-devices")) {
			outf(R, "Microsoft PnP Utility\r\n\r\nScanning for device hardware changes.\r\nScan complete.\r\n");
			R->r->vseconds += 10;
			*code = 0;
		} else {
			errf(R, "Microsoft PnP Utility\r\n\r\nInvalid command.\r\n");
			*code = 87;
		}
	} else if (strlen(prog) > 4 && strcmp(prog + strlen(prog) - 4, ".cmd") == 0) {
		struct sim_item it;
		const char *b = basename_w(argv[0]);
		if (file_get(R, argv[0], &it) != 0)
			return SIM_NOTFOUND;
		/* The J-LIS check wrappers of the inspection (t01, t16). */
		if (strcasecmp(b, "check-access-restriction.cmd") == 0) {
			if (deviated(R, "t01", NULL)) {
				outf(R, "access restriction tool: NOT applied to the business account\r\n");
				*code = 1;
			} else {
				outf(R, "access restriction tool: applied to the business account\r\n");
				*code = 0;
			}
		} else if (strcasecmp(b, "check-operator-expiry.cmd") == 0) {
			if (deviated(R, "t16", NULL)) {
				outf(R, "operator expiry check at login: disabled\r\n");
				*code = 1;
			} else {
				outf(R, "operator expiry check at login: enabled\r\n");
				*code = 0;
			}
		} else {
			*code = cmd_vendor(R, argv[0]);
		}
	} else {
		return SIM_NOTFOUND;
	}
	return 0;
}

/* The two reviewed scripts of playbooks/scripts, emulated by name when uploaded. */
static int
run_script(struct run *R, const char *path, char **argv, size_t argc)
{
	struct sim_item it;
	if (file_get(R, path, &it) != 0) {
		errf(R, "The argument '%s' to the -File parameter does not exist. Provide the path to an existing '.ps1' file as an argument to the -File parameter.\r\n", path);
		return -196608;
	}
	const char *b = basename_w(path);
	const char *user = NULL, *newip = NULL;
	int check = 0;
	for (size_t i = 0; i < argc; i++) {
		if (strcasecmp(argv[i], "-UserName") == 0 && i + 1 < argc) user = argv[++i];
		else if (strcasecmp(argv[i], "-NewAddress") == 0 && i + 1 < argc) newip = argv[++i];
		else if (strcasecmp(argv[i], "-Check") == 0) check = 1;
	}
	const char *wl = "HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Winlogon";
	if (strcasecmp(b, "Set-AutoLogonSecret.ps1") == 0) {
		if (user == NULL) {
			errf(R, "Set-AutoLogonSecret.ps1 : Cannot process command because of one or more missing mandatory parameters: UserName.\r\n");
			return 1;
		}
		struct sim_item v;
		if (check && stdin_first_line(R) != NULL && stdin_first_line(R)[0] != '\0') {
			/* A value on stdin: is it the LSA secret Winlogon would use? */
			if (sim_state_check_password(R->h->st, R->h->name, "lsa:DefaultPassword",
			    stdin_first_line(R)))
				return 0;
			errf(R, "Set-AutoLogonSecret.ps1 : the auto-logon secret does not match\r\n");
			return 1;
		}
		if (check) {
			int ok = sim_state_get(R->h->st, R->h->name, "reg", reg_item(R->a, wl, "AutoAdminLogon"), R->a, &v) == 0 && strcmp(v.b, "1") == 0;
			ok = ok && sim_state_get(R->h->st, R->h->name, "reg", reg_item(R->a, wl, "DefaultUserName"), R->a, &v) == 0 && strcasecmp(v.b, user) == 0;
			ok = ok && sim_state_get(R->h->st, R->h->name, "reg", reg_item(R->a, wl, "DefaultPassword"), R->a, &v) != 0;
			ok = ok && sim_state_get(R->h->st, R->h->name, "account", "lsa:DefaultPassword", R->a, &v) == 0;
			if (ok)
				return 0;
			errf(R, "Set-AutoLogonSecret.ps1 : auto-logon is not configured with an LSA secret for this user\r\n"
			    "    + CategoryInfo          : NotSpecified: (:) [Write-Error], WriteErrorException\r\n"
			    "    + FullyQualifiedErrorId : Microsoft.PowerShell.Commands.WriteErrorException,Set-AutoLogonSecret.ps1\r\n\r\n");
			return 1;
		}
		const char *pw = stdin_first_line(R);
		if (pw == NULL || pw[0] == '\0') {
			errf(R, "Set-AutoLogonSecret.ps1 : no password on standard input\r\n");
			return 2;
		}
		(void)sim_state_set_password(R->h->st, R->h->name, "lsa:DefaultPassword", pw);
		struct sim_item w = { .key = reg_item(R->a, wl, "AutoAdminLogon"), .a = "REG_SZ", .b = "1" };
		(void)sim_state_put(R->h->st, R->h->name, "reg", &w);
		w.key = reg_item(R->a, wl, "DefaultUserName");
		w.b = user;
		(void)sim_state_put(R->h->st, R->h->name, "reg", &w);
		w.key = reg_item(R->a, wl, "DefaultDomainName");
		w.b = computer_name(R);
		(void)sim_state_put(R->h->st, R->h->name, "reg", &w);
		(void)sim_state_del(R->h->st, R->h->name, "reg", reg_item(R->a, wl, "DefaultPassword"));
		R->r->vseconds += 3;
		return 0;
	}
	if (strcasecmp(b, "Set-StaticIPv4.ps1") == 0) {
		if (newip) {
			struct sim_item w = { .key = "ipv4", .a = newip };
			(void)sim_state_put(R->h->st, R->h->name, "host", &w);
			outf(R, "\r\nInterfaceAlias       : Ethernet\r\nIPv4Address          : %s\r\n\r\n", newip);
		}
		return 0;
	}
	errf(R, "rollout-sim: the script %s is not emulated (only the scripts of playbooks/scripts are).\r\n", b);
	return 1;
}

static int
run_powershell(struct run *R, char **argv, size_t argc)
{
	size_t i = 1;
	for (; i < argc; i++) {
		const char *a = argv[i];
		if (strcasecmp(a, "-NoProfile") == 0 || strcasecmp(a, "-NonInteractive") == 0 ||
		    strcasecmp(a, "-NoLogo") == 0 || strcasecmp(a, "-Sta") == 0 || strcasecmp(a, "-Mta") == 0)
			continue;
		if ((strcasecmp(a, "-ExecutionPolicy") == 0 || strcasecmp(a, "-ep") == 0 ||
		    strcasecmp(a, "-InputFormat") == 0 || strcasecmp(a, "-OutputFormat") == 0 ||
		    strcasecmp(a, "-WindowStyle") == 0) && i + 1 < argc) {
			i++;
			continue;
		}
		break;
	}
	if (i < argc && strcasecmp(argv[i], "-File") == 0) {
		if (i + 1 >= argc) {
			errf(R, "Missing argument for parameter File.\r\n");
			return -196608;
		}
		return run_script(R, argv[i + 1], argv + i + 2, argc - i - 2);
	}
	if (i < argc && (strcasecmp(argv[i], "-Command") == 0 || strcasecmp(argv[i], "-c") == 0))
		i++;
	if (i >= argc) {
		errf(R, "rollout-sim: an interactive PowerShell is not emulated; give -Command.\r\n");
		return 1;
	}
	/* powershell.exe joins the remaining arguments with spaces into the script. */
	struct ro_buf s;
	ro_buf_init(&s);
	for (size_t k = i; k < argc; k++) {
		if (k > i)
			ro_buf_addc(&s, ' ');
		ro_buf_adds(&s, argv[k]);
	}
	struct sim_ps ps;
	sim_ps_init(&ps, R->a, &R->r->out, &R->r->err, &ps_ops, R);
	ps.stdin_data = R->stdin_data;
	ps.stdin_len = R->stdin_len;
	ps.now = R->h->now;
	sim_ps_set_var(&ps, "env:COMPUTERNAME", sim_v_str(&ps, computer_name(R)));
	sim_ps_set_var(&ps, "env:TEMP", sim_v_str(&ps, "C:\\Windows\\Temp"));
	sim_ps_set_var(&ps, "env:windir", sim_v_str(&ps, "C:\\Windows"));
	sim_ps_set_var(&ps, "env:USERNAME", sim_v_str(&ps, R->h->user));
	R->ps = &ps;
	ps.calls = &R->r->calls;
	int code = sim_ps_run(&ps, s.p ? s.p : "");
	R->ps = NULL;
	R->r->vseconds += 1 + ps.vseconds; /* PowerShell's start-up, then the cmdlets */
	ro_buf_free(&s);
	return code;
}

static void exec_one(const struct sim_hostctx *h, const char *cmdline, const char *stdin_data,
    size_t stdin_len, struct sim_result *r);

/* cmd.exe's %NAME% expansion, for the variables a Windows host always has;
 * an undefined name stays as written (as with cmd /c). */
static const char *
cmd_env(const struct sim_hostctx *h, const char *name, size_t n)
{
	static const char *const fixed[][2] = { { "TEMP", "C:\\Windows\\Temp" },
		{ "TMP", "C:\\Windows\\Temp" }, { "windir", "C:\\Windows" },
		{ "SystemRoot", "C:\\Windows" }, { "ProgramData", "C:\\ProgramData" } };
	if (n == strlen("USERNAME") && strncasecmp(name, "USERNAME", n) == 0)
		return h->user;
	if (n == strlen("COMPUTERNAME") && strncasecmp(name, "COMPUTERNAME", n) == 0)
		return h->name;
	for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
		if (n == strlen(fixed[i][0]) && strncasecmp(name, fixed[i][0], n) == 0)
			return fixed[i][1];
	return NULL;
}

/*
 * sim_exec is cmd.exe /c: %NAME% is expanded everywhere (inside double
 * quotes too), then outside double quotes ^ escapes the next character and
 * &, &&, || and | separate commands, which run in turn (a pipe's output is
 * not fed to the next command here). Each command is then split and run.
 */
void
sim_exec(const struct sim_hostctx *h, const char *cmdline, const char *stdin_data, size_t stdin_len,
    struct sim_result *r)
{
	struct ro_buf line, part;
	int inq = 0, first = 1;
	char op = 0; /* how the current command was joined to the previous: & A(nd) O(r) | */
	ro_buf_init(&line);
	ro_buf_adds(&line, "");
	for (const char *p = cmdline; *p; p++) {
		const char *e;
		const char *v;
		if (*p == '%' && (e = strchr(p + 1, '%')) != NULL && e > p + 1 &&
		    (v = cmd_env(h, p + 1, (size_t)(e - p - 1))) != NULL) {
			/* Windows spells the computer name in capitals. */
			int caps = strncasecmp(p + 1, "COMPUTERNAME%", 13) == 0;
			for (; *v; v++)
				ro_buf_addc(&line, caps ? (char)toupper((unsigned char)*v) : *v);
			p = e;
		} else
			ro_buf_addc(&line, *p);
	}
	ro_buf_init(&part);
	ro_buf_adds(&part, "");
	for (const char *p = line.p;; p++) {
		char next = 0;
		if (*p == '"')
			inq = !inq;
		if (!inq && *p == '^' && p[1]) {
			ro_buf_addc(&part, *++p);
			continue;
		}
		if (*p != '\0' && (inq || (*p != '&' && *p != '|'))) {
			ro_buf_addc(&part, *p);
			continue;
		}
		if (*p == '&')
			next = p[1] == '&' ? (p++, 'A') : '&';
		else if (*p == '|')
			next = p[1] == '|' ? (p++, 'O') : '|';
		int run = first || op == '&' || op == '|' || (op == 'A' && r->exit_code == 0) ||
		    (op == 'O' && r->exit_code != 0);
		if (run) {
			struct sim_result one;
			sim_result_init(&one);
			exec_one(h, part.p, stdin_data, stdin_len, &one);
			ro_buf_adds(&r->out, one.out.p);
			ro_buf_adds(&r->err, one.err.p);
			if (one.calls.len)
				ro_buf_printf(&r->calls, "%s%s", r->calls.len ? " " : "", one.calls.p);
			r->exit_code = one.exit_code;
			r->vseconds += one.vseconds;
			r->drop |= one.drop;
			if (one.restart) {
				r->restart = one.restart;
				r->restart_delay = one.restart_delay;
			}
			sim_result_free(&one);
		}
		first = 0;
		op = next;
		part.len = 0;
		part.p[0] = '\0';
		if (*p == '\0')
			break;
	}
	ro_buf_free(&part);
	ro_buf_free(&line);
}

static void
exec_one(const struct sim_hostctx *h, const char *cmdline, const char *stdin_data, size_t stdin_len,
    struct sim_result *r)
{
	struct ro_arena a;
	struct run R = { .h = h, .a = &a, .r = r, .stdin_data = stdin_data, .stdin_len = stdin_len };
	char **argv;
	ro_arena_init(&a);
	size_t argc = sim_cmd_split(&a, cmdline, &argv);
	if (argc == 0) {
		r->exit_code = 0;
		goto out;
	}
	/* cmd /c CMD: the rest of the line is the command. */
	const char *prog = sim_cmd_program(&a, argv[0]);
	if (strcmp(prog, "cmd") == 0 && argc >= 3 && (strcasecmp(argv[1], "/c") == 0 || strcasecmp(argv[1], "/k") == 0)) {
		const char *rest = strstr(cmdline, argv[1]) + 2;
		exec_one(h, rest, stdin_data, stdin_len, r);
		goto out;
	}
	int code = 0;
	if (native(&R, argv, argc, &code) == SIM_NOTFOUND) {
		if (strchr(argv[0], '\\') || strchr(argv[0], '/')) {
			ro_buf_adds(&r->err, "The system cannot find the path specified.\r\n");
			code = 1;
		} else {
			ro_buf_printf(&r->err, "'%s' is not recognized as an internal or external command,\r\n"
			    "operable program or batch file.\r\n", argv[0]);
			code = 1;
		}
	}
	r->exit_code = code;
out:
	ro_arena_free(&a);
}

static const char *
ci_find(const char *hay, const char *needle)
{
	size_t l = strlen(needle);
	for (; *hay; hay++)
		if (strncasecmp(hay, needle, l) == 0)
			return hay;
	return NULL;
}

int
sim_exec_reads_stdin(const char *cmdline)
{
	static const char *const marks[] = { "[Console]::In", "-set-password.cmd", "-check-password.cmd",
		"Set-AutoLogonSecret.ps1", "$input", "net user", "net1 user", NULL };
	/* An upload whose file name is one of these is not a command reading stdin. */
	while (*cmdline == ' ')
		cmdline++;
	if (strncmp(cmdline, "scp ", 4) == 0 || strncmp(cmdline, "scp.exe ", 8) == 0)
		return 0;
	for (int i = 0; marks[i]; i++)
		if (ci_find(cmdline, marks[i]) != NULL) {
			if ((strcmp(marks[i], "net user") == 0 || strcmp(marks[i], "net1 user") == 0) && !strstr(cmdline, "*"))
				continue;
			return 1;
		}
	return 0;
}
