/*
 * test_sim_commands.c - the emulated Windows commands against a real state
 * (SQLite in a temporary directory), without any network.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "sim-commands.h"
#include "sim-scp.h"
#include "sim-state.h"

struct fx {
	char dir[64];
	struct sim_state *st;
	struct sim_faults faults;
	uint64_t counter;
	struct sim_hostctx term, cs;
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char *cause = NULL;
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_sim_commandsXXXXXX");
	assert_non_null(mkdtemp(f->dir));
	assert_int_equal(sim_state_open(f->dir, &f->st, &cause), 0);
	sim_faults_init(&f->faults);
	struct sim_host_seed t = { .name = "chuo-t01", .address = "127.10.2.1", .user = "Administrator",
		.password = "Init1al-Pass", .now = 1791158400, .index = 3 };
	struct sim_host_seed c = { .name = "cs-active", .cs = 1, .address = "127.10.0.2",
		.user = "Administrator", .password = "Init1al-Pass", .now = 1791158400, .index = 1 };
	assert_int_equal(sim_state_seed_host(f->st, &t), 1);
	assert_int_equal(sim_state_seed_host(f->st, &c), 1);
	assert_int_equal(sim_state_seed_host(f->st, &c), 0);
	f->term = (struct sim_hostctx){ .name = "chuo-t01", .site = "chuo", .address = "127.10.2.1",
		.user = "Administrator", .st = f->st, .faults = &f->faults, .fault_counter = &f->counter,
		.now = 1791162000 };
	f->cs = f->term;
	f->cs.name = "cs-active";
	f->cs.site = "city-hall";
	f->cs.cs = 1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];
	sim_state_close(f->st);
	sim_faults_free(&f->faults);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* Runs cmd on h; returns the exit code; copies stdout/stderr. */
static int
ex(const struct sim_hostctx *h, const char *cmd, const char *in, char *out, size_t n, char *err, size_t en)
{
	struct sim_result r;
	sim_result_init(&r);
	sim_exec(h, cmd, in, in ? strlen(in) : 0, &r);
	if (out)
		snprintf(out, n, "%s", r.out.p);
	if (err)
		snprintf(err, en, "%s", r.err.p);
	int code = r.exit_code;
	sim_result_free(&r);
	return code;
}

#define PS "powershell -NoProfile -NonInteractive -Command "

/* Runs cmd on h; returns the exit code; copies the command log (programs and cmdlets run). */
static int
ran(const struct sim_hostctx *h, const char *cmd, char *calls, size_t n)
{
	struct sim_result r;
	sim_result_init(&r);
	sim_exec(h, cmd, NULL, 0, &r);
	snprintf(calls, n, "%s", r.calls.p);
	int code = r.exit_code;
	sim_result_free(&r);
	return code;
}

/* cmd.exe: & && || | separate commands outside double quotes, ^ escapes, %NAME% expands. */
static void
test_cmd_operators(void **state)
{
	struct fx *f = *state;
	char calls[512], out[4096];
	assert_int_equal(ran(&f->term, "hostname & whoami", calls, sizeof(calls)), 0);
	assert_string_equal(calls, "hostname whoami");
	assert_int_equal(ran(&f->term, "hostname | whoami", calls, sizeof(calls)), 0);
	assert_string_equal(calls, "hostname whoami");
	(void)ran(&f->term, "nosuch.exe && hostname || whoami", calls, sizeof(calls));
	assert_string_equal(calls, "nosuch whoami");
	(void)ran(&f->term, "whoami ^& hostname", calls, sizeof(calls));
	assert_string_equal(calls, "whoami");
	assert_int_equal(ran(&f->term, "reg.exe add \"HKLM\\SOFTWARE\\R\" /v a /t REG_SZ /d \"1 & hostname | whoami\" /f",
	    calls, sizeof(calls)), 0);
	assert_string_equal(calls, "reg");
	assert_int_equal(ex(&f->term, PS "\"(Get-ItemProperty -LiteralPath 'Registry::HKLM\\SOFTWARE\\R' -Name a).a\"",
	    NULL, out, sizeof(out), NULL, 0), 0);
	assert_string_equal(out, "1 & hostname | whoami\r\n");
	assert_int_equal(ran(&f->term, PS "\"'a; b' | Out-Null; Get-PSDrive -Name C | Out-Null; exit 0\"", calls, sizeof(calls)), 0);
	assert_string_equal(calls, "powershell Out-Null Get-PSDrive Out-Null");
	assert_int_equal(ex(&f->term, PS "\"'%COMPUTERNAME%'\"", NULL, out, sizeof(out), NULL, 0), 0);
	assert_string_equal(out, "CHUO-T01\r\n");
}

