/*
 * sim-state.c - the simulated hosts' state in SQLite (see sim-state.h).
 */
#include "sim-state.h"

#include <pthread.h>
#include <sodium.h>
#include <sqlite3.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "error.h"
#include "util.h"

struct sim_state {
	sqlite3 *db;
	pthread_mutex_t mu; /* recursive: a transaction holds it across puts */
};

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS item ("
	" host TEXT NOT NULL, kind TEXT NOT NULL, key TEXT NOT NULL COLLATE NOCASE,"
	" a TEXT NOT NULL DEFAULT '', b TEXT NOT NULL DEFAULT '', c TEXT NOT NULL DEFAULT '',"
	" n INTEGER NOT NULL DEFAULT 0, t INTEGER NOT NULL DEFAULT 0,"
	" PRIMARY KEY (host, kind, key)) WITHOUT ROWID;";

int
sim_state_open(const char *dir, struct sim_state **out, char **cause)
{
	int rc = RO_EIO;
	char *path = NULL;
	struct sim_state *st = ro_xcalloc(1, sizeof(*st));
	pthread_mutexattr_t at;

	*out = NULL;
	pthread_mutexattr_init(&at);
	pthread_mutexattr_settype(&at, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&st->mu, &at);
	pthread_mutexattr_destroy(&at);
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		*cause = ro_xasprintf("cannot create the state directory %s", dir);
		goto out;
	}
	path = ro_xasprintf("%s/state.db", dir);
	if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	    SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK) {
		*cause = ro_xasprintf("cannot open %s: %s", path, sqlite3_errmsg(st->db));
		goto out;
	}
	sqlite3_busy_timeout(st->db, 5000);
	if (sqlite3_exec(st->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", NULL, NULL,
	    NULL) != SQLITE_OK || sqlite3_exec(st->db, schema, NULL, NULL, NULL) != SQLITE_OK) {
		*cause = ro_xasprintf("cannot initialise %s: %s", path, sqlite3_errmsg(st->db));
		goto out;
	}
	*out = st;
	st = NULL;
	rc = 0;
out:
	free(path);
	sim_state_close(st);
	return rc;
}

void
sim_state_close(struct sim_state *st)
{
	if (st == NULL)
		return;
	if (st->db) {
		sqlite3_exec(st->db, "PRAGMA wal_checkpoint(TRUNCATE);", NULL, NULL, NULL);
		sqlite3_close(st->db);
	}
	pthread_mutex_destroy(&st->mu);
	free(st);
}

int
sim_state_begin(struct sim_state *st)
{
	pthread_mutex_lock(&st->mu);
	if (sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
		pthread_mutex_unlock(&st->mu);
		return RO_ESTORE;
	}
	return 0;
}

int
sim_state_commit(struct sim_state *st)
{
	int rc = sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK ? 0 : RO_ESTORE;
	pthread_mutex_unlock(&st->mu);
	return rc;
}

static const char *
col(struct ro_arena *ar, sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	return ro_arena_strdup(ar, t ? (const char *)t : "");
}

static void
read_row(struct ro_arena *ar, sqlite3_stmt *s, struct sim_item *it)
{
	it->key = col(ar, s, 0);
	it->a = col(ar, s, 1);
	it->b = col(ar, s, 2);
	it->c = col(ar, s, 3);
	it->n = sqlite3_column_int64(s, 4);
	it->t = sqlite3_column_int64(s, 5);
}

