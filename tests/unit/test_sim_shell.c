/*
 * test_sim_shell.c - the simulator's cmd.exe splitting and PowerShell interpreter.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sim-shell.h"

static void
test_cmd_split(void **state)
{
	struct ro_arena a;
	char **v;
	ro_arena_init(&a);
	size_t n = sim_cmd_split(&a, "powershell -NoProfile -Command \"if ($x) { 'a b' }\" C:\\x\\ \"q\\\"t\" \"\"", &v);
	assert_int_equal(n, 7);
	assert_string_equal(v[0], "powershell");
	assert_string_equal(v[3], "if ($x) { 'a b' }");
	assert_string_equal(v[4], "C:\\x\\");
	assert_string_equal(v[5], "q\"t");
	assert_string_equal(v[6], "");
	assert_null(v[7]);
	assert_string_equal(sim_cmd_program(&a, "C:\\Windows\\System32\\WUSA.EXE"), "wusa");
	ro_arena_free(&a);
}

/* Runs script with no host commands; returns the exit code, output in *out. */
static int
run(const char *script, char *out, size_t outsz, char *err, size_t errsz)
{
	struct ro_arena a;
	struct ro_buf o, e;
	struct sim_ps ps;
	ro_arena_init(&a);
	ro_buf_init(&o);
	ro_buf_init(&e);
	sim_ps_init(&ps, &a, &o, &e, NULL, NULL);
	ps.stdin_data = "line1\r\nline2\n";
	ps.stdin_len = strlen(ps.stdin_data);
	int rc = sim_ps_run(&ps, script);
	snprintf(out, outsz, "%s", o.p ? o.p : "");
	if (err)
		snprintf(err, errsz, "%s", e.p ? e.p : "");
	ro_buf_free(&o);
	ro_buf_free(&e);
	ro_arena_free(&a);
	return rc;
}

/* PowerShell reads U+2018..U+201B as single quotes and U+201C..U+201E as double quotes. */
static void
test_ps_typographic_quotes(void **state)
{
	char out[4096];
	(void)state;
	assert_int_equal(run("$x = \xe2\x80\x98" "a b\xe2\x80\x99; if ($x -eq 'a b') { exit 0 } else { exit 1 }",
	    out, sizeof(out), NULL, 0), 0);
	assert_int_equal(run("$x = \xe2\x80\x9c" "a b\xe2\x80\x9d; if ($x -eq 'a b') { exit 0 } else { exit 1 }",
	    out, sizeof(out), NULL, 0), 0);
	/* A typographic quote ends an ASCII-quoted string: what follows is code. */
	assert_int_equal(run("$x = 'a\xe2\x80\x99; exit 7; \xe2\x80\x98" "b'", out, sizeof(out), NULL, 0), 7);
	/* A doubled one stays inside the string. */
	assert_int_equal(run("$x = 'a\xe2\x80\x99\xe2\x80\x99; exit 7'; exit 0", out, sizeof(out), NULL, 0), 0);
}

static void
test_ps_control(void **state)
{
	char out[4096], err[4096];
	assert_int_equal(run("if (5GB -gt 4GB) { exit 0 } else { exit 1 }", out, sizeof(out), NULL, 0), 0);
	assert_int_equal(run("if (3GB -gt 4GB) { exit 0 } else { exit 7 }", out, sizeof(out), NULL, 0), 7);
	assert_int_equal(run("$a = 2; if ($a -eq 1) { 'one' } elseif ($a -eq 2) { 'two' } else { 'x' }", out, sizeof(out), NULL, 0), 0);
	assert_string_equal(out, "two\r\n");
	assert_int_equal(run("'it''s' + \" ok\"", out, sizeof(out), NULL, 0), 0);
	assert_string_equal(out, "it's ok\r\n");
	assert_int_equal(run("if (@('true','yes') -contains 'YES') { exit 3010 } else { exit 0 }", out, sizeof(out), NULL, 0), 3010);
	assert_int_equal(run("$s = ('a,b,c' -split ',') -join '|'; $s", out, sizeof(out), NULL, 0), 0);
	assert_string_equal(out, "a|b|c\r\n");
	assert_int_equal(run("if ([version]'2.40.0' -ge [version]'2.9.1') { exit 0 } else { exit 1 }", out, sizeof(out), NULL, 0), 0);
	assert_int_equal(run("$n = 0; foreach ($x in 1,2,3) { $n += $x }; $n", out, sizeof(out), NULL, 0), 0);
	assert_string_equal(out, "6\r\n");
	assert_int_equal(run("@(1,2,3) | Where-Object { $_ -gt 1 } | ForEach-Object { $_ * 10 }", out, sizeof(out), NULL, 0), 0);
	assert_string_equal(out, "20\r\n30\r\n");
	assert_int_equal(run("$p = [Console]::In.ReadLine(); $q = [Console]::In.ReadLine(); $p + '/' + $q", out, sizeof(out), NULL, 0), 0);
	assert_string_equal(out, "line1/line2\r\n");
	assert_int_equal(run("if ('k=v' -match '^(\\w+)\\s*=\\s*(.*)$') { $Matches[2] }", out, sizeof(out), NULL, 0), 0);
	assert_string_equal(out, "v\r\n");
	assert_int_equal(run("[BitConverter]::ToString([Security.Cryptography.SHA256]::Create().ComputeHash([Text.Encoding]::UTF8.GetBytes('abc'))).Replace('-','')", out, sizeof(out), NULL, 0), 0);
	assert_string_equal(out, "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD\r\n");
	/* Write-Error makes the last statement fail: exit 1 without exit. */
	assert_int_equal(run("Write-Error 'less than 4 GB free on C:'", out, sizeof(out), err, sizeof(err)), 1);
	assert_non_null(strstr(err, "less than 4 GB free on C:"));
	assert_non_null(strstr(err, "WriteErrorException"));
	assert_int_equal(run("try { throw 'boom' } catch { 'caught' }; exit 4", out, sizeof(out), err, sizeof(err)), 4);
}

static void
test_ps_errors(void **state)
{
	char out[4096], err[4096];
	assert_int_equal(run("Get-Nothing -Id 3", out, sizeof(out), err, sizeof(err)), 1);
	assert_non_null(strstr(err, "The term 'Get-Nothing' is not recognized as the name of a cmdlet"));
	assert_int_equal(run("if (1 -eq { exit 0 }", out, sizeof(out), err, sizeof(err)), 1);
	assert_non_null(strstr(err, "ParserError"));
	/* Not emulated constructs fail loudly, never pretend. */
	assert_int_equal(run("function f { 1 }; f", out, sizeof(out), err, sizeof(err)), 1);
	assert_non_null(strstr(err, "rollout-sim"));
	assert_int_equal(run("$x = 'a'; $x.NoSuchMethod()", out, sizeof(out), err, sizeof(err)), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cmd_split),
		cmocka_unit_test(test_ps_typographic_quotes),
		cmocka_unit_test(test_ps_control),
		cmocka_unit_test(test_ps_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