static void
test_os_update_flow(void **state)
{
	struct fx *f = *state;
	char out[8192], err[8192];
	const char *sha = "2f88176b5edf8c0319ffa59c2e94c834fe2f1af6b40aab7b697380c4dca89474";
	assert_int_equal(ex(&f->term, PS "\"if (Get-HotFix -Id KB5066835 -ErrorAction SilentlyContinue) { exit 0 } else { exit 1 }\"", NULL, out, sizeof(out), err, sizeof(err)), 1);
	assert_string_equal(err, "");
	assert_int_equal(ex(&f->term, PS "\"if ((Get-PSDrive -Name C).Free -gt 4GB) { exit 0 } else { Write-Error 'less than 4 GB free on C:'; exit 1 }\"", NULL, out, sizeof(out), err, sizeof(err)), 0);
	/* wusa before the upload: file not found (0x80070002). */
	assert_int_equal((unsigned)ex(&f->term, "wusa.exe C:\\Windows\\Temp\\KB5066835.msu /quiet /norestart", NULL, out, sizeof(out), err, sizeof(err)), 2147942402u);
	assert_int_equal(sim_file_uploaded(&f->term, "C:\\Windows\\Temp\\KB5066835.msu", 1234, sha), 0);
	assert_int_equal(ex(&f->term, PS "\"if ((Get-FileHash -Algorithm SHA256 -Path C:\\Windows\\Temp\\KB5066835.msu).Hash -eq '2f88176b5edf8c0319ffa59c2e94c834fe2f1af6b40aab7b697380c4dca89474') { exit 0 } else { exit 1 }\"", NULL, out, sizeof(out), err, sizeof(err)), 0);
	assert_int_equal(ex(&f->term, PS "\"(Get-FileHash -Algorithm SHA256 -LiteralPath 'C:\\Windows\\Temp\\KB5066835.msu').Hash\"", NULL, out, sizeof(out), err, sizeof(err)), 0);
	assert_string_equal(out, "2F88176B5EDF8C0319FFA59C2E94C834FE2F1AF6B40AAB7B697380C4DCA89474\r\n");
	struct sim_result r;
	sim_result_init(&r);
	sim_exec(&f->term, "wusa.exe C:\\Windows\\Temp\\KB5066835.msu /quiet /norestart", NULL, 0, &r);
	assert_int_equal(r.exit_code, 3010);
	assert_true(r.vseconds >= 60);
	sim_result_free(&r);
	/* Pending until the restart. */
	assert_int_equal(ex(&f->term, PS "\"Get-HotFix -Id KB5066835\"", NULL, out, sizeof(out), err, sizeof(err)), 1);
	assert_non_null(strstr(err, "Cannot find the requested hotfix on the 'localhost' computer."));
	sim_result_init(&r);
	sim_exec(&f->term, "shutdown /r /t 0", NULL, 0, &r);
	assert_int_equal(r.exit_code, 0);
	assert_int_equal(r.restart, 1);
	sim_result_free(&r);
	sim_host_restarted(&f->term, f->term.now + 120);
	assert_int_equal(ex(&f->term, PS "\"Get-HotFix -Id KB5066835\"", NULL, out, sizeof(out), err, sizeof(err)), 0);
	assert_non_null(strstr(out, "HotFixID"));
	assert_non_null(strstr(out, "KB5066835"));
	assert_int_equal(ex(&f->term, "wusa.exe C:\\Windows\\Temp\\KB5066835.msu /quiet /norestart", NULL, out, sizeof(out), err, sizeof(err)), 2359302);
	assert_int_equal(ex(&f->term, PS "\"Remove-Item -LiteralPath C:\\Windows\\Temp\\KB5066835.msu -Force -ErrorAction SilentlyContinue\"", NULL, out, sizeof(out), err, sizeof(err)), 0);
	assert_int_equal(ex(&f->term, PS "\"Remove-Item -LiteralPath C:\\Windows\\Temp\\KB5066835.msu -Force -ErrorAction SilentlyContinue\"", NULL, out, sizeof(out), err, sizeof(err)), 1);
	assert_string_equal(err, "");
}

