/* test_inventory.c - the inventory loader: the Sapporo fleet, ranges, and refusals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "error.h"
#include "model.h"
#include "util.h"
#include "testutil.h"

static const char *site_yaml =
    "inventory: t\n"
    "sites:\n"
    "  - {id: a, name: Site A}\n"
    "  - {id: b, name: Site B, max_unavailable: 2}\n";

static struct ro_inventory *
load_ok(const char *text)
{
	struct ro_inventory *inv = NULL;
	struct ro_diags d;
	char *path = tu_write("inv.yml", text);

	ro_diags_init(&d);
	if (ro_inventory_load(path, &inv, &d) != RO_OK)
		ro_diags_print(stderr, &d);
	assert_non_null(inv);
	ro_diags_free(&d);
	free(path);
	return inv;
}

/* Loads text expecting failure with a diagnostic at line:col containing needle. */
static void
load_bad(const char *text, int line, int col, const char *needle)
{
	struct ro_inventory *inv = NULL;
	struct ro_diags d;
	char *path = tu_write("bad.yml", text);

	ro_diags_init(&d);
	assert_int_not_equal(ro_inventory_load(path, &inv, &d), RO_OK);
	assert_null(inv);
	assert_true(TU_DIAG_HAS(&d, line, col, needle));
	ro_diags_free(&d);
	free(path);
}

static void
test_sapporo(void **state)
{
	struct ro_inventory *inv = NULL;
	struct ro_diags d;
	size_t i, cs = 0, d6012 = 0, d7014 = 0;
	uint32_t idx;

	(void)state;
	ro_diags_init(&d);
	assert_int_equal(ro_inventory_load(RO_SOURCE_DIR "/inventory/sapporo.yml", &inv, &d), RO_OK);
	assert_int_equal(inv->nsites, 22);
	assert_int_equal(inv->nhosts, 182);
	for (i = 0; i < inv->nhosts; i++) {
		const struct ro_host *h = &inv->hosts[i];
		if (h->role != RO_ROLE_TERMINAL) {
			cs++;
			assert_string_equal(inv->sites[h->site].id, "kikusui");
		} else if (strcmp(h->model, "ESPRIMO D6012/N") == 0)
			d6012++;
		else if (strcmp(h->model, "ESPRIMO D7014/R") == 0)
			d7014++;
		assert_true(strncmp(h->address, "127.", 4) == 0);
	}
	assert_int_equal(cs, 2);
	assert_int_equal(d6012, 130);
	assert_int_equal(d7014, 50);
	assert_true(ro_inventory_host(inv, "cs-active", &idx));
	assert_int_equal(inv->hosts[idx].role, RO_ROLE_CS_ACTIVE);
	assert_true(ro_inventory_host(inv, "cs-standby", &idx));
	assert_int_equal(inv->hosts[idx].role, RO_ROLE_CS_STANDBY);
	/* The 2nd My Number Card Center has 20 D7014/R and nothing else. */
	assert_true(ro_inventory_site(inv, "mynumber-2", &idx));
	assert_int_equal(inv->sites[idx].nhosts, 20);
	ro_inventory_free(inv);
	ro_diags_free(&d);
}

static void
test_range_expansion(void **state)
{
	char text[1024];
	struct ro_inventory *inv;
	uint32_t idx;

	(void)state;
	snprintf(text, sizeof text, "%s"
	    "hosts:\n"
	    "  - {range: \"a-t[08:11]\", site: a, role: terminal, model: M, os: W, address: 127.1.0.254}\n"
	    "  - {name: b-one, site: b, role: terminal, model: M, os: W, address: 127.1.2.1, port: 2222}\n",
	    site_yaml);
	inv = load_ok(text);
	assert_int_equal(inv->nhosts, 5);
	assert_string_equal(inv->hosts[0].name, "a-t08");
	assert_string_equal(inv->hosts[3].name, "a-t11");
	/* Addresses carry over octet boundaries. */
	assert_string_equal(inv->hosts[1].address, "127.1.0.255");
	assert_string_equal(inv->hosts[2].address, "127.1.1.0");
	assert_int_equal(inv->hosts[0].port, 22);
	assert_int_equal(inv->hosts[4].port, 2222);
	/* Equal models are interned to one pointer. */
	assert_ptr_equal(inv->hosts[0].model, inv->hosts[4].model);
	assert_true(ro_inventory_host(inv, "a-t10", &idx));
	assert_int_equal(idx, 2);
	assert_int_equal(inv->sites[0].nhosts, 4);
	ro_inventory_free(inv);
}

static void
test_duplicates(void **state)
{
	char text[1024];

	(void)state;
	snprintf(text, sizeof text, "%s"
	    "hosts:\n"
	    "  - {range: \"a-t[1:3]\", site: a, role: terminal, model: M, os: W, address: 127.1.0.1}\n"
	    "  - {name: a-t2, site: b, role: terminal, model: M, os: W, address: 127.1.9.1}\n",
	    site_yaml);
	load_bad(text, 7, 12, "duplicate host name 'a-t2'");
	snprintf(text, sizeof text, "%s"
	    "hosts:\n"
	    "  - {range: \"a-t[1:3]\", site: a, role: terminal, model: M, os: W, address: 127.1.0.1}\n"
	    "  - {name: b-1, site: b, role: terminal, model: M, os: W, address: 127.1.0.3}\n",
	    site_yaml);
	load_bad(text, 7, 68, "duplicate address 127.1.0.3");
	load_bad("inventory: t\nsites:\n  - {id: a, name: A}\n  - {id: a, name: B}\nhosts: []\n",
	    4, 10, "duplicate site id 'a'");
}