int
sim_state_get(struct sim_state *st, const char *host, const char *kind, const char *key,
    struct ro_arena *ar, struct sim_item *out)
{
	sqlite3_stmt *s = NULL;
	int rc = RO_ESTORE;
	pthread_mutex_lock(&st->mu);
	if (sqlite3_prepare_v2(st->db, "SELECT key,a,b,c,n,t FROM item WHERE host=? AND kind=? AND key=?",
	    -1, &s, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_text(s, 1, host, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, key, -1, SQLITE_STATIC);
	int r = sqlite3_step(s);
	if (r == SQLITE_ROW) {
		read_row(ar, s, out);
		rc = 0;
	} else if (r == SQLITE_DONE) {
		rc = RO_ENOENT;
	}
out:
	sqlite3_finalize(s);
	pthread_mutex_unlock(&st->mu);
	return rc;
}

int
sim_state_put(struct sim_state *st, const char *host, const char *kind, const struct sim_item *it)
{
	sqlite3_stmt *s = NULL;
	int rc = RO_ESTORE;
	pthread_mutex_lock(&st->mu);
	if (sqlite3_prepare_v2(st->db, "INSERT OR REPLACE INTO item(host,kind,key,a,b,c,n,t) "
	    "VALUES(?,?,?,?,?,?,?,?)", -1, &s, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_text(s, 1, host, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, it->key, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, it->a ? it->a : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, it->b ? it->b : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 6, it->c ? it->c : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 7, it->n);
	sqlite3_bind_int64(s, 8, it->t);
	if (sqlite3_step(s) == SQLITE_DONE)
		rc = 0;
out:
	sqlite3_finalize(s);
	pthread_mutex_unlock(&st->mu);
	return rc;
}

static int
exec_del(struct sim_state *st, const char *sql, const char *host, const char *kind,
    const char *key)
{
	sqlite3_stmt *s = NULL;
	int rc = RO_ESTORE;
	pthread_mutex_lock(&st->mu);
	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_text(s, 1, host, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, key, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(s) == SQLITE_DONE)
		rc = sqlite3_changes(st->db) > 0 ? 0 : RO_ENOENT;
out:
	sqlite3_finalize(s);
	pthread_mutex_unlock(&st->mu);
	return rc;
}

int
sim_state_del(struct sim_state *st, const char *host, const char *kind, const char *key)
{
	return exec_del(st, "DELETE FROM item WHERE host=? AND kind=? AND key=?", host, kind, key);
}

/* A LIKE pattern for "starts with prefix", escaping the pattern characters. */
static char *
like_prefix(const char *prefix)
{
	size_t l = strlen(prefix);
	char *p = ro_xmalloc(2 * l + 2), *q = p;
	for (const char *s = prefix; *s; s++) {
		if (*s == '%' || *s == '_' || *s == '!')
			*q++ = '!';
		*q++ = *s;
	}
	*q++ = '%';
	*q = '\0';
	return p;
}

int
sim_state_del_prefix(struct sim_state *st, const char *host, const char *kind, const char *prefix)
{
	char *pat = like_prefix(prefix);
	int rc = exec_del(st, "DELETE FROM item WHERE host=? AND kind=? AND key LIKE ? ESCAPE '!'",
	    host, kind, pat);
	free(pat);
	return rc;
}

int
sim_state_list(struct sim_state *st, const char *host, const char *kind, const char *prefix,
    struct ro_arena *ar, struct sim_item **items, size_t *n)
{
	sqlite3_stmt *s = NULL;
	int rc = RO_ESTORE;
	char *pat = like_prefix(prefix ? prefix : "");
	size_t cap = 16, k = 0;
	struct sim_item *v = ro_arena_alloc(ar, cap * sizeof(*v));

	pthread_mutex_lock(&st->mu);
	if (sqlite3_prepare_v2(st->db, "SELECT key,a,b,c,n,t FROM item WHERE host=? AND kind=? "
	    "AND key LIKE ? ESCAPE '!' ORDER BY key", -1, &s, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_text(s, 1, host, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, pat, -1, SQLITE_STATIC);
	int r;
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		if (k == cap) {
			struct sim_item *nv = ro_arena_alloc(ar, 2 * cap * sizeof(*nv));
			memcpy(nv, v, k * sizeof(*v));
			v = nv;
			cap *= 2;
		}
		read_row(ar, s, &v[k++]);
	}
	if (r == SQLITE_DONE)
		rc = 0;
out:
	sqlite3_finalize(s);
	pthread_mutex_unlock(&st->mu);
	free(pat);
	*items = v;
	*n = k;
	return rc;
}

int64_t
sim_state_num(struct sim_state *st, const char *host, const char *key, int64_t dflt)
{
	struct ro_arena ar;
	struct sim_item it;
	ro_arena_init(&ar);
	int64_t v = sim_state_get(st, host, "host", key, &ar, &it) == 0 ? it.n : dflt;
	ro_arena_free(&ar);
	return v;
}

int
sim_state_set_num(struct sim_state *st, const char *host, const char *key, int64_t v)
{
	struct sim_item it = { .key = key, .n = v };
	return sim_state_put(st, host, "host", &it);
}

int
sim_state_set_password(struct sim_state *st, const char *host, const char *account,
    const char *password)
{
	unsigned char salt[16], h[32];
	char salthex[33], hhex[65];
	struct ro_arena ar;
	struct sim_item it;
	int rc;

	randombytes_buf(salt, sizeof(salt));
	crypto_generichash(h, sizeof(h), (const unsigned char *)password, strlen(password), salt,
	    sizeof(salt));
	ro_hex(salt, sizeof(salt), salthex);
	ro_hex(h, sizeof(h), hhex);
	ro_arena_init(&ar);
	if (sim_state_get(st, host, "account", account, &ar, &it) != 0) {
		memset(&it, 0, sizeof(it));
		it.key = account;
		it.n = 1;
	}
	it.a = salthex;
	it.b = hhex;
	rc = sim_state_put(st, host, "account", &it);
	ro_arena_free(&ar);
	sodium_memzero(h, sizeof(h));
	return rc;
}

int
sim_state_seed_password(struct sim_state *st, const char *host, const char *account,
    const char *password)
{
	struct ro_arena ar;
	struct sim_item it;
	int rc = 0;

	ro_arena_init(&ar);
	if (sim_state_get(st, host, "account", account, &ar, &it) != 0 || it.b == NULL ||
	    it.b[0] == '\0')
		rc = sim_state_set_password(st, host, account, password);
	ro_arena_free(&ar);
	return rc;
}

int
sim_state_check_password(struct sim_state *st, const char *host, const char *account,
    const char *password)
{
	struct ro_arena ar;
	struct sim_item it;
	unsigned char salt[16], want[32], h[32];
	int ok = 0;

	ro_arena_init(&ar);
	if (sim_state_get(st, host, "account", account, &ar, &it) != 0 || it.n == 0 ||
	    strlen(it.a) != 32 || strlen(it.b) != 64)
		goto out;
	if (sodium_hex2bin(salt, sizeof(salt), it.a, 32, NULL, NULL, NULL) != 0 ||
	    sodium_hex2bin(want, sizeof(want), it.b, 64, NULL, NULL, NULL) != 0)
		goto out;
	crypto_generichash(h, sizeof(h), (const unsigned char *)password, strlen(password), salt,
	    sizeof(salt));
	ok = sodium_memcmp(h, want, sizeof(h)) == 0;
out:
	ro_arena_free(&ar);
	return ok;
}

/* ---- seeding ------------------------------------------------------------- */

static void
put(struct sim_state *st, const char *host, const char *kind, const char *key, const char *a,
    const char *b, const char *c, int64_t n, int64_t t)
{
	struct sim_item it = { .key = key, .a = a, .b = b, .c = c, .n = n, .t = t };
	(void)sim_state_put(st, host, kind, &it);
}

static const char *const term_kbs[][2] = {
	{ "KB5044033", "Update" }, { "KB5045935", "Security Update" },
	{ "KB5048779", "Security Update" }, { "KB5050575", "Update" },
	{ "KB5062553", "Security Update" }, { "KB5063878", "Security Update" },
};
static const char *const cs_kbs[][2] = {
	{ "KB5041948", "Update" }, { "KB5044281", "Security Update" },
	{ "KB5048654", "Security Update" }, { "KB5062572", "Security Update" },
	{ "KB5063880", "Security Update" },
};

/* name, display name, status, start type; cs: 0 both, 1 CS only, 2 terminal only */
static const struct { const char *n, *d, *s, *t; int cs; } services[] = {
	{ "BFE", "Base Filtering Engine", "Running", "Automatic", 0 },
	{ "ClusSvc", "Cluster Service", "Running", "Automatic", 1 },
	{ "Dhcp", "DHCP Client", "Running", "Automatic", 0 },
	{ "Dnscache", "DNS Client", "Running", "Automatic", 0 },
	{ "EventLog", "Windows Event Log", "Running", "Automatic", 0 },
	{ "LanmanServer", "Server", "Running", "Automatic", 0 },
	{ "LanmanWorkstation", "Workstation", "Running", "Automatic", 0 },
	{ "MpsSvc", "Windows Defender Firewall", "Running", "Automatic", 0 },
	{ "OracleServiceJUKI", "OracleServiceJUKI", "Running", "Manual", 1 },
	{ "OracleOraDB19Home1TNSListener", "OracleOraDB19Home1TNSListener", "Running", "Automatic", 1 },
	{ "Schedule", "Task Scheduler", "Running", "Automatic", 0 },
	{ "sshd", "OpenSSH SSH Server", "Running", "Automatic", 0 },
	{ "TabletInputService", "Touch Keyboard and Handwriting Panel Service", "Running", "Manual", 2 },
	{ "TermService", "Remote Desktop Services", "Stopped", "Manual", 0 },
	{ "W32Time", "Windows Time", "Running", "Automatic", 0 },
	{ "WinDefend", "Microsoft Defender Antivirus Service", "Running", "Automatic", 0 },
	{ "Winmgmt", "Windows Management Instrumentation", "Running", "Automatic", 0 },
	{ "wuauserv", "Windows Update", "Stopped", "Manual", 0 },
	{ "JlisCsService", "J-LIS CS Communication Service", "Running", "Automatic", 1 },
	{ "JlisTerminalAgent", "J-LIS Terminal Agent", "Running", "Automatic", 2 },
};

static const struct { const char *n, *d, *dir, *act; int cs; } fwrules[] = {
	{ "CoreNet-DHCP-In", "Core Networking - DHCP (DHCP-In)", "Inbound", "Allow", 0 },
	{ "CoreNet-DNS-Out-UDP", "Core Networking - DNS (UDP-Out)", "Outbound", "Allow", 0 },
	{ "FPS-SMB-In-TCP", "File and Printer Sharing (SMB-In)", "Inbound", "Allow", 0 },
	{ "FPS-ICMP4-ERQ-In", "File and Printer Sharing (Echo Request - ICMPv4-In)", "Inbound", "Allow", 0 },
	{ "OpenSSH-Server-In-TCP", "OpenSSH SSH Server (sshd)", "Inbound", "Allow", 0 },
	{ "RemoteDesktop-UserMode-In-TCP", "Remote Desktop - User Mode (TCP-In)", "Inbound", "Allow", 0 },
	{ "MSCS-ClusSvc-TCP-In", "Failover Clusters (TCP-In)", "Inbound", "Allow", 1 },
	{ "MSCS-ClusSvc-UDP-In", "Failover Clusters (UDP-In)", "Inbound", "Allow", 1 },
	{ "Oracle-Listener-In", "Oracle Listener (TCP 1521)", "Inbound", "Allow", 1 },
	{ "JLIS-CS-Comm-In", "J-LIS CS communication", "Inbound", "Allow", 1 },
	{ "JLIS-Terminal-Out", "J-LIS terminal to CS", "Outbound", "Allow", 2 },
};

int
sim_state_seed_host(struct sim_state *st, const struct sim_host_seed *h)
{
	const char *n = h->name;
	int64_t now = h->now;
	struct ro_arena ar;
	struct sim_item it;
	char buf[256];
	int rc;

	ro_arena_init(&ar);
	pthread_mutex_lock(&st->mu);
	if (sim_state_get(st, n, "host", "seeded", &ar, &it) == 0) {
		if (h->password && sim_state_get(st, n, "account", h->user, &ar, &it) == 0 &&
		    it.b[0] == '\0')
			(void)sim_state_set_password(st, n, h->user, h->password);
		rc = 0;
		goto out;
	}
	int64_t day = 86400;
	put(st, n, "host", "seeded", "", "", "", 1, now);
	put(st, n, "host", "created", "", "", "", now, 0); /* passwords last set a month before */
	put(st, n, "host", "os_build", h->cs ? "10.0.20348" : "10.0.26100", "", "",
	    h->cs ? 20348 : 26100, 0);
	put(st, n, "host", "ubr", "", "", "", h->cs ? 4052 : 6584, 0);
	put(st, n, "host", "caption", h->cs ? "Microsoft Windows Server 2022 Standard" :
	    "Microsoft Windows 11 Pro", "", "", 0, 0);
	/* Booted this morning, a few minutes apart per host. */
	put(st, n, "host", "boot_time", "", "", "", now - 3 * 3600 - (int64_t)(h->index % 60) * 60, 0);
	put(st, n, "host", "disk_free", "", "", "",
	    (h->cs ? 180LL : 60LL) * 1024 * 1024 * 1024 + (int64_t)(h->index % 97) * 104857600LL, 0);
	put(st, n, "host", "disk_size", "", "", "", (h->cs ? 500LL : 256LL) * 1000 * 1000 * 1000, 0);
	put(st, n, "host", "pending_reboot", "", "", "", 0, 0);
	put(st, n, "host", "ipv4", h->address, "", "", 0, 0);

	if (h->cs)
		for (size_t i = 0; i < RO_NELEM(cs_kbs); i++)
			put(st, n, "kb", cs_kbs[i][0], cs_kbs[i][1], "", "", 1, now - (int64_t)(RO_NELEM(cs_kbs) - i) * 30 * day);
	else
		for (size_t i = 0; i < RO_NELEM(term_kbs); i++)
			put(st, n, "kb", term_kbs[i][0], term_kbs[i][1], "", "", 1, now - (int64_t)(RO_NELEM(term_kbs) - i) * 30 * day);

	for (size_t i = 0; i < RO_NELEM(services); i++)
		if (services[i].cs == 0 || services[i].cs == (h->cs ? 1 : 2))
			put(st, n, "service", services[i].n, services[i].d, services[i].s, services[i].t, 0, 0);
	for (size_t i = 0; i < RO_NELEM(fwrules); i++)
		if (fwrules[i].cs == 0 || fwrules[i].cs == (h->cs ? 1 : 2))
			put(st, n, "firewall", fwrules[i].n, fwrules[i].d, fwrules[i].dir, fwrules[i].act, 1, 0);

	put(st, n, "share", "ADMIN$", "C:\\Windows", "Remote Admin", "", 0, 0);
	put(st, n, "share", "C$", "C:\\", "Default share", "", 0, 0);
	put(st, n, "share", "IPC$", "", "Remote IPC", "", 0, 0);
	if (h->cs) {
		put(st, n, "share", "ClusterStorage$", "C:\\ClusterStorage", "Cluster Shared Volumes Default Share", "", 0, 0);
		put(st, n, "share", "Backup$", "E:\\Backup", "Arcserve backup", "", 0, 0);
	}

	/* Accounts: n = enabled. The administrator's password comes from the password file. */
	put(st, n, "account", h->user, "", "", "Built-in account for administering the computer/domain", 1, 0);
	put(st, n, "account", "DefaultAccount", "", "", "A user account managed by the system.", 0, 0);
	put(st, n, "account", "Guest", "", "", "Built-in account for guest access to the computer/domain", 0, 0);
	put(st, n, "account", "WDAGUtilityAccount", "", "", "A user account managed and used by the system for Windows Defender Application Guard scenarios.", 0, 0);
	put(st, n, "account", h->cs ? "jlisadmin" : "jukiuser", "", "", "J-LIS business account", 1, 0);
	if (h->password)
		(void)sim_state_set_password(st, n, h->user, h->password);

	/* Installed software (Uninstall keys): display name -> version, publisher. */
	if (h->cs) {
		put(st, n, "software", "Arcserve Backup", "19.0.6034.1090", "Arcserve (USA), LLC", "", 0, 0);
		put(st, n, "software", "住基ネットCS業務アプリケーション", "2.31.0", "J-LIS", "", 0, 0);
		put(st, n, "software", "Oracle Database 19c", "19.22.0.0", "Oracle Corporation", "", 0, 0);
		put(st, n, "software", "Systemwalker Operation Manager", "17.0.1", "Fujitsu", "", 0, 0);
	} else {
		put(st, n, "software", "住基ネット統合端末業務アプリケーション", "2.31.0", "J-LIS", "", 0, 0);
		put(st, n, "software", "yarai", "3.6.2", "FFRI Security, Inc.", "", 0, 0);
		put(st, n, "software", "Fingerprint Reader Driver", "2.1.4", "Fujitsu", "", 0, 0);
	}
	put(st, n, "software", "Microsoft Edge", "141.0.3537.57", "Microsoft Corporation", "", 0, 0);

	/* Registry values: "KEY|Value" -> type, data. */
	put(st, n, "reg", "HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion|ProductName",
	    "REG_SZ", h->cs ? "Windows Server 2022 Standard" : "Windows 10 Pro", "", 0, 0);
	put(st, n, "reg", "HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion|CurrentBuild",
	    "REG_SZ", h->cs ? "20348" : "26100", "", 0, 0);
	put(st, n, "reg", "HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Winlogon|AutoAdminLogon",
	    "REG_SZ", h->cs ? "1" : "0", "", 0, 0);
	put(st, n, "reg", "HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Winlogon|DefaultUserName",
	    "REG_SZ", h->cs ? "jlisadmin" : "", "", 0, 0);
	put(st, n, "reg", "HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\Lsa|LimitBlankPasswordUse",
	    "REG_DWORD", "1", "", 0, 0);
	put(st, n, "reg", "HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\Windows\\Personalization|NoLockScreen",
	    "REG_DWORD", "0", "", 0, 0);
	put(st, n, "reg", "HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\LanmanServer\\Parameters|AutoShareWks",
	    "REG_DWORD", "1", "", 0, 0);

	/* The vendors' password wrappers named in the password-change campaigns. */
	static const char *const vendor[] = { "arcserve", "shm-manager", "business-app",
		"systemwalker", "yarai-permission", "defender", "yarai" };
	for (size_t i = 0; i < RO_NELEM(vendor); i++) {
		snprintf(buf, sizeof(buf), "C:\\rollout\\vendor\\%s-set-password.cmd", vendor[i]);
		put(st, n, "file", buf, "", "vendor", "", 512, now - 90 * day);
		snprintf(buf, sizeof(buf), "C:\\rollout\\vendor\\%s-check-password.cmd", vendor[i]);
		put(st, n, "file", buf, "", "vendor", "", 512, now - 90 * day);
	}
	if (h->cs)
		put(st, n, "account", "csadmin", "", "", "CS auto-logon account", 1, 0);

	/* What the annual inspection reads on a clean host (playbooks/annual-inspection.yml):
	 * the J-LIS check wrappers on terminals (t01, t16), the logged-on business
	 * account's screen saver (t14), the terminal-encryption tool's log on the CS (c09). */
	if (!h->cs) {
		put(st, n, "file", "C:\\rollout\\jlis\\check-access-restriction.cmd", "", "jlis", "", 512, now - 90 * day);
		put(st, n, "file", "C:\\rollout\\jlis\\check-operator-expiry.cmd", "", "jlis", "", 512, now - 90 * day);
		static const char *const ss[][2] = { { "ScreenSaveActive", "1" }, { "ScreenSaverIsSecure", "1" },
			{ "ScreenSaveTimeOut", "300" } };
		for (size_t i = 0; i < RO_NELEM(ss); i++) {
			snprintf(buf, sizeof(buf), "HKEY_USERS\\S-1-5-21-3623811015-3361044348-30300820-1001\\Control Panel\\Desktop|%s", ss[i][0]);
			put(st, n, "reg", buf, "REG_SZ", ss[i][1], "", 0, 0);
		}
	} else {
		put(st, n, "file", "C:\\Program Files\\TerminalCrypt\\log\\application.log", "", "", "", 48213, now - day);
	}

	/* Audit policy and security policy. */
	put(st, n, "audit", "Logon", "{0CCE9215-69AE-11D9-BED3-505054503030}", "Success and Failure", "", 3, 0);
	put(st, n, "audit", "Logoff", "{0CCE9216-69AE-11D9-BED3-505054503030}", "Success", "", 1, 0);
	put(st, n, "secpol", "LockoutBadCount", "5", "", "", 0, 0);
	put(st, n, "secpol", "LockoutDuration", "30", "", "", 0, 0);
	put(st, n, "secpol", "MinimumPasswordLength", "8", "", "", 0, 0);
	put(st, n, "secpol", "PasswordComplexity", "1", "", "", 0, 0);
	put(st, n, "secpol", "MaximumPasswordAge", "90", "", "", 0, 0);

	/* A few failed logons (event 4625) over the last weeks: at most two on a clean host,
	 * under the inspection's limit; real failed SSH logins add to them. */
	int fails = (int)(h->index % 3);
	for (int i = 0; i < fails; i++) {
		snprintf(buf, sizeof(buf), "Security|%06d", i);
		put(st, n, "event", buf, "An account failed to log on.", "Security", "", 4625,
		    now - (int64_t)(i + 1) * 5 * day);
	}
	rc = 1;
out:
	pthread_mutex_unlock(&st->mu);
	ro_arena_free(&ar);
	return rc;
}