static void
test_cluster_and_unknown(void **state)
{
	struct fx *f = *state;
	char out[4096], err[4096];
	const char *clus = PS "\"if ((Get-Service -Name ClusSvc).Status -eq 'Running') { exit 0 } else { exit 1 }\"";
	assert_int_equal(ex(&f->cs, clus, NULL, out, sizeof(out), err, sizeof(err)), 0);
	assert_int_equal(ex(&f->term, clus, NULL, out, sizeof(out), err, sizeof(err)), 1);
	assert_non_null(strstr(err, "Cannot find any service with service name 'ClusSvc'."));
	assert_int_equal(ex(&f->term, "foo /x", NULL, out, sizeof(out), err, sizeof(err)), 1);
	assert_string_equal(err, "'foo' is not recognized as an internal or external command,\r\noperable program or batch file.\r\n");
	assert_int_equal(ex(&f->term, PS "\"Get-Foo\"", NULL, out, sizeof(out), err, sizeof(err)), 1);
	assert_non_null(strstr(err, "The term 'Get-Foo' is not recognized as the name of a cmdlet"));
}

static void
test_password_and_registry(void **state)
{
	struct fx *f = *state;
	char out[4096], err[4096];
	assert_true(sim_state_check_password(f->st, "chuo-t01", "Administrator", "Init1al-Pass"));
	const char *apply = PS "\"$p = [Console]::In.ReadLine() | ConvertTo-SecureString -AsPlainText -Force; Set-LocalUser -Name Administrator -Password $p\"";
	assert_int_equal(sim_exec_reads_stdin(apply), 1);
	assert_int_equal(ex(&f->term, apply, "N3w-Secret-42\n", out, sizeof(out), err, sizeof(err)), 0);
	assert_false(sim_state_check_password(f->st, "chuo-t01", "Administrator", "Init1al-Pass"));
	assert_true(sim_state_check_password(f->st, "chuo-t01", "Administrator", "N3w-Secret-42"));
	/* The new password never reaches argv or output. */
	assert_null(strstr(out, "N3w"));
	const char *key = "HKLM\\SOFTWARE\\Policies\\Rollout";
	char cmd[512];
	snprintf(cmd, sizeof(cmd), PS "\"$v = (Get-ItemProperty -LiteralPath 'Registry::%s' -Name 'Mode' -ErrorAction SilentlyContinue).'Mode'; if ($null -ne $v -and $v -eq '2') { exit 0 } else { exit 1 }\"", key);
	assert_int_equal(ex(&f->term, cmd, NULL, out, sizeof(out), err, sizeof(err)), 1);
	assert_int_equal(ex(&f->term, "reg.exe add \"HKLM\\SOFTWARE\\Policies\\Rollout\" /v \"Mode\" /t REG_DWORD /d \"2\" /f", NULL, out, sizeof(out), err, sizeof(err)), 0);
	assert_string_equal(out, "The operation completed successfully.\r\n\r\n");
	assert_int_equal(ex(&f->term, cmd, NULL, out, sizeof(out), err, sizeof(err)), 0);
	assert_int_equal(ex(&f->term, "reg.exe export \"HKLM\\SOFTWARE\\Policies\\Rollout\" C:\\Windows\\Temp\\b.reg /y", NULL, out, sizeof(out), err, sizeof(err)), 0);
	assert_int_equal(ex(&f->term, "reg query HKLM\\SOFTWARE\\Nope /v X", NULL, out, sizeof(out), err, sizeof(err)), 1);
	assert_non_null(strstr(err, "unable to find the specified registry key or value"));
}