static void
test_references_and_typos(void **state)
{
	char text[1024];

	(void)state;
	snprintf(text, sizeof text, "%s"
	    "hosts:\n"
	    "  - {name: x, site: c, role: terminal, model: M, os: W, address: 127.1.0.1}\n", site_yaml);
	load_bad(text, 6, 21, "unknown site 'c'");
	snprintf(text, sizeof text, "%s"
	    "hosts:\n"
	    "  - {name: x, site: a, role: termnal, model: M, os: W, address: 127.1.0.1}\n", site_yaml);
	load_bad(text, 6, 30, "did you mean 'terminal'?");
	snprintf(text, sizeof text, "%s"
	    "hosts:\n"
	    "  - {name: x, site: a, role: terminal, modle: M, os: W, address: 127.1.0.1}\n", site_yaml);
	load_bad(text, 6, 40, "did you mean 'model'?");
	snprintf(text, sizeof text, "%s"
	    "hosts:\n"
	    "  - {name: x, site: a, role: terminal, model: M, os: W, address: 127.1.0.300}\n", site_yaml);
	load_bad(text, 0, 0, "invalid address");
	snprintf(text, sizeof text, "%s"
	    "hosts:\n"
	    "  - {range: \"x[5:2]\", site: a, role: terminal, model: M, os: W, address: 127.1.0.1}\n", site_yaml);
	load_bad(text, 6, 13, "invalid host range");
	snprintf(text, sizeof text, "%s"
	    "hosts:\n"
	    "  - {name: x, site: a, role: terminal, model: M, os: W, address: 127.1.0.1, port: 70000}\n", site_yaml);
	load_bad(text, 6, 83, "out of range");
	snprintf(text, sizeof text, "%s"
	    "hosts:\n"
	    "  - {name: x, site: a, role: cs-active, model: M, os: W, address: 127.1.0.1}\n"
	    "  - {name: y, site: a, role: cs-active, model: M, os: W, address: 127.1.0.2}\n", site_yaml);
	load_bad(text, 7, 5, "a second cs-active host 'y'");
	load_bad("inventory: t\nsites:\n  - {id: a, name: A, max_unavailable: 150%}\nhosts: []\n",
	    3, 39, "over 100%");
}

static void
test_hostile_yaml(void **state)
{
	char *big;
	size_t i, n = 9u * 1024 * 1024;
	struct ro_inventory *inv = NULL;
	struct ro_diags d;
	FILE *f;
	char *path;

	(void)state;
	load_bad("inventory: t\nsites: &s [{id: a, name: A}]\nhosts: *s\n", 2, 8, "anchors");
	load_bad("a: [\n", 0, 0, "invalid YAML");
	load_bad("inventory: t\n\tsites: []\n", 2, 1, "tab");
	load_bad("inventory: \"t\xff\xfe\"\n", 0, 0, "UTF-8");
	load_bad("inventory: t\ninventory: u\nsites: []\nhosts: []\n", 2, 1, "duplicate key 'inventory'");
	load_bad("", 1, 1, "empty");
	load_bad("- just\n- a list\n", 1, 1, "expected a mapping");
	big = malloc(20001);
	for (i = 0; i < 10000; i++)
		big[i] = '[';
	for (; i < 20000; i++)
		big[i] = ']';
	big[20000] = '\0';
	load_bad(big, 1, 65, "nesting deeper than 64");
	free(big);
	/* A file over the size limit is refused before it is parsed. */
	path = tu_write("big.yml", "inventory: t\n");
	f = fopen(path, "a");
	for (i = 0; i < n / 64; i++)
		fputs("# padding padding padding padding padding padding padding pad\n", f);
	fclose(f);
	ro_diags_init(&d);
	assert_int_equal(ro_inventory_load(path, &inv, &d), RO_EINVAL);
	assert_true(TU_DIAG_HAS(&d, 0, 0, "the limit is"));
	ro_diags_free(&d);
	unlink(path);
	free(path);
}

static void
test_groups_and_selectors(void **state)
{
	char text[2048];
	struct ro_inventory *inv;
	size_t i, n = 0;

	(void)state;
	snprintf(text, sizeof text,
	    "inventory: t\n"
	    "sites:\n"
	    "  - {id: a, name: A, tags: [ward]}\n"
	    "  - {id: b, name: B}\n"
	    "hosts:\n"
	    "  - {range: \"a-[1:4]\", site: a, role: terminal, model: M1, os: W, address: 127.1.0.1}\n"
	    "  - {range: \"b-[1:4]\", site: b, role: terminal, model: M2, os: W, address: 127.1.1.1, tags: [front]}\n"
	    "groups:\n"
	    "  wards: {tags: [ward]}\n"
	    "  front-desk: {sites: [b], tags: [front], exclude: {hosts: [b-2]}}\n");
	inv = load_ok(text);
	assert_int_equal(inv->ngroups, 2);
	for (i = 0; i < inv->nhosts; i++)
		n += ro_selector_match(inv, &inv->groups[1].sel, (uint32_t)i);
	assert_int_equal(n, 3);
	for (n = 0, i = 0; i < inv->nhosts; i++)
		n += ro_selector_match(inv, &inv->groups[0].sel, (uint32_t)i);
	assert_int_equal(n, 4);
	ro_inventory_free(inv);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sapporo),
		cmocka_unit_test(test_range_expansion),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_references_and_typos),
		cmocka_unit_test(test_hostile_yaml),
		cmocka_unit_test(test_groups_and_selectors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
