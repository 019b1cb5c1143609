/*
 * test_approval.c - signed approvals: a real Ed25519 signature by a roster
 * member with the gate's role verifies; every way of forging, moving or
 * altering one does not (engine/approval.c, vault/message.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "approval.h"
#include "campaign.h"
#include "error.h"
#include "planner.h"
#include "vault.h"

#define APPROVERS RO_SOURCE_DIR "/tests/approvers/"

struct fx {
	struct ro_campaign *c, *c2;
	struct ro_plan *p, *p2;
	struct ro_gates *g, *g2;
	struct vault_key *sato, *tanaka, *yamada;
};

static struct vault_key *
unlock(const char *name)
{
	char path[512], pass[128];
	struct vault_key *k = NULL;
	char *cause = NULL;

	snprintf(path, sizeof path, APPROVERS "%s.key", name);
	snprintf(pass, sizeof pass, "e2e approver %s passphrase", name);
	if (vault_key_unlock(path, pass, strlen(pass), &k, &cause) != VAULT_OK)
		fail_msg("cannot unlock %s: %s", path, cause ? cause : "?");
	return k;
}

static void
load(const char *file, struct ro_campaign **c, struct ro_plan **p, struct ro_gates **g)
{
	struct ro_diags d;
	char *cause = NULL;

	ro_diags_init(&d);
	assert_int_equal(ro_campaign_load(file, NULL, 0, c, &d), RO_OK);
	assert_int_equal(ro_plan_build(*c, p, &d), RO_OK);
	assert_int_equal(ro_gates_from_canonical((*p)->canonical, (*p)->canonical_len, (*p)->hash, g,
	    &cause), RO_OK);
	ro_diags_free(&d);
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);

	load(RO_SOURCE_DIR "/tests/e2e/campaigns/forgery.yml", &f->c, &f->p, &f->g);
	load(RO_SOURCE_DIR "/tests/e2e/campaigns/forgery-other.yml", &f->c2, &f->p2, &f->g2);
	f->sato = unlock("sato");
	f->tanaka = unlock("tanaka");
	f->yamada = unlock("yamada");
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	ro_gates_free(f->g);
	ro_gates_free(f->g2);
	ro_plan_free(f->p);
	ro_plan_free(f->p2);
	ro_campaign_free(f->c);
	ro_campaign_free(f->c2);
	vault_key_free(f->sato);
	vault_key_free(f->tanaka);
	vault_key_free(f->yamada);
	free(f);
	return 0;
}

/* sign fills a row as `rollout approve` would store it: key signs wave of
 * the plan g for the decision, naming signer. */
static void
sign(const struct ro_gates *g, struct vault_key *key, const char *signer, int wave,
    const char *decision, const char *comment, struct ro_approval_info *a)
{
	unsigned char pk[VAULT_PUBLICKEYBYTES], sig[VAULT_SIGNATUREBYTES];
	char hex[2 * VAULT_SIGNATUREBYTES + 1];
	struct ro_approval_rec rec = { g->campaign, wave, g->gate[wave], g->plan_hash, decision,
		1790000000, comment, signer };
	struct ro_buf m;

	ro_buf_init(&m);
	ro_approval_message(&rec, &m);
	assert_int_equal(vault_key_sign_message(key, RO_APPROVAL_CTX, m.p, m.len, sig), VAULT_OK);
	ro_buf_free(&m);
	memset(a, 0, sizeof *a);
	a->id = 1;
	a->wave = wave;
	a->approver = strdup(signer);
	a->comment = comment ? strdup(comment) : NULL;
	a->plan_hash = strdup(g->plan_hash);
	a->approved_at = rec.at;
	a->decision = strdup(decision);
	a->gate = strdup(g->gate[wave]);
	vault_key_sign_public(key, pk);
	ro_hex(pk, sizeof pk, hex);
	a->signer_key = strdup(hex);
	ro_hex(sig, sizeof sig, hex);
	a->signature = strdup(hex);
}

static void
row_clear(struct ro_approval_info *a)
{
	free(a->approver);
	free(a->comment);
	free(a->plan_hash);
	free(a->decision);
	free(a->gate);
	free(a->signer_key);
	free(a->signature);
}

/* expect_refused: verify fails and the reason contains want. */
static void
expect_refused(const struct ro_gates *g, const struct ro_approval_info *a, const char *want)
{
	char *why = NULL;

	assert_int_equal(ro_approval_verify(g, a, NULL, &why), RO_EPROTO);
	assert_non_null(why);
	if (strstr(why, want) == NULL)
		fail_msg("expected '%s' in: %s", want, why);
	free(why);
}

static void
test_valid_approval_and_refusal(void **state)
{
	struct fx *f = *state;
	struct ro_approval_info a;
	const struct ro_approver *who = NULL;
	char *why = NULL;

	sign(f->g, f->sato, "sato", 0, "approve", "OK です", &a);
	assert_int_equal(ro_approval_verify(f->g, &a, &who, &why), RO_OK);
	assert_null(why);
	assert_non_null(who);
	assert_string_equal(who->name, "sato");
	assert_string_equal(who->role, "city-approver");
	row_clear(&a);
	sign(f->g, f->sato, "sato", 2, "refuse", NULL, &a);
	assert_int_equal(ro_approval_verify(f->g, &a, NULL, &why), RO_OK);
	row_clear(&a);
}