static void
test_fault_fail(void **state)
{
	struct fx *f = *state;
	char *why = NULL;
	char out[1024], err[1024];
	assert_int_equal(sim_faults_flag(&f->faults, "fail:chuo:wusa.exe=1603", &why), 0);
	assert_int_equal(ex(&f->term, "wusa.exe C:\\Windows\\Temp\\KB1.msu /quiet /norestart", NULL, out, sizeof(out), err, sizeof(err)), 1603);
	assert_non_null(strstr(err, "fault injected"));
	assert_int_not_equal(ex(&f->cs, "wusa.exe C:\\Windows\\Temp\\KB1.msu /quiet /norestart", NULL, out, sizeof(out), err, sizeof(err)), 1603);
	assert_int_equal(sim_faults_flag(&f->faults, "diskfull:chuo-t01", &why), 0);
	assert_int_equal(ex(&f->term, PS "\"if ((Get-PSDrive -Name C).Free -gt 4GB) { exit 0 } else { Write-Error 'less than 4 GB free on C:'; exit 1 }\"", NULL, out, sizeof(out), err, sizeof(err)), 1);
	assert_int_not_equal(sim_faults_flag(&f->faults, "bogus:x", &why), 0);
	free(why);
}

static int
scp_cb(void *arg, const char *path, uint64_t size, const char *hex)
{
	snprintf(arg, 256, "%s %llu %s", path, (unsigned long long)size, hex);
	return 0;
}

static void
test_scp_sink(void **state)
{
	char got[256] = "";
	char *p = sim_scp_command("scp -t 'C:\\Windows\\Temp\\KB5066835.msu'");
	assert_string_equal(p, "C:\\Windows\\Temp\\KB5066835.msu");
	struct sim_scp *s = sim_scp_new(p, 0, 1 << 20, scp_cb, got);
	struct ro_buf r;
	ro_buf_init(&r);
	sim_scp_start(s, &r);
	assert_int_equal(r.len, 1);
	const char msg[] = "C0644 3 x.msu\nabc";
	assert_int_equal(sim_scp_feed(s, msg, sizeof(msg) - 1, &r), SIM_SCP_MORE);
	assert_int_equal(sim_scp_feed(s, "", 1, &r), SIM_SCP_MORE);
	assert_int_equal(r.len, 3);
	assert_string_equal(got, "C:\\Windows\\Temp\\KB5066835.msu 3 ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_int_equal(sim_scp_finish(s), 0);
	sim_scp_free(s);
	/* Disk full: refused with a warning byte. */
	s = sim_scp_new(p, 0, 2, scp_cb, got);
	r.len = 0;
	assert_int_equal(sim_scp_feed(s, msg, sizeof(msg) - 1, &r), SIM_SCP_ERROR);
	assert_int_equal(r.p[0], 1);
	assert_non_null(strstr(r.p + 1, "No space left on device"));
	assert_int_equal(sim_scp_finish(s), 1);
	sim_scp_free(s);
	ro_buf_free(&r);
	free(p);
	assert_null(sim_scp_command("scp -f x"));
}

/* Issue 13: a variable in a bare argument of a native program is expanded, as in
 * PowerShell (the inspection's `auditpol /backup /file:$f`). */
static void
test_bare_arg_expands(void **state)
{
	struct fx *f = *state;
	char out[4096], err[4096];
	int code = ex(&f->term, "powershell -NoProfile -Command \"$f = Join-Path $env:TEMP 'a.csv'; "
	    "auditpol /backup /file:$f | Out-Null; (Import-Csv $f | Where-Object { $_.'Subcategory GUID' -eq "
	    "'{0CCE9215-69AE-11D9-BED3-505054503030}' }).'Setting Value'\"", NULL, out, sizeof out, err, sizeof err);
	assert_int_equal(code, 0);
	assert_string_equal(err, "");
	assert_non_null(strstr(out, "3"));
	/* Before the fix the file was written as the literal name '$f'. */
	code = ex(&f->term, "powershell -Command \"Test-Path '$f'\"", NULL, out, sizeof out, err, sizeof err);
	assert_non_null(strstr(out, "False"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_os_update_flow, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cluster_and_unknown, setup, teardown),
		cmocka_unit_test_setup_teardown(test_password_and_registry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fault_fail, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cmd_operators, setup, teardown),
		cmocka_unit_test(test_scp_sink),
		cmocka_unit_test_setup_teardown(test_bare_arg_expands, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
