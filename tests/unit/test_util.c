/*
 * test_util.c - ro_safe: what a person typed, made safe for a terminal.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "util.h"

static void
expect_safe(const char *in, const char *want)
{
	char *got = ro_safe(in);

	assert_string_equal(got, want);
	free(got);
}

static void
test_safe_escapes_controls(void **state)
{
	(void)state;
	expect_safe("plain text", "plain text");
	expect_safe("C:\\rollout\\vendor", "C:\\rollout\\vendor"); /* backslashes as they are */
	expect_safe("令和8年 OS更新", "令和8年 OS更新");          /* UTF-8 as it is */
	expect_safe("a\x1b[31mred\x1b]0;title\x07", "a\\x1b[31mred\\x1b]0;title\\x07");
	expect_safe("two\nlines\r\ttab\x7f", "two\\nlines\\r\\ttab\\x7f");
	expect_safe("c1 \xc2\x9b" "2J", "c1 \\u009b2J");                  /* U+009B CSI */
	expect_safe("bidi \xe2\x80\xae" "txt.exe", "bidi \\u202etxt.exe"); /* U+202E */
	expect_safe("raw \x9b byte", "raw \\x9b byte");                   /* not UTF-8 */
	expect_safe("overlong \xc0\xaf", "overlong \\xc0\\xaf");
	expect_safe("cut \xe6\x97", "cut \\xe6\\x97");
	expect_safe("", "");
	assert_null(ro_safe(NULL));
}

static void
test_safe_replace(void **state)
{
	char *s = ro_xstrdup("x\x1b");
	char *none = NULL;

	(void)state;
	ro_safe_replace(&s);
	assert_string_equal(s, "x\\x1b");
	free(s);
	ro_safe_replace(&none);
	assert_null(none);
}

/* ro_unhex takes exactly 2n hex digits, either case, and ro_hex reads back. */
static void
test_unhex(void **state)
{
	unsigned char b[3], all[256];
	char hex[2 * sizeof all + 1];
	size_t i;

	(void)state;
	assert_int_equal(ro_unhex("00ff7A", b, sizeof b), 1);
	assert_int_equal(b[0], 0x00);
	assert_int_equal(b[1], 0xff);
	assert_int_equal(b[2], 0x7a);
	for (i = 0; i < sizeof all; i++)
		all[i] = (unsigned char)i;
	ro_hex(all, sizeof all, hex);
	memset(all, 0, sizeof all);
	assert_int_equal(ro_unhex(hex, all, sizeof all), 1);
	for (i = 0; i < sizeof all; i++)
		assert_int_equal(all[i], i);
	/* Too short, too long, odd, not hex, separators, NULL: all refused. */
	assert_int_equal(ro_unhex("00ff", b, sizeof b), 0);
	assert_int_equal(ro_unhex("00ff7a00", b, sizeof b), 0);
	assert_int_equal(ro_unhex("00ff7", b, sizeof b), 0);
	assert_int_equal(ro_unhex("00fg7a", b, sizeof b), 0);
	assert_int_equal(ro_unhex("00:f:7a", b, sizeof b), 0);
	assert_int_equal(ro_unhex(" 0ff7a", b, sizeof b), 0);
	assert_int_equal(ro_unhex(NULL, b, sizeof b), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_safe_escapes_controls),
		cmocka_unit_test(test_safe_replace),
		cmocka_unit_test(test_unhex),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