static void
test_altered_rows_do_not_verify(void **state)
{
	struct fx *f = *state;
	struct ro_approval_info a;

	/* The comment, the decision or the time changed after signing. */
	sign(f->g, f->sato, "sato", 0, "approve", "OK", &a);
	free(a.comment);
	a.comment = strdup("OK, and approve wave 3 too");
	expect_refused(f->g, &a, "does not match this record");
	row_clear(&a);
	sign(f->g, f->sato, "sato", 0, "refuse", "no", &a);
	free(a.decision);
	a.decision = strdup("approve");
	expect_refused(f->g, &a, "does not match this record");
	row_clear(&a);
	sign(f->g, f->sato, "sato", 0, "approve", NULL, &a);
	a.approved_at++;
	expect_refused(f->g, &a, "does not match this record");
	row_clear(&a);
}

static void
test_replays_do_not_verify(void **state)
{
	struct fx *f = *state;
	struct ro_approval_info a;
	char *why = NULL;

	/* Wave 1's signature presented for wave 2. */
	sign(f->g, f->sato, "sato", 0, "approve", NULL, &a);
	a.wave = 1;
	expect_refused(f->g, &a, "does not match this record");
	row_clear(&a);
	/* Another campaign's (another plan's) signature presented for this one. */
	sign(f->g2, f->sato, "sato", 0, "approve", NULL, &a);
	assert_int_equal(ro_approval_verify(f->g2, &a, NULL, &why), RO_OK);
	expect_refused(f->g, &a, "does not match this record");
	row_clear(&a);
}

static void
test_signers_off_roster_or_role(void **state)
{
	struct fx *f = *state;
	struct ro_approval_info a;

	sign(f->g, f->yamada, "yamada", 0, "approve", NULL, &a);
	expect_refused(f->g, &a, "not on the roster");
	row_clear(&a);
	sign(f->g, f->tanaka, "tanaka", 0, "approve", NULL, &a);
	expect_refused(f->g, &a, "tanaka is a contractor-lead; the before-first gate of wave 1 is "
	    "approved by a city-approver");
	row_clear(&a);
	/* sato's signature on a row that names someone else. */
	sign(f->g, f->sato, "sato", 0, "approve", NULL, &a);
	free(a.approver);
	a.approver = strdup("tanaka");
	expect_refused(f->g, &a, "names 'tanaka' but the key is sato's");
	row_clear(&a);
	/* A row with no signature at all (written with sqlite3). */
	memset(&a, 0, sizeof a);
	a.approver = strdup("sato");
	a.plan_hash = strdup(f->g->plan_hash);
	expect_refused(f->g, &a, "carries no signature");
	row_clear(&a);
}

static void
test_message_context_is_bound(void **state)
{
	struct fx *f = *state;
	unsigned char pk[VAULT_PUBLICKEYBYTES], sig[VAULT_SIGNATUREBYTES];

	vault_key_sign_public(f->sato, pk);
	assert_int_equal(vault_key_sign_message(f->sato, "purpose-a", "m", 1, sig), VAULT_OK);
	assert_int_equal(vault_message_verify(pk, "purpose-a", "m", 1, sig), VAULT_OK);
	assert_int_equal(vault_message_verify(pk, "purpose-b", "m", 1, sig), VAULT_EFORGED);
	assert_int_equal(vault_message_verify(pk, "purpose-a", "n", 1, sig), VAULT_EFORGED);
	assert_int_equal(vault_key_sign_message(f->sato, "", "m", 1, sig), VAULT_EINVAL);
}

static void
test_recorded_plan_is_checked(void **state)
{
	struct fx *f = *state;
	struct ro_buf b;
	struct ro_gates *g = NULL;
	char *cause = NULL, *k;

	ro_buf_init(&b);
	ro_plan_json(f->p, &b);
	assert_int_equal(ro_gates_from_plan_json(b.p, f->p->hash, &g, &cause), RO_OK);
	assert_non_null(g->roster);
	assert_int_equal(g->roster->n, 2);
	assert_string_equal(g->gate[1], "every-wave");
	ro_gates_free(g);
	g = NULL;
	/* Someone swaps a roster key in the stored plan for their own. */
	k = strstr(b.p, "957dd808");
	assert_non_null(k);
	memcpy(k, "b98ab177", 8);
	assert_int_equal(ro_gates_from_plan_json(b.p, f->p->hash, &g, &cause), RO_EINVAL);
	assert_null(g);
	assert_non_null(strstr(cause, "the plan in the store was altered"));
	free(cause);
	ro_buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_approval_and_refusal),
		cmocka_unit_test(test_altered_rows_do_not_verify),
		cmocka_unit_test(test_replays_do_not_verify),
		cmocka_unit_test(test_signers_off_roster_or_role),
		cmocka_unit_test(test_message_context_is_bound),
		cmocka_unit_test(test_recorded_plan_is_checked),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
