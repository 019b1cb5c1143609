/*
 * test_vault.c - the vault library: round trip, key files, every byte of a
 * file flipped, swapped and rolled-back entries, an older file put back, a
 * removed member, the lock, the policy.
 *
 * Keys come from fixed seeds (vault__key_from_seed) so that only the key
 * file tests pay for Argon2id, and those use the minimum limits.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "vault.h"
#include "vault_int.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[256];

static void
path_in(char *out, size_t n, const char *name)
{
	snprintf(out, n, "%s/%s", dir, name);
}

static struct vault_key *
seed_key(const char *name, unsigned char b)
{
	unsigned char seed[32];
	struct vault_key *k;

	memset(seed, b, sizeof(seed));
	assert_int_equal(vault__key_from_seed(name, seed, &k), 0);
	return k;
}

static unsigned char *
slurp(const char *path, size_t *len)
{
	unsigned char *buf;
	assert_int_equal(vault__read_file(path, VAULT_MAX_FILE, &buf, len, NULL), 0);
	return buf;
}

static void
spit(const char *path, const unsigned char *buf, size_t len)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void
put_str(struct vault *v, const char *name, const char *val, enum vault_state st)
{
	assert_int_equal(vault_put(v, name, val, strlen(val), st, "tester", 1000), 0);
}

static void
check_value(struct vault *v, const char *name, enum vault_state st, const char *want)
{
	struct vault_secret *s;

	assert_int_equal(vault_get(v, name, st, &s), 0);
	assert_int_equal(vault_secret_len(s), strlen(want));
	assert_memory_equal(vault_secret_data(s), want, strlen(want));
	vault_secret_free(s);
}

/* make_vault writes a vault with members alice (and bob) and three entries. */
static void
make_vault(const char *path, struct vault_key *a, struct vault_key *b)
{
	struct vault *v;

	unlink(path);
	assert_int_equal(vault_create(path, a, 1000, &v, NULL), 0);
	if (b) {
		assert_int_equal(vault_member_add(v, "bob", b->pk, b->sign_pk, 1001), 0);
		/* bob's first open trusts the fingerprint alice gives him. */
		assert_int_equal(vault_key_trust(b, vault_fingerprint(v)), 0);
	}
	put_str(v, "cs-active/windows-admin", "Aa1!aaaaaaaaaaaa", VAULT_CURRENT);
	put_str(v, "cs-active/oracle-system", "Bb2!bbbbbbbbbbbb", VAULT_CURRENT);
	put_str(v, "kita-t03/windows-admin", "Cc3!cccccccccccc", VAULT_CURRENT);
	assert_int_equal(vault_save(v, NULL), 0);
	vault_close(v);
}

static int
setup(void **state)
{
	snprintf(dir, sizeof(dir), "%s/test_vault.XXXXXX", RO_BINARY_DIR);
	assert_non_null(mkdtemp(dir));
	return 0;
}

static int
teardown(void **state)
{
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void
test_keyfile(void **state)
{
	char kp[300], name[VAULT_NAME_MAX + 1];
	unsigned char pk[32], *buf;
	struct vault_key *k = NULL;
	size_t len;
	struct stat st;

	path_in(kp, sizeof(kp), "alice.key");
	assert_int_equal(vault_key_create(kp, "alice", "correct horse", 13, &VAULT_KDF_MIN, NULL), 0);
	assert_int_equal(stat(kp, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(vault_key_create(kp, "alice", "x", 1, &VAULT_KDF_MIN, NULL), VAULT_EEXIST);
	assert_int_equal(vault_key_unlock(kp, "wrong horse", 11, &k, NULL), VAULT_EPASSPHRASE);
	assert_null(k);
	assert_int_equal(vault_key_unlock(kp, "correct horse", 13, &k, NULL), 0);
	assert_string_equal(vault_key_name(k), "alice");
	assert_int_equal(vault_key_public(kp, name, pk, NULL), 0);
	assert_string_equal(name, "alice");
	assert_memory_equal(pk, k->pk, 32);
	vault_key_free(k);

	/* Raising the stored cost or changing the salt is noticed. */
	buf = slurp(kp, &len);
	buf[33] ^= 1; /* salt */
	spit(kp, buf, len);
	assert_int_equal(vault_key_unlock(kp, "correct horse", 13, &k, NULL), VAULT_EPASSPHRASE);
	buf[33] ^= 1;
	buf[16] = 0xff; /* opslimit 255: out of the allowed range */
	spit(kp, buf, len);
	assert_int_equal(vault_key_unlock(kp, "correct horse", 13, &k, NULL), VAULT_EKEYFILE);
	free(buf);
}

static void
test_round_trip(void **state)
{
	char vp[300];
	struct vault_key *a = seed_key("alice", 1);
	struct vault_entry_info info;
	struct vault *v;
	uint64_t c;
	int i;

	path_in(vp, sizeof(vp), "rt.rov");
	make_vault(vp, a, NULL);
	assert_int_equal(vault_open(vp, a, 2, VAULT_OPEN_WRITE, &v, NULL), 0);
	c = vault_counter(v);
	assert_int_equal(c, 2);
	assert_int_equal(vault_entry_count(v), 3);
	assert_string_equal(vault_entry_name(v, 0), "cs-active/oracle-system");
	check_value(v, "kita-t03/windows-admin", VAULT_CURRENT, "Cc3!cccccccccccc");
	assert_int_equal(vault_get(v, "kita-t03/windows-admin", VAULT_PENDING, &(struct vault_secret *){0}),
	    VAULT_ENOENT);
	assert_int_equal(vault_get(v, "nope/nothing", VAULT_CURRENT, &(struct vault_secret *){0}),
	    VAULT_ENOENT);
	assert_int_equal(vault_put(v, "no-slash", "x", 1, VAULT_CURRENT, "t", 1), VAULT_EINVAL);

	/* pending -> commit; the old current becomes history. */
	put_str(v, "kita-t03/windows-admin", "Dd4!dddddddddddd", VAULT_PENDING);
	check_value(v, "kita-t03/windows-admin", VAULT_PENDING, "Dd4!dddddddddddd");
	check_value(v, "kita-t03/windows-admin", VAULT_CURRENT, "Cc3!cccccccccccc");
	assert_int_equal(vault_commit(v, "kita-t03/windows-admin", "tester", 2000), 0);
	assert_int_equal(vault_commit(v, "kita-t03/windows-admin", "tester", 2000), VAULT_ESTATE);
	check_value(v, "kita-t03/windows-admin", VAULT_CURRENT, "Dd4!dddddddddddd");
	check_value(v, "kita-t03/windows-admin", VAULT_PREVIOUS, "Cc3!cccccccccccc");

	/* History keeps the newest VAULT_HISTORY versions. */
	for (i = 0; i < 10; i++) {
		char val[32];
		snprintf(val, sizeof(val), "Ee5!eeeeeeeee%03d", i);
		put_str(v, "cs-active/windows-admin", val, VAULT_CURRENT);
	}
	assert_int_equal(vault_save(v, NULL), 0);
	assert_int_equal(vault_counter(v), c + 1);
	vault_close(v);

	assert_int_equal(vault_open(vp, a, c + 1, VAULT_OPEN_READ, &v, NULL), 0);
	assert_int_equal(vault_entry_info(v, "cs-active/windows-admin", &info), 0);
	assert_int_equal(info.n_versions, 1 + VAULT_HISTORY);
	assert_int_equal(info.versions[0].state, VAULT_CURRENT);
	assert_int_equal(info.versions[0].seq, 11);
	assert_string_equal(info.versions[0].created_by, "tester");
	for (i = 1; i <= VAULT_HISTORY; i++) {
		assert_int_equal(info.versions[i].state, VAULT_PREVIOUS);
		assert_int_equal(info.versions[i].seq, 11 - i);
	}
	check_value(v, "cs-active/windows-admin", VAULT_CURRENT, "Ee5!eeeeeeeee009");
	check_value(v, "cs-active/windows-admin", VAULT_PREVIOUS, "Ee5!eeeeeeeee008");
	assert_int_equal(vault_verify(v, NULL), 0);
	/* A vault opened for reading cannot be saved. */
	assert_int_equal(vault_save(v, NULL), VAULT_ESTATE);
	vault_close(v);
	vault_key_free(a);
}

/* expect_refused opens path and demands a refusal that says "altered". */
static void
expect_refused(const char *path, struct vault_key *k, size_t at)
{
	struct vault *v = NULL;
	char *cause = NULL;
	int rc = vault_open(path, k, 0, VAULT_OPEN_READ, &v, &cause);

	if (!(vault_is_tamper(rc) || rc == VAULT_ENOTMEMBER || rc == VAULT_EVERSION)) {
		fprintf(stderr, "byte %zu: rc %d (%s)\n", at, rc, cause ? cause : "");
		fail();
	}
	assert_null(v);
	assert_non_null(cause);
	free(cause);
}

static void
test_every_byte_flipped(void **state)
{
	char vp[300], bp[300];
	struct vault_key *a = seed_key("alice", 1), *b = seed_key("bob", 2);
	unsigned char *good, *bad, *after;
	size_t len, blen, i;
	struct vault *v;

	path_in(vp, sizeof(vp), "flip.rov");
	path_in(bp, sizeof(bp), "flip-bad.rov");
	make_vault(vp, a, b);
	good = slurp(vp, &len);
	bad = malloc(len + 1);
	for (i = 0; i < len; i++) {
		memcpy(bad, good, len);
		bad[i] ^= 0xff;
		spit(bp, bad, len);
		expect_refused(bp, a, i);
		after = slurp(bp, &blen); /* a refused open writes nothing */
		assert_int_equal(blen, len);
		assert_memory_equal(after, bad, len);
		free(after);
	}
	/* Every truncation, and one byte appended. */
	for (i = 0; i < len; i++) {
		spit(bp, good, i);
		expect_refused(bp, a, i);
	}
	memcpy(bad, good, len);
	bad[len] = 0;
	spit(bp, bad, len + 1);
	expect_refused(bp, a, len);

	after = slurp(vp, &blen);
	assert_int_equal(blen, len);
	assert_memory_equal(after, good, len);
	free(after);
	assert_int_equal(vault_open(vp, b, 0, VAULT_OPEN_READ, &v, NULL), 0);
	vault_close(v);
	free(good);
	free(bad);
	vault_key_free(a);
	vault_key_free(b);
}

static void
test_newer_version(void **state)
{
	char vp[300];
	struct vault_key *a = seed_key("alice", 1);
	unsigned char *buf;
	struct vault *v;
	size_t len;

	path_in(vp, sizeof(vp), "ver.rov");
	make_vault(vp, a, NULL);
	buf = slurp(vp, &len);
	vault__put32(buf + VAULT_HDR_OFF_VERSION, 3);
	spit(vp, buf, len);
	assert_int_equal(vault_open(vp, a, 0, 0, &v, NULL), VAULT_EVERSION);
	free(buf);
	vault_key_free(a);
}

/* Swapping two entries' ciphertexts in the file is caught by the table's
 * hashes; swapping them with the table made consistent (what a member with
 * the vault key could do) is still caught by the AEAD, whose associated
 * data binds each ciphertext to its entry name. */
static void
test_swapped_entries(void **state)
{
	char vp[300];
	struct vault_key *a = seed_key("alice", 1);
	struct vault_secret *s;
	struct vault *v;
	unsigned char *buf, *tmp;
	size_t len, l0, l1;
	struct vault_rec r;

	path_in(vp, sizeof(vp), "swap.rov");
	make_vault(vp, a, NULL);
	assert_int_equal(vault_open(vp, a, 0, VAULT_OPEN_WRITE, &v, NULL), 0);
	l0 = v->recs[0].blob_len;
	l1 = v->recs[1].blob_len;
	assert_int_equal(l0, l1); /* equal-length values make equal-length records */
	buf = slurp(vp, &len);
	{
		size_t off0 = (size_t)(v->recs[0].blob - v->image);
		size_t off1 = (size_t)(v->recs[1].blob - v->image);
		tmp = malloc(l0);
		memcpy(tmp, buf + off0, l0);
		memcpy(buf + off0, buf + off1, l0);
		memcpy(buf + off1, tmp, l0);
		free(tmp);
	}
	{
		char bp[300];
		struct vault *w;
		path_in(bp, sizeof(bp), "swap-bad.rov");
		spit(bp, buf, len);
		/* The writer's signature covers every byte, so it fails first. */
		assert_int_equal(vault_open(bp, a, 0, 0, &w, NULL), VAULT_EFORGED);
	}
	free(buf);

	/* Now swap through the table itself and save with a valid MAC. */
	r = v->recs[0];
	v->recs[0].blob = v->recs[1].blob;
	memcpy(v->recs[0].hash, v->recs[1].hash, VAULT_HASHBYTES);
	v->recs[0].revision = v->recs[1].revision;
	v->recs[1].blob = r.blob;
	memcpy(v->recs[1].hash, r.hash, VAULT_HASHBYTES);
	v->recs[1].revision = r.revision;
	assert_int_equal(vault_save(v, NULL), 0);
	vault_close(v);
	assert_int_equal(vault_open(vp, a, 0, 0, &v, NULL), 0);
	assert_int_equal(vault_get(v, "cs-active/oracle-system", VAULT_CURRENT, &s),
	    VAULT_ETAMPER_ENTRY);
	assert_int_equal(vault_get(v, "cs-active/windows-admin", VAULT_CURRENT, &s),
	    VAULT_ETAMPER_ENTRY);
	check_value(v, "kita-t03/windows-admin", VAULT_CURRENT, "Cc3!cccccccccccc");
	assert_int_equal(vault_verify(v, NULL), VAULT_ETAMPER_ENTRY);
	vault_close(v);
	vault_key_free(a);
}

/* One entry rolled back to an older ciphertext, with the table otherwise
 * consistent, is refused: the revision is bound into the AEAD. */
static void
test_entry_rollback(void **state)
{
	char vp[300];
	struct vault_key *a = seed_key("alice", 1);
	struct vault_secret *s;
	struct vault *v;
	unsigned char *old;
	size_t old_len;
	uint64_t rev;

	path_in(vp, sizeof(vp), "erb.rov");
	make_vault(vp, a, NULL);
	assert_int_equal(vault_open(vp, a, 0, VAULT_OPEN_WRITE, &v, NULL), 0);
	old_len = v->recs[2].blob_len;
	old = malloc(old_len);
	memcpy(old, v->recs[2].blob, old_len);
	put_str(v, "kita-t03/windows-admin", "Zz9!zzzzzzzzzzzz", VAULT_CURRENT);
	rev = v->recs[2].revision;
	assert_int_equal(rev, 2);
	free(v->recs[2].owned);
	v->recs[2].owned = old;
	v->recs[2].blob = old;
	v->recs[2].blob_len = (uint32_t)old_len;
	crypto_generichash(v->recs[2].hash, VAULT_HASHBYTES, old, old_len, NULL, 0);
	assert_int_equal(vault_save(v, NULL), 0);
	vault_close(v);
	assert_int_equal(vault_open(vp, a, 0, 0, &v, NULL), 0);
	assert_int_equal(vault_get(v, "kita-t03/windows-admin", VAULT_CURRENT, &s),
	    VAULT_ETAMPER_ENTRY);
	vault_close(v);
	vault_key_free(a);
}

static void
test_older_copy_put_back(void **state)
{
	char vp[300];
	struct vault_key *a = seed_key("alice", 1);
	unsigned char *old;
	size_t len;
	struct vault *v;
	uint64_t latest;
	char fp[2 * VAULT_HASHBYTES + 1];

	path_in(vp, sizeof(vp), "old.rov");
	make_vault(vp, a, NULL);
	old = slurp(vp, &len);
	assert_int_equal(vault_open(vp, a, 0, VAULT_OPEN_WRITE, &v, NULL), 0);
	put_str(v, "kita-t03/windows-admin", "Yy8!yyyyyyyyyyyy", VAULT_CURRENT);
	assert_int_equal(vault_save(v, NULL), 0);
	latest = vault_counter(v);
	snprintf(fp, sizeof(fp), "%s", vault_fingerprint(v));
	vault_close(v);
	spit(vp, old, len);
	assert_int_equal(vault_open(vp, a, latest, 0, &v, NULL), VAULT_EROLLBACK);
	assert_null(v);
	/* Without the store's record (min_counter 0) the key's own pin still
	 * refuses it ... */
	assert_int_equal(vault_open(vp, a, 0, 0, &v, NULL), VAULT_EROLLBACK);
	assert_null(v);
	/* ... and only a key that never saw the newer file (same secret, no
	 * pins) would take it: the pin is what refuses it. */
	{
		struct vault_key *fresh = seed_key("alice", 1);
		struct vault *w;
		assert_int_equal(vault_open(vp, fresh, 0, 0, &w, NULL), VAULT_EUNTRUSTED);
		assert_int_equal(vault_key_trust(fresh, fp), 0);
		assert_int_equal(vault_open(vp, fresh, 0, 0, &w, NULL), 0);
		vault_close(w);
		vault_key_free(fresh);
	}
	free(old);
	vault_key_free(a);
}

static void
test_removed_member(void **state)
{
	char vp[300];
	struct vault_key *a = seed_key("alice", 1), *b = seed_key("bob", 2);
	struct vault_key *c = seed_key("carol", 3);
	struct vault *v, *vb;
	struct vault_parsed pp;
	struct vault_slot *slots;
	unsigned char *img, vk[VAULT_KEYBYTES], h[VAULT_HASHBYTES];
	size_t len, i;

	path_in(vp, sizeof(vp), "rm.rov");
	make_vault(vp, a, b);
	assert_int_equal(vault_open(vp, c, 0, 0, &v, NULL), VAULT_ENOTMEMBER);
	/* Bob can read, and keeps what a dishonest member could keep: the keys. */
	assert_int_equal(vault_open(vp, b, 0, 0, &vb, NULL), 0);
	check_value(vb, "cs-active/windows-admin", VAULT_CURRENT, "Aa1!aaaaaaaaaaaa");

	assert_int_equal(vault_open(vp, a, 0, VAULT_OPEN_WRITE, &v, NULL), 0);
	assert_int_equal(vault_member_remove(v, "nobody"), VAULT_ENOENT);
	assert_int_equal(vault_member_remove(v, "bob"), 0);
	assert_int_equal(vault_member_count(v), 1);
	assert_int_equal(vault_member_remove(v, "alice"), VAULT_ESTATE); /* the last one */
	assert_int_equal(vault_save(v, NULL), 0);
	vault_close(v);

	assert_int_equal(vault_open(vp, b, 0, 0, &v, NULL), VAULT_ENOTMEMBER);
	/* The old vault key no longer authenticates or opens anything. */
	img = slurp(vp, &len);
	assert_int_equal(vault__parse_image(img, len, &pp, NULL), 0);
	assert_int_equal(vault__parse_slots(&pp, &slots, NULL), 0);
	for (i = 0; i < pp.n_slots; i++)
		assert_int_not_equal(crypto_box_seal_open(vk, slots[i].sealed,
		    sizeof(slots[i].sealed), b->pk, b->sk), 0);
	crypto_generichash(h, sizeof(h), pp.header, VAULT_HDR_OFF_MAC, vb->keys->mac_key,
	    VAULT_KEYBYTES);
	assert_int_not_equal(crypto_verify_32(h, pp.header + VAULT_HDR_OFF_MAC), 0);
	free(slots);
	free(img);
	vault_close(vb);

	/* Alice still reads everything. */
	assert_int_equal(vault_open(vp, a, 0, 0, &v, NULL), 0);
	check_value(v, "cs-active/windows-admin", VAULT_CURRENT, "Aa1!aaaaaaaaaaaa");
	assert_int_equal(vault_verify(v, NULL), 0);
	vault_close(v);
	vault_key_free(a);
	vault_key_free(b);
	vault_key_free(c);
}

static void
test_lock(void **state)
{
	char vp[300];
	struct vault_key *a = seed_key("alice", 1);
	struct vault *v, *w;
	char *cause = NULL;

	path_in(vp, sizeof(vp), "lock.rov");
	make_vault(vp, a, NULL);
	assert_int_equal(vault_open(vp, a, 0, VAULT_OPEN_WRITE, &v, NULL), 0);
	assert_int_equal(vault_open(vp, a, 0, VAULT_OPEN_WRITE, &w, &cause), VAULT_ELOCKED);
	assert_non_null(strstr(cause, "another process"));
	free(cause);
	assert_int_equal(vault_open(vp, a, 0, VAULT_OPEN_READ, &w, NULL), 0); /* readers may */
	vault_close(w);
	vault_close(v);
	assert_int_equal(vault_open(vp, a, 0, VAULT_OPEN_WRITE, &w, NULL), 0);
	vault_close(w);
	assert_int_equal(vault_create(vp, a, 1, &w, NULL), VAULT_EEXIST);
	vault_key_free(a);
}

static void
test_policy(void **state)
{
	const struct vault_policy *p = &VAULT_POLICY_DEFAULT;
	struct vault_secret *s;
	const char *why;
	int i;

	assert_int_equal(vault_policy_check(p, "Aa1!aaaaaaaaaaaa", 16, &why), 0);
	assert_int_equal(vault_policy_check(p, "Aa1!aaaa", 8, &why), VAULT_EPOLICY);
	assert_non_null(why);
	assert_int_equal(vault_policy_check(p, "aaaaaaaaaaaaaaaa", 16, &why), VAULT_EPOLICY);
	assert_int_equal(vault_policy_check(p, "Aa1!aaaa aaaaaaa", 16, &why), VAULT_EPOLICY);
	assert_int_equal(vault_policy_check(p, "Aa1!aaaa\"aaaaaaa", 16, &why), VAULT_EPOLICY);
	assert_int_equal(vault_policy_check(p, "Aa1!aaaa\xc3\xa9" "aaaaaa", 16, &why),
	    VAULT_EPOLICY);
	for (i = 0; i < 200; i++) {
		assert_int_equal(vault_generate(p, &s), 0);
		assert_int_equal(vault_secret_len(s), p->gen_len);
		assert_int_equal(vault_policy_check(p, vault_secret_data(s), vault_secret_len(s),
		    &why), 0);
		vault_secret_free(s);
	}
}

static void
test_names(void **state)
{
	assert_true(vault_name_valid("cs-active/windows-admin"));
	assert_true(vault_name_valid("kita-t03/oracle.system_1"));
	assert_false(vault_name_valid("cs-active"));
	assert_false(vault_name_valid("a/b/c"));
	assert_false(vault_name_valid("/b"));
	assert_false(vault_name_valid("a/"));
	assert_false(vault_name_valid("../etc"));
	assert_false(vault_name_valid("a b/c"));
}

/* ---- forgery: what an attacker who can write the file can build ---- */

/*
 * forge writes to out what an attacker with write access but no member's
 * keys builds from the real file at real: the same vault id, the members'
 * public keys (in the clear), the signed roster history copied as it is
 * (keep_chain) or a new one that m signs itself, counter + 1, a vault key of
 * the attacker's own sealed to every member, a planted value, and a
 * signature by m claiming to be member `claim`. With add_m, m also appends
 * a roster change adding themself, signed by their own key.
 */
static void
forge(const char *real, const char *out, struct vault_key *m, int keep_chain, int add_m,
    uint32_t claim)
{
	static const char planted[] = "Planted#Value123";
	struct vault_parsed pp;
	struct vault_slot *slots;
	struct vault_wr img;
	struct vault *f;
	unsigned char *buf;
	size_t len, i;

	buf = slurp(real, &len);
	assert_int_equal(vault__parse_image(buf, len, &pp, NULL), 0);
	assert_int_equal(vault__parse_slots(&pp, &slots, NULL), 0);
	f = calloc(1, sizeof(*f));
	assert_non_null(f);
	f->lock_fd = -1;
	f->version = VAULT_FORMAT_VERSION;
	f->key = m;
	f->keys = sodium_malloc(sizeof(*f->keys));
	crypto_kdf_keygen(f->keys->vault_key);
	crypto_kdf_derive_from_key(f->keys->mac_key, 32, VAULT_SUBKEY_MAC, VAULT_KDF_CTX,
	    f->keys->vault_key);
	crypto_kdf_derive_from_key(f->keys->index_key, 32, VAULT_SUBKEY_INDEX, VAULT_KDF_CTX,
	    f->keys->vault_key);
	crypto_kdf_derive_from_key(f->keys->entry_key, 32, VAULT_SUBKEY_ENTRY, VAULT_KDF_CTX,
	    f->keys->vault_key);
	memcpy(f->id, pp.id, VAULT_ID_BYTES);
	f->slots = realloc(slots, (pp.n_slots + 1) * sizeof(*slots));
	f->n_slots = pp.n_slots;
	if (add_m) {
		struct vault_slot *s = &f->slots[f->n_slots++];
		memset(s, 0, sizeof(*s));
		snprintf(s->name, sizeof(s->name), "%s", vault_key_name(m));
		memcpy(s->pk, m->pk, 32);
		memcpy(s->sign_pk, m->sign_pk, 32);
	}
	for (i = 0; i < f->n_slots; i++)
		assert_int_equal(crypto_box_seal(f->slots[i].sealed, f->keys->vault_key, 32,
		    f->slots[i].pk), 0);
	if (keep_chain) {
		f->chain = malloc(pp.chain_len);
		memcpy(f->chain, pp.chain, pp.chain_len);
		f->chain_len = pp.chain_len;
		f->n_chain = pp.n_chain;
		/* The last roster's hash, as any reader of the history computes it. */
		unsigned char *hashes;
		assert_int_equal(vault__chain_verify(real, &pp, f->slots, &hashes, NULL), 0);
		memcpy(f->roster_hash, hashes + (size_t)(pp.n_chain - 1) * VAULT_HASHBYTES,
		    VAULT_HASHBYTES);
		f->hashes = hashes;
		if (add_m) /* claims the change was signed by member `claim` */
			assert_int_equal(vault__chain_append(f, m, claim), 0);
	} else {
		/* A history of its own: a first roster m signs as its member. */
		assert_int_equal(vault__chain_append(f, m, (uint32_t)(f->n_slots - 1)), 0);
	}
	assert_int_equal(vault_put(f, "cs-active/windows-admin", planted, sizeof(planted) - 1,
	    VAULT_CURRENT, "alice", 2000), 0);
	assert_int_equal(vault__serialize(f, pp.counter + 1, &img), 0);
	vault__sign_image(img.p, img.len, m, claim);
	spit(out, img.p, img.len);
	vault__wr_free(&img);
	for (i = 0; i < f->n_recs; i++)
		free(f->recs[i].owned);
	free(f->recs);
	free(f->chain);
	free(f->hashes);
	free(f->slots);
	sodium_free(f->keys);
	free(f);
	free(buf);
}

/* expect opens path with k and wants rc and a cause containing `says`. */
static void
expect(const char *path, struct vault_key *k, int want, const char *says)
{
	struct vault *v = NULL;
	char *cause = NULL;
	int rc = vault_open(path, k, 0, VAULT_OPEN_READ, &v, &cause);

	if (rc != want || cause == NULL || strstr(cause, says) == NULL) {
		fprintf(stderr, "%s: rc %d (want %d), cause: %s (want '%s')\n", path, rc, want,
		    cause ? cause : "(none)", says);
		fail();
	}
	assert_null(v);
	free(cause);
}

static void
test_forged_same_id(void **state)
{
	char vp[300], fp[300];
	struct vault_key *a = seed_key("alice", 1), *b = seed_key("bob", 2);
	struct vault_key *m = seed_key("mallory", 9);
	struct vault *v;

	path_in(vp, sizeof(vp), "real.rov");
	path_in(fp, sizeof(fp), "forged.rov");
	make_vault(vp, a, b);
	assert_int_equal(vault_open(vp, b, 0, 0, &v, NULL), 0); /* bob pins it */
	vault_close(v);

	/* Same id, roster and history; signed by mallory, claiming alice. */
	forge(vp, fp, m, 1, 0, 0);
	expect(fp, a, VAULT_EFORGED, "signed by no member");
	expect(fp, b, VAULT_EFORGED, "signed by no member");
	/* ... claiming bob. */
	forge(vp, fp, m, 1, 0, 1);
	expect(fp, a, VAULT_EFORGED, "claims to be signed by 'bob'");
	/* Mallory adds herself to the history, claiming alice signed that. */
	forge(vp, fp, m, 1, 1, 0);
	expect(fp, a, VAULT_EFORGED, "signed by no member of the roster before it");
	/* A whole new history under the same id, signed by mallory. */
	forge(vp, fp, m, 0, 1, 2);
	expect(fp, a, VAULT_EFORGED, "signed by 'mallory'");
	expect(fp, b, VAULT_EFORGED, "signed by 'mallory'");
	/* The genuine file still opens: nothing was pinned by the refusals. */
	assert_int_equal(vault_open(vp, a, 0, 0, &v, NULL), 0);
	vault_close(v);
	vault_key_free(a);
	vault_key_free(b);
	vault_key_free(m);
}

/* A non-member builds a vault of their own with the members' public keys
 * (the CLI can do that) and puts it in place: a new id no key file knows. */
static void
test_new_id_from_non_member(void **state)
{
	static const char planted[] = "Planted#Value123";
	char vp[300], mp[300];
	struct vault_key *a = seed_key("alice", 1), *b = seed_key("bob", 2);
	struct vault_key *m = seed_key("mallory", 9);
	struct vault *v;

	path_in(vp, sizeof(vp), "victim.rov");
	path_in(mp, sizeof(mp), "mallory.rov");
	make_vault(vp, a, b);
	unlink(mp);
	assert_int_equal(vault_create(mp, m, 1, &v, NULL), 0);
	assert_int_equal(vault_member_add(v, "alice", a->pk, a->sign_pk, 2), 0);
	assert_int_equal(vault_member_add(v, "bob", b->pk, b->sign_pk, 2), 0);
	assert_int_equal(vault_put(v, "cs-active/windows-admin", planted, sizeof(planted) - 1,
	    VAULT_CURRENT, "alice", 3), 0);
	assert_int_equal(vault_save(v, NULL), 0);
	vault_close(v);
	assert_int_equal(rename(mp, vp), 0);
	expect(vp, a, VAULT_EUNTRUSTED, "signed by 'mallory'");
	vault_key_free(a);
	vault_key_free(b);
	vault_key_free(m);
}

/* A member removed later keeps the old vault key and their own signing
 * key; a fork of the history from a roster they were on is refused by a
 * reader who verified the roster after their removal. */
static void
test_removed_member_forks(void **state)
{
	char vp[300], old[300], fp[300];
	struct vault_key *a = seed_key("alice", 1), *b = seed_key("bob", 2);
	struct vault *v;
	unsigned char *buf;
	size_t len;

	path_in(vp, sizeof(vp), "fork.rov");
	path_in(old, sizeof(old), "fork-old.rov");
	path_in(fp, sizeof(fp), "fork-forged.rov");
	make_vault(vp, a, b);
	buf = slurp(vp, &len);
	spit(old, buf, len);
	free(buf);
	assert_int_equal(vault_open(vp, a, 0, VAULT_OPEN_WRITE, &v, NULL), 0);
	assert_int_equal(vault_member_remove(v, "bob"), 0);
	assert_int_equal(vault_save(v, NULL), 0);
	vault_close(v);
	/* bob signs a file from the copy he kept, counter far ahead. */
	forge(old, fp, b, 1, 0, 1);
	{
		unsigned char *img = slurp(fp, &len);
		vault__put64(img + VAULT_HDR_OFF_COUNTER, 1000);
		spit(fp, img, len);
		free(img);
	}
	/* (the counter edit breaks bob's signature too; sign it again) */
	{
		unsigned char *img = slurp(fp, &len);
		vault__sign_image(img, len, b, 1);
		spit(fp, img, len);
		free(img);
	}
	expect(fp, a, VAULT_EFORGED, "does not descend from the roster");
	vault_key_free(a);
	vault_key_free(b);
}

/* The pins live in the key file, signed: with the store gone, an older
 * copy is still refused; an altered pin is noticed. */
static void
test_pins_in_key_file(void **state)
{
	char kp[300], vp[300], op[300];
	struct vault_key *k;
	struct vault *v;
	unsigned char *buf, *old;
	size_t len, olen;
	char *cause = NULL;

	path_in(kp, sizeof(kp), "pin.key");
	path_in(vp, sizeof(vp), "pin.rov");
	path_in(op, sizeof(op), "pin-old.rov");
	assert_int_equal(vault_key_create(kp, "alice", "correct horse battery", 21,
	    &VAULT_KDF_MIN, NULL), 0);
	assert_int_equal(vault_key_unlock(kp, "correct horse battery", 21, &k, NULL), 0);
	unlink(vp);
	assert_int_equal(vault_create(vp, k, 1, &v, NULL), 0);
	put_str(v, "kita-t03/windows-admin", "Yy8!yyyyyyyyyyyy", VAULT_CURRENT);
	assert_int_equal(vault_save(v, NULL), 0);
	vault_close(v);
	old = slurp(vp, &olen);
	assert_int_equal(vault_open(vp, k, 0, VAULT_OPEN_WRITE, &v, NULL), 0);
	put_str(v, "kita-t03/windows-admin", "Zz9!zzzzzzzzzzzz", VAULT_CURRENT);
	assert_int_equal(vault_save(v, NULL), 0);
	vault_close(v);
	vault_key_free(k);

	/* A new process: only the key file remembers (no store, min 0). */
	spit(vp, old, olen);
	assert_int_equal(vault_key_unlock(kp, "correct horse battery", 21, &k, NULL), 0);
	assert_int_equal(vault_open(vp, k, 0, VAULT_OPEN_READ, &v, &cause), VAULT_EROLLBACK);
	assert_non_null(strstr(cause, "key file"));
	free(cause);
	vault_key_free(k);

	/* Lowering the pinned counter in the key file is noticed. */
	buf = slurp(kp, &len);
	buf[len - 64 - 8] ^= 1; /* the last pin's counter, before the signature */
	spit(kp, buf, len);
	assert_int_equal(vault_key_unlock(kp, "correct horse battery", 21, &k, NULL),
	    VAULT_EKEYFILE);
	free(buf);
	free(old);
}

/* vault.rov.tmp and .lock never follow a planted symbolic link; a FIFO
 * or an oversized file is refused before it is read. */
static void
test_files_not_followed(void **state)
{
	char vp[300], tmp[300], lock[300], victim[300], fifo[300], big[300];
	struct vault_key *a = seed_key("alice", 1);
	struct vault *v;
	unsigned char *buf;
	size_t len;
	struct stat st;
	int fd;

	path_in(vp, sizeof(vp), "links.rov");
	path_in(tmp, sizeof(tmp), "links.rov.tmp");
	path_in(lock, sizeof(lock), "links.rov.lock");
	path_in(victim, sizeof(victim), "victim.txt");
	make_vault(vp, a, NULL);
	spit(victim, (const unsigned char *)"precious\n", 9);
	unlink(tmp);
	assert_int_equal(symlink(victim, tmp), 0);
	assert_int_equal(vault_open(vp, a, 0, VAULT_OPEN_WRITE, &v, NULL), 0);
	put_str(v, "kita-t03/windows-admin", "Yy8!yyyyyyyyyyyy", VAULT_CURRENT);
	assert_int_equal(vault_save(v, NULL), 0);
	vault_close(v);
	buf = slurp(victim, &len);
	assert_int_equal(len, 9);
	assert_memory_equal(buf, "precious\n", 9);
	free(buf);
	assert_int_equal(lstat(vp, &st), 0);
	assert_true(S_ISREG(st.st_mode));

	/* A lock file replaced by a link is refused, and nothing is created. */
	unlink(lock);
	unlink(victim);
	assert_int_equal(symlink(victim, lock), 0);
	assert_int_equal(vault_open(vp, a, 0, VAULT_OPEN_WRITE, &v, NULL), VAULT_EIO);
	assert_int_not_equal(lstat(victim, &st), 0);
	unlink(lock);

	/* A FIFO is refused at once (opening it would block without O_NONBLOCK). */
	path_in(fifo, sizeof(fifo), "fifo.rov");
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(vault_open(fifo, a, 0, VAULT_OPEN_READ, &v, NULL), VAULT_EIO);
	/* A 2 GiB file that starts like a vault is refused by its size. */
	path_in(big, sizeof(big), "big.rov");
	fd = open(big, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, VAULT_MAGIC, 8), 8);
	assert_int_equal(ftruncate(fd, (off_t)2 << 30), 0);
	close(fd);
	{
		char *cause = NULL;
		assert_int_equal(vault_open(big, a, 0, VAULT_OPEN_READ, &v, &cause), VAULT_EIO);
		assert_non_null(strstr(cause, "refused without reading"));
		free(cause);
	}
	unlink(big);
	vault_key_free(a);
}

static void
test_passphrase_policy(void **state)
{
	const char *why;

	assert_int_equal(vault_passphrase_check("            ", 12, &why), VAULT_EPOLICY);
	assert_int_equal(vault_passphrase_check("                    ", 20, &why), VAULT_EPOLICY);
	assert_int_equal(vault_passphrase_check("aaaaaaaaaaaaaaaaaaaa", 20, &why), VAULT_EPOLICY);
	assert_int_equal(vault_passphrase_check("correct horse b", 15, &why), 0);
	assert_int_equal(vault_passphrase_check("short but ok?", 13, &why), VAULT_EPOLICY);
	/* 15 characters, some of two bytes: counted as characters. */
	assert_int_equal(vault_passphrase_check("Grüße aus Köln!", strlen("Grüße aus Köln!"),
	    &why), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_policy),
		cmocka_unit_test(test_keyfile),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_every_byte_flipped),
		cmocka_unit_test(test_newer_version),
		cmocka_unit_test(test_swapped_entries),
		cmocka_unit_test(test_entry_rollback),
		cmocka_unit_test(test_older_copy_put_back),
		cmocka_unit_test(test_removed_member),
		cmocka_unit_test(test_lock),
		cmocka_unit_test(test_forged_same_id),
		cmocka_unit_test(test_new_id_from_non_member),
		cmocka_unit_test(test_removed_member_forks),
		cmocka_unit_test(test_pins_in_key_file),
		cmocka_unit_test(test_files_not_followed),
		cmocka_unit_test(test_passphrase_policy),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
