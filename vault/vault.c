/*
 * vault.c - opening, authenticating, changing and saving a vault: the
 * roster, the entries and their versions. The bytes are format.c's job,
 * the files atomic.c's, the member keys keyfile.c's.
 */
#include "vault_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

/* ---- small things --------------------------------------------------- */

const char *
vault_strerror(int rc)
{
	switch (rc) {
	case VAULT_OK: return "success";
	case VAULT_ENOMEM: return "out of memory (or locked memory)";
	case VAULT_EIO: return "input/output error";
	case VAULT_EPASSPHRASE: return "wrong passphrase";
	case VAULT_ENOTMEMBER: return "not a member of the vault's roster";
	case VAULT_ETAMPER_HEADER: return "vault file tampered with: header";
	case VAULT_ETAMPER_SLOT: return "vault file tampered with: roster slot";
	case VAULT_ETAMPER_INDEX: return "vault file tampered with: entry table";
	case VAULT_ETAMPER_ENTRY: return "vault file tampered with: entry";
	case VAULT_ETRUNCATED: return "vault file truncated or extended";
	case VAULT_EROLLBACK: return "an older copy of the vault file was put back";
	case VAULT_EVERSION: return "written by a newer format version";
	case VAULT_ELOCKED: return "locked by another writer";
	case VAULT_EPOLICY: return "password policy violation";
	case VAULT_ENOENT: return "not found";
	case VAULT_EEXIST: return "already exists";
	case VAULT_EINVAL: return "invalid argument";
	case VAULT_ESTATE: return "not allowed in the current state";
	case VAULT_EKEYFILE: return "damaged key file";
	case VAULT_EFORGED: return "vault file signed by no member you trust";
	case VAULT_EUNTRUSTED: return "vault never verified with this key file";
	case VAULT_EMIGRATE: return "older format: run 'rollout vault migrate'";
	}
	return "unknown error";
}

int
vault_is_tamper(int rc)
{
	return rc == VAULT_ETAMPER_HEADER || rc == VAULT_ETAMPER_SLOT ||
	    rc == VAULT_ETAMPER_INDEX || rc == VAULT_ETAMPER_ENTRY || rc == VAULT_ETRUNCATED ||
	    rc == VAULT_EROLLBACK || rc == VAULT_EFORGED;
}

const char *
vault_state_name(enum vault_state s)
{
	switch (s) {
	case VAULT_CURRENT: return "current";
	case VAULT_PENDING: return "pending";
	case VAULT_PREVIOUS: return "previous";
	}
	return "?";
}

void
vault__cause(char **cause, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	if (cause == NULL)
		return;
	free(*cause);
	*cause = NULL;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || (s = malloc((size_t)n + 1)) == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	*cause = s;
}

static int
name_part_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > 63 || s[0] == '.' || s[0] == '-')
		return 0;
	for (i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

int
vault__member_name_valid(const char *name)
{
	return name_part_ok(name, strlen(name));
}

int
vault_name_valid(const char *name)
{
	const char *slash = strchr(name, '/');

	return slash != NULL && name_part_ok(name, (size_t)(slash - name)) &&
	    name_part_ok(slash + 1, strlen(slash + 1));
}

/* ---- secrets -------------------------------------------------------- */

const unsigned char *
vault_secret_data(const struct vault_secret *s)
{
	return s->data;
}

size_t
vault_secret_len(const struct vault_secret *s)
{
	return s->len;
}

struct vault_secret *
vault__secret_alloc(size_t len)
{
	struct vault_secret *s;
	size_t n = (sizeof(*s) + len + 1 + 15) & ~(size_t)15;

	if (len > SIZE_MAX / 2 || sodium_init() < 0 || (s = sodium_malloc(n)) == NULL)
		return NULL;
	s->len = len;
	s->data[len] = '\0';
	return s;
}

int
vault_secret_new(const void *data, size_t len, struct vault_secret **out)
{
	struct vault_secret *s;

	*out = NULL;
	if ((s = vault__secret_alloc(len)) == NULL)
		return VAULT_ENOMEM;
	if (len)
		memcpy(s->data, data, len);
	s->data[len] = '\0'; /* so that a caller may treat it as a string */
	*out = s;
	return VAULT_OK;
}

void
vault_secret_free(struct vault_secret *s)
{
	sodium_free(s); /* zeroes, and accepts NULL */
}

/* ---- keys ----------------------------------------------------------- */

static void
derive_keys(struct vault_keys *k)
{
	crypto_kdf_derive_from_key(k->mac_key, VAULT_KEYBYTES, VAULT_SUBKEY_MAC, VAULT_KDF_CTX,
	    k->vault_key);
	crypto_kdf_derive_from_key(k->index_key, VAULT_KEYBYTES, VAULT_SUBKEY_INDEX,
	    VAULT_KDF_CTX, k->vault_key);
	crypto_kdf_derive_from_key(k->entry_key, VAULT_KEYBYTES, VAULT_SUBKEY_ENTRY,
	    VAULT_KDF_CTX, k->vault_key);
}

static struct vault *
vault_alloc(const char *path)
{
	struct vault *v;

	if (sodium_init() < 0 || (v = calloc(1, sizeof(*v))) == NULL)
		return NULL;
	v->lock_fd = -1;
	v->path = strdup(path);
	v->keys = sodium_malloc(sizeof(*v->keys));
	if (v->path == NULL || v->keys == NULL) {
		free(v->path);
		sodium_free(v->keys);
		free(v);
		return NULL;
	}
	vault__protect_begin();
	return v;
}

static void
free_recs(struct vault_rec *recs, size_t n)
{
	size_t i;

	for (i = 0; i < n && recs; i++)
		free(recs[i].owned);
	free(recs);
}

void
vault_close(struct vault *v)
{
	if (v == NULL)
		return;
	free_recs(v->recs, v->n_recs);
	free(v->slots);
	free(v->chain);
	free(v->hashes);
	free(v->image);
	sodium_free(v->keys);
	vault__unlock(v->lock_fd);
	free(v->path);
	free(v);
	vault__protect_end();
}

uint64_t
vault_counter(const struct vault *v)
{
	return v->counter;
}

const char *
vault_id(const struct vault *v)
{
	return v->id_hex;
}

int
vault_dirty(const struct vault *v)
{
	return v->dirty;
}

const char *
vault_fingerprint(const struct vault *v)
{
	return v->fp_hex;
}

unsigned
vault_version(const struct vault *v)
{
	return v->version;
}

const char *
vault_signer(const struct vault *v)
{
	return v->signer[0] ? v->signer : NULL;
}

const char *
vault_roster(const struct vault *v)
{
	return v->roster_hex;
}

int
vault_roster_known(const struct vault *v, const char *roster_hex)
{
	unsigned char h[VAULT_HASHBYTES];
	size_t n, i;

	if (v->hashes == NULL || sodium_hex2bin(h, sizeof(h), roster_hex, strlen(roster_hex),
	    NULL, &n, NULL) != 0 || n != sizeof(h))
		return 0;
	for (i = 0; i < v->n_chain; i++)
		if (sodium_memcmp(v->hashes + i * VAULT_HASHBYTES, h, sizeof(h)) == 0)
			return 1;
	return 0;
}

/* ---- entry records -------------------------------------------------- */

/* record_ad is the associated data that binds a record to this vault, its
 * entry name and its revision: vault id || revision || u16 len || name. */
static size_t
record_ad(const struct vault *v, const char *name, uint64_t revision,
    unsigned char ad[VAULT_ID_BYTES + 8 + 2 + VAULT_NAME_MAX])
{
	size_t n = strlen(name);

	memcpy(ad, v->id, VAULT_ID_BYTES);
	vault__put64(ad + VAULT_ID_BYTES, revision);
	ad[VAULT_ID_BYTES + 8] = (unsigned char)n;
	ad[VAULT_ID_BYTES + 9] = (unsigned char)(n >> 8);
	memcpy(ad + VAULT_ID_BYTES + 10, name, n);
	return VAULT_ID_BYTES + 10 + n;
}

/*
 * decrypt_rec opens one record into *out (locked memory the caller frees
 * with sodium_free). Any failure is an altered entry: the AEAD refuses a
 * record moved from another entry or from an older revision.
 */
static int
decrypt_rec(const struct vault *v, const unsigned char *entry_key, const struct vault_rec *r,
    struct vault_plain **out)
{
	unsigned char ad[VAULT_ID_BYTES + 10 + VAULT_NAME_MAX];
	unsigned char *plain = NULL;
	struct vault_plain *p = NULL;
	unsigned long long mlen;
	size_t adlen, clen;
	int rc = VAULT_ETAMPER_ENTRY;

	*out = NULL;
	if (r->blob_len < VAULT_NONCEBYTES + VAULT_TAGBYTES)
		return VAULT_ETAMPER_ENTRY;
	clen = r->blob_len - VAULT_NONCEBYTES;
	adlen = record_ad(v, r->name, r->revision, ad);
	plain = sodium_malloc(clen);
	p = sodium_malloc(sizeof(*p));
	if (plain == NULL || p == NULL) {
		rc = VAULT_ENOMEM;
		goto out;
	}
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(plain, &mlen, NULL,
	    r->blob + VAULT_NONCEBYTES, clen, ad, adlen, r->blob, entry_key) != 0)
		goto out;
	if (vault__parse_record(plain, (size_t)mlen, p) != VAULT_OK || strcmp(p->name, r->name) != 0)
		goto out;
	*out = p;
	p = NULL;
	rc = VAULT_OK;
out:
	sodium_free(plain);
	sodium_free(p);
	return rc;
}

/* encrypt_rec seals p as revision into a new blob for r. */
static int
encrypt_rec(const struct vault *v, const unsigned char *entry_key, const struct vault_plain *p,
    uint64_t revision, struct vault_rec *r)
{
	unsigned char ad[VAULT_ID_BYTES + 10 + VAULT_NAME_MAX];
	struct vault_wr w;
	unsigned char *blob;
	unsigned long long clen;
	size_t adlen, len;
	int rc = VAULT_OK;

	vault__wr_init(&w, 1);
	vault__write_record(p, &w);
	if (w.oom) {
		vault__wr_free(&w);
		return VAULT_ENOMEM;
	}
	len = VAULT_NONCEBYTES + w.len + VAULT_TAGBYTES;
	if ((blob = malloc(len)) == NULL) {
		rc = VAULT_ENOMEM;
		goto out;
	}
	randombytes_buf(blob, VAULT_NONCEBYTES);
	adlen = record_ad(v, p->name, revision, ad);
	crypto_aead_xchacha20poly1305_ietf_encrypt(blob + VAULT_NONCEBYTES, &clen, w.p, w.len, ad,
	    adlen, NULL, blob, entry_key);
	free(r->owned);
	snprintf(r->name, sizeof(r->name), "%s", p->name);
	r->revision = revision;
	r->owned = blob;
	r->blob = blob;
	r->blob_len = (uint32_t)len;
	crypto_generichash(r->hash, VAULT_HASHBYTES, blob, len, NULL, 0);
out:
	vault__wr_free(&w);
	return rc;
}

/* find returns the index of name in the sorted table, or -(insert point)-1. */
static long
find(const struct vault *v, const char *name)
{
	size_t lo = 0, hi = v->n_recs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(v->recs[mid].name, name);
		if (c == 0)
			return (long)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -(long)lo - 1;
}

/* ---- open, create, save -------------------------------------------- */

/*
 * check_signed decides whether a version-2 file may be believed by key:
 * its roster history is intact, the whole file is signed by a member of
 * its last roster, and that history contains the roster key last verified
 * for this vault id (or key was told to trust its fingerprint). On success
 * *hashes holds the history's roster hashes.
 */
static int
check_signed(const char *path, const struct vault_parsed *pp, const struct vault_slot *slots,
    const struct vault_key *key, unsigned char **hashes, char **cause)
{
	const struct vault_pin *pin;
	const char *signer = slots[pp->signer].name;
	char idhex[VAULT_ID_HEX];
	uint32_t i;
	int rc;

	*hashes = NULL;
	sodium_bin2hex(idhex, sizeof(idhex), pp->id, VAULT_ID_BYTES);
	if (key->version < 2) {
		vault__cause(cause, "%s: the key file of '%s' is version 1 and has no signing key; "
		    "run 'rollout vault migrate' to upgrade it", path, key->name);
		return VAULT_EMIGRATE;
	}
	if ((rc = vault__chain_verify(path, pp, slots, hashes, cause)) != VAULT_OK)
		return rc;
	if (!vault__image_sig_ok(pp, slots)) {
		vault__cause(cause, "%s: the file claims to be signed by '%s' but is signed by no "
		    "member of its roster: it was forged or altered", path, signer);
		rc = VAULT_EFORGED;
		goto out;
	}
	pin = vault__pin_find(key, pp->id);
	if (pin == NULL) {
		if (key->have_trust && sodium_memcmp(key->trust, *hashes, VAULT_HASHBYTES) == 0)
			return VAULT_OK;
		vault__cause(cause, "%s: vault %s (signed by '%s') has never been verified with the "
		    "key file of '%s'%s; if a member added you, ask them for the vault's fingerprint "
		    "and open it once with --trust-vault FINGERPRINT; otherwise it is not your vault",
		    path, idhex, signer, key->name,
		    key->have_trust ? ", and its fingerprint is not the one you trusted" : "");
		rc = VAULT_EUNTRUSTED;
		goto out;
	}
	for (i = 0; i < pp->n_chain; i++)
		if (sodium_memcmp(*hashes + (size_t)i * VAULT_HASHBYTES, pin->roster,
		    VAULT_HASHBYTES) == 0)
			break;
	if (i == pp->n_chain) {
		vault__cause(cause, "%s: vault %s is signed by '%s', but its roster does not descend "
		    "from the roster the key file of '%s' last verified: the file was replaced by "
		    "one signed by no member you know", path, idhex, signer, key->name);
		rc = VAULT_EFORGED;
		goto out;
	}
	if (pp->counter < pin->counter) {
		vault__cause(cause, "%s: counter %llu is lower than the %llu the key file of '%s' "
		    "last saw: an older copy of the vault was put back; restore the newest copy",
		    path, (unsigned long long)pp->counter, (unsigned long long)pin->counter,
		    key->name);
		rc = VAULT_EROLLBACK;
		goto out;
	}
	return VAULT_OK;
out:
	free(*hashes);
	*hashes = NULL;
	return rc;
}

int
vault__open_image(const char *path, unsigned char *image, size_t len,
    struct vault_key *key, uint64_t min_counter, int flags, struct vault **out, char **cause)
{
	struct vault *v = NULL;
	struct vault_parsed pp;
	struct vault_slot *slots = NULL;
	unsigned char *index_plain = NULL, *hashes = NULL;
	unsigned char h[VAULT_HASHBYTES];
	unsigned long long ilen;
	size_t i, mine;
	int rc;

	*out = NULL;
	if ((rc = vault__parse_image(image, len, &pp, cause)) != VAULT_OK)
		goto out;
	if (pp.version == VAULT_FORMAT_V1 && !(flags & VAULT_OPEN_MIGRATE)) {
		vault__cause(cause, "%s: the vault is format version 1, whose writers are not "
		    "signed; run 'rollout vault migrate' once to convert it", path);
		rc = VAULT_EMIGRATE;
		goto out;
	}
	if ((rc = vault__parse_slots(&pp, &slots, cause)) != VAULT_OK)
		goto out;
	for (mine = 0; mine < pp.n_slots; mine++)
		if (memcmp(slots[mine].pk, key->pk, sizeof(key->pk)) == 0)
			break;
	if (mine == pp.n_slots) {
		vault__cause(cause, "%s: member '%s' is not on this vault's roster; ask a member to "
		    "run 'rollout vault member add %s'", path, key->name, key->name);
		rc = VAULT_ENOTMEMBER;
		goto out;
	}
	if (pp.version >= 2) {
		if ((rc = check_signed(path, &pp, slots, key, &hashes, cause)) != VAULT_OK)
			goto out;
	} else if (vault__pin_find(key, pp.id) != NULL) {
		vault__cause(cause, "%s: a version-1 (unsigned) copy of a vault that the key file "
		    "of '%s' knows as version 2: refused", path, key->name);
		rc = VAULT_EFORGED;
		goto out;
	}
	if ((v = vault_alloc(path)) == NULL) {
		rc = VAULT_ENOMEM;
		goto out;
	}
	if (crypto_box_seal_open(v->keys->vault_key, slots[mine].sealed,
	    sizeof(slots[mine].sealed), key->pk, key->sk) != 0) {
		vault__cause(cause, "%s: roster slot of member '%s' fails authentication",
		    path, slots[mine].name);
		rc = VAULT_ETAMPER_SLOT;
		goto out;
	}
	derive_keys(v->keys);
	crypto_generichash(h, sizeof(h), pp.header, VAULT_HDR_OFF_MAC, v->keys->mac_key,
	    VAULT_KEYBYTES);
	if (crypto_verify_32(h, pp.header + VAULT_HDR_OFF_MAC) != 0) {
		vault__cause(cause, "%s: header fails authentication (bytes 0-%d)", path,
		    VAULT_HDR_OFF_MAC - 1);
		rc = VAULT_ETAMPER_HEADER;
		goto out;
	}
	crypto_generichash(h, sizeof(h), pp.slots, pp.slots_len, NULL, 0);
	if (crypto_verify_32(h, pp.header + VAULT_HDR_OFF_SLOTSHASH) != 0) {
		vault__cause(cause, "%s: roster slots fail authentication", path);
		rc = VAULT_ETAMPER_SLOT;
		goto out;
	}
	crypto_generichash(h, sizeof(h), pp.index, pp.index_len, NULL, 0);
	if (crypto_verify_32(h, pp.header + VAULT_HDR_OFF_INDEXHASH) != 0) {
		vault__cause(cause, "%s: entry table fails authentication", path);
		rc = VAULT_ETAMPER_INDEX;
		goto out;
	}
	if (pp.counter < min_counter) {
		vault__cause(cause, "%s: counter %llu is lower than the %llu last recorded in the "
		    "state store: an older copy of the vault was put back; restore the newest copy",
		    path, (unsigned long long)pp.counter, (unsigned long long)min_counter);
		rc = VAULT_EROLLBACK;
		goto out;
	}
	if ((index_plain = malloc(pp.index_len)) == NULL) {
		rc = VAULT_ENOMEM;
		goto out;
	}
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(index_plain, &ilen, NULL,
	    pp.index + VAULT_NONCEBYTES, pp.index_len - VAULT_NONCEBYTES, pp.header,
	    VAULT_HDR_AD_LEN, pp.index, v->keys->index_key) != 0) {
		vault__cause(cause, "%s: entry table fails authentication", path);
		rc = VAULT_ETAMPER_INDEX;
		goto out;
	}
	if ((rc = vault__parse_index(index_plain, (size_t)ilen, &pp, &v->recs, &v->n_recs,
	    cause)) != VAULT_OK)
		goto out;
	v->cap_recs = v->n_recs;
	for (i = 0; i < v->n_recs; i++) {
		crypto_generichash(h, sizeof(h), v->recs[i].blob, v->recs[i].blob_len, NULL, 0);
		if (crypto_verify_32(h, v->recs[i].hash) != 0) {
			vault__cause(cause, "%s: entry '%s' fails authentication", path,
			    v->recs[i].name);
			rc = VAULT_ETAMPER_ENTRY;
			goto out;
		}
	}
	memcpy(v->id, pp.id, VAULT_ID_BYTES);
	sodium_bin2hex(v->id_hex, sizeof(v->id_hex), v->id, VAULT_ID_BYTES);
	v->counter = pp.counter;
	v->version = pp.version;
	v->key = key;
	if (pp.version >= 2) {
		if ((v->chain = malloc(pp.chain_len)) == NULL) {
			rc = VAULT_ENOMEM;
			goto out;
		}
		memcpy(v->chain, pp.chain, pp.chain_len);
		v->chain_len = pp.chain_len;
		v->n_chain = pp.n_chain;
		memcpy(v->fp, hashes, VAULT_HASHBYTES);
		sodium_bin2hex(v->fp_hex, sizeof(v->fp_hex), v->fp, VAULT_HASHBYTES);
		memcpy(v->roster_hash, hashes + (size_t)(pp.n_chain - 1) * VAULT_HASHBYTES,
		    VAULT_HASHBYTES);
		sodium_bin2hex(v->roster_hex, sizeof(v->roster_hex), v->roster_hash,
		    VAULT_HASHBYTES);
		v->hashes = hashes;
		hashes = NULL;
		snprintf(v->signer, sizeof(v->signer), "%s", slots[pp.signer].name);
		/* What this key now knows: the roster it verified, the counter. */
		if ((rc = vault__pin_update(key, v->id, v->roster_hash, v->counter, cause)) !=
		    VAULT_OK)
			goto out;
	}
	v->slots = slots;
	v->n_slots = pp.n_slots;
	slots = NULL;
	v->image = image;
	v->image_len = len;
	image = NULL;
	*out = v;
	v = NULL;
out:
	free(index_plain);
	free(hashes);
	free(slots);
	free(image);
	vault_close(v);
	return rc;
}

int
vault_open(const char *path, struct vault_key *key, uint64_t min_counter, int flags,
    struct vault **out, char **cause)
{
	unsigned char *image = NULL;
	size_t len;
	int lock_fd = -1, rc;

	*out = NULL;
	if (sodium_init() < 0)
		return VAULT_ENOMEM;
	if ((flags & VAULT_OPEN_WRITE) && (rc = vault__lock(path, &lock_fd, cause)) != VAULT_OK)
		return rc;
	if ((rc = vault__read_file(path, VAULT_MAX_FILE, &image, &len, cause)) != VAULT_OK) {
		vault__unlock(lock_fd);
		return rc;
	}
	rc = vault__open_image(path, image, len, key, min_counter, flags, out, cause);
	if (rc == VAULT_OK)
		(*out)->lock_fd = lock_fd;
	else
		vault__unlock(lock_fd);
	return rc;
}

static int
seal_slot(const struct vault_keys *k, struct vault_slot *s)
{
	return crypto_box_seal(s->sealed, k->vault_key, VAULT_KEYBYTES, s->pk) == 0 ?
	    VAULT_OK : VAULT_EINVAL;
}

int
vault_create(const char *path, struct vault_key *key, int64_t now, struct vault **out,
    char **cause)
{
	struct vault *v = NULL;
	struct stat st;
	int rc;

	*out = NULL;
	if (key->version < 2) {
		vault__cause(cause, "the key file of '%s' is version 1 and has no signing key; run "
		    "'rollout vault migrate' to upgrade it", key->name);
		return VAULT_EMIGRATE;
	}
	if ((v = vault_alloc(path)) == NULL)
		return VAULT_ENOMEM;
	v->key = key;
	v->version = VAULT_FORMAT_VERSION;
	if ((rc = vault__lock(path, &v->lock_fd, cause)) != VAULT_OK)
		goto out;
	if (lstat(path, &st) == 0 || errno != ENOENT) {
		vault__cause(cause, "%s already exists; a vault is created only once", path);
		rc = VAULT_EEXIST;
		goto out;
	}
	randombytes_buf(v->id, VAULT_ID_BYTES);
	sodium_bin2hex(v->id_hex, sizeof(v->id_hex), v->id, VAULT_ID_BYTES);
	crypto_kdf_keygen(v->keys->vault_key);
	derive_keys(v->keys);
	if ((rc = vault_member_add(v, key->name, key->pk, key->sign_pk, now)) != VAULT_OK)
		goto out;
	v->counter = 0;
	if ((rc = vault_save(v, cause)) != VAULT_OK)
		goto out;
	*out = v;
	v = NULL;
out:
	vault_close(v);
	return rc;
}

int
vault_save(struct vault *v, char **cause)
{
	struct vault_wr img;
	int rc;

	long signer;

	if (v->lock_fd < 0) {
		vault__cause(cause, "%s: the vault was opened for reading only", v->path);
		return VAULT_ESTATE;
	}
	if (v->version < 2) {
		vault__cause(cause, "%s: a version-1 vault is written only after vault_upgrade",
		    v->path);
		return VAULT_EMIGRATE;
	}
	if ((signer = vault__signer_index(v, v->key)) < 0) {
		vault__cause(cause, "%s: '%s' is not on the roster and cannot sign the vault",
		    v->path, v->key->name);
		return VAULT_ESTATE;
	}
	if ((rc = vault__serialize(v, v->counter + 1, &img)) != VAULT_OK)
		return rc;
	vault__sign_image(img.p, img.len, v->key, (uint32_t)signer);
	rc = vault__write_atomic(v->path, img.p, img.len, 0, cause);
	vault__wr_free(&img);
	if (rc != VAULT_OK)
		return rc;
	v->counter++;
	v->dirty = 0;
	snprintf(v->signer, sizeof(v->signer), "%s", v->key->name);
	return vault__pin_update(v->key, v->id, v->roster_hash, v->counter, cause);
}

/* ---- roster --------------------------------------------------------- */

size_t
vault_member_count(const struct vault *v)
{
	return v->n_slots;
}

const char *
vault_member_name(const struct vault *v, size_t i)
{
	return i < v->n_slots ? v->slots[i].name : NULL;
}

int64_t
vault_member_added(const struct vault *v, size_t i)
{
	return i < v->n_slots ? v->slots[i].added_at : 0;
}

int
vault_member_add(struct vault *v, const char *name, const unsigned char pk[VAULT_PUBLICKEYBYTES],
    const unsigned char sign_pk[VAULT_PUBLICKEYBYTES], int64_t now)
{
	static const unsigned char zero[VAULT_PUBLICKEYBYTES];
	struct vault_slot *s;
	long signer = 0;
	size_t i;
	int rc;

	if (!vault__member_name_valid(name) || memcmp(sign_pk, zero, sizeof(zero)) == 0)
		return VAULT_EINVAL;
	if (v->version < 2)
		return VAULT_EMIGRATE;
	if (v->n_slots >= VAULT_MAX_MEMBERS)
		return VAULT_ESTATE;
	/* A roster change is signed by a member of the roster before it. */
	if (v->n_chain > 0 && (signer = vault__signer_index(v, v->key)) < 0)
		return VAULT_ESTATE;
	for (i = 0; i < v->n_slots; i++)
		if (strcmp(v->slots[i].name, name) == 0 ||
		    memcmp(v->slots[i].pk, pk, VAULT_PUBLICKEYBYTES) == 0 ||
		    memcmp(v->slots[i].sign_pk, sign_pk, VAULT_PUBLICKEYBYTES) == 0)
			return VAULT_EEXIST;
	s = realloc(v->slots, (v->n_slots + 1) * sizeof(*s));
	if (s == NULL)
		return VAULT_ENOMEM;
	v->slots = s;
	s = &v->slots[v->n_slots];
	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", name);
	memcpy(s->pk, pk, VAULT_PUBLICKEYBYTES);
	memcpy(s->sign_pk, sign_pk, VAULT_PUBLICKEYBYTES);
	s->added_at = now;
	if ((rc = seal_slot(v->keys, s)) != VAULT_OK)
		return rc;
	v->n_slots++;
	/* The first roster is signed by its creator, as a member of itself. */
	if (v->n_chain == 0 && (signer = vault__signer_index(v, v->key)) < 0)
		rc = VAULT_ESTATE;
	else
		rc = vault__chain_append(v, v->key, (uint32_t)signer);
	if (rc != VAULT_OK) {
		v->n_slots--;
		return rc;
	}
	v->dirty = 1;
	return VAULT_OK;
}

/*
 * vault_member_remove re-keys: every record is decrypted with the old
 * entry key and sealed again under a new one, into new blobs that replace
 * the old ones only when all have succeeded, so a failure leaves the vault
 * as it was.
 */
int
vault_member_remove(struct vault *v, const char *name)
{
	struct vault_keys *nk = NULL;
	struct vault_rec *nrecs = NULL;
	size_t i, gone;
	long signer;
	int rc = VAULT_OK;

	for (gone = 0; gone < v->n_slots; gone++)
		if (strcmp(v->slots[gone].name, name) == 0)
			break;
	if (gone == v->n_slots)
		return VAULT_ENOENT;
	if (v->n_slots == 1 || v->version < 2 || v->n_chain >= VAULT_MAX_CHAIN)
		return VAULT_ESTATE;
	/* The remover signs the change and the file after it, so must stay. */
	if ((signer = vault__signer_index(v, v->key)) < 0 || (size_t)signer == gone)
		return VAULT_ESTATE;
	if ((nk = sodium_malloc(sizeof(*nk))) == NULL)
		return VAULT_ENOMEM;
	crypto_kdf_keygen(nk->vault_key);
	derive_keys(nk);
	if ((nrecs = calloc(v->n_recs ? v->n_recs : 1, sizeof(*nrecs))) == NULL) {
		rc = VAULT_ENOMEM;
		goto out;
	}
	for (i = 0; i < v->n_recs; i++) {
		struct vault_plain *p;
		if ((rc = decrypt_rec(v, v->keys->entry_key, &v->recs[i], &p)) != VAULT_OK)
			goto out;
		rc = encrypt_rec(v, nk->entry_key, p, v->recs[i].revision + 1, &nrecs[i]);
		sodium_free(p);
		if (rc != VAULT_OK)
			goto out;
	}
	for (i = 0; i < v->n_slots; i++)
		if (i != gone && (rc = seal_slot(nk, &v->slots[i])) != VAULT_OK)
			goto out;
	/* Commit: from here nothing can fail. */
	memmove(&v->slots[gone], &v->slots[gone + 1], (v->n_slots - gone - 1) * sizeof(*v->slots));
	v->n_slots--;
	free_recs(v->recs, v->n_recs);
	v->recs = nrecs;
	v->cap_recs = v->n_recs;
	nrecs = NULL;
	sodium_free(v->keys);
	v->keys = nk;
	nk = NULL;
	v->dirty = 1;
	/* Only an allocation can fail here, and the limit was checked. */
	rc = vault__chain_append(v, v->key, (uint32_t)signer);
out:
	if (nk != NULL) {
		/* Slots sealed to the new key must be sealed to the old one again. */
		for (i = 0; i < v->n_slots; i++)
			seal_slot(v->keys, &v->slots[i]);
	}
	free_recs(nrecs, v->n_recs);
	sodium_free(nk);
	return rc;
}

/* ---- entries -------------------------------------------------------- */

size_t
vault_entry_count(const struct vault *v)
{
	return v->n_recs;
}

const char *
vault_entry_name(const struct vault *v, size_t i)
{
	return i < v->n_recs ? v->recs[i].name : NULL;
}

static int
open_entry(struct vault *v, const char *name, struct vault_plain **p, long *at)
{
	*p = NULL;
	if (!vault_name_valid(name))
		return VAULT_EINVAL;
	*at = find(v, name);
	if (*at < 0)
		return VAULT_ENOENT;
	return decrypt_rec(v, v->keys->entry_key, &v->recs[*at], p);
}

int
vault_entry_info(struct vault *v, const char *name, struct vault_entry_info *out)
{
	struct vault_plain *p;
	size_t i;
	long at;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = open_entry(v, name, &p, &at)) != VAULT_OK)
		return rc;
	snprintf(out->name, sizeof(out->name), "%s", p->name);
	out->revision = v->recs[at].revision;
	out->n_versions = p->n;
	for (i = 0; i < p->n; i++)
		out->versions[i] = p->v[i].meta;
	sodium_free(p);
	return VAULT_OK;
}

/* state_rank orders versions: current, pending, then history newest first. */
static int
cmp_version(const void *a, const void *b)
{
	const struct vault_plain_version *x = a, *y = b;

	if (x->meta.state != y->meta.state)
		return (int)x->meta.state - (int)y->meta.state;
	return x->meta.seq < y->meta.seq ? 1 : x->meta.seq > y->meta.seq ? -1 : 0;
}

/* retire moves the version in state s (if any) into history. */
static void
retire(struct vault_plain *p, enum vault_state s, const char *actor, int64_t now)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (p->v[i].meta.state == s) {
			p->v[i].meta.state = VAULT_PREVIOUS;
			p->v[i].meta.changed_at = now;
			snprintf(p->v[i].meta.changed_by, sizeof(p->v[i].meta.changed_by), "%s", actor);
		}
}

/* normalise sorts the versions and drops history beyond VAULT_HISTORY. */
static void
normalise(struct vault_plain *p)
{
	size_t i, prev = 0, keep = 0;

	qsort(p->v, p->n, sizeof(p->v[0]), cmp_version);
	for (i = 0; i < p->n; i++) {
		if (p->v[i].meta.state == VAULT_PREVIOUS && ++prev > VAULT_HISTORY) {
			sodium_memzero(&p->v[i], sizeof(p->v[i]));
			continue;
		}
		keep = i + 1;
	}
	p->n = keep;
}

static int
actor_ok(const char *actor)
{
	return actor != NULL && *actor != '\0' && strlen(actor) <= VAULT_ACTOR_MAX;
}

/* store_entry seals p as the next revision of the record at `at` (or a new
 * record inserted at -at-1). */
static int
store_entry(struct vault *v, struct vault_plain *p, long at)
{
	struct vault_rec nr;
	int rc;

	if (at >= 0)
		return encrypt_rec(v, v->keys->entry_key, p, v->recs[at].revision + 1, &v->recs[at]);
	memset(&nr, 0, sizeof(nr));
	if ((rc = encrypt_rec(v, v->keys->entry_key, p, 1, &nr)) != VAULT_OK)
		return rc;
	if (v->n_recs == v->cap_recs) {
		size_t cap = v->cap_recs ? v->cap_recs * 2 : 16;
		struct vault_rec *r = realloc(v->recs, cap * sizeof(*r));
		if (r == NULL) {
			free(nr.owned);
			return VAULT_ENOMEM;
		}
		v->recs = r;
		v->cap_recs = cap;
	}
	at = -at - 1;
	memmove(&v->recs[at + 1], &v->recs[at], (v->n_recs - (size_t)at) * sizeof(*v->recs));
	v->recs[at] = nr;
	v->n_recs++;
	return VAULT_OK;
}

int
vault_put(struct vault *v, const char *name, const void *value, size_t len,
    enum vault_state state, const char *actor, int64_t now)
{
	struct vault_plain *p = NULL;
	struct vault_plain_version *nv;
	uint32_t seq = 0;
	size_t i;
	long at;
	int rc;

	if (!vault_name_valid(name) || !actor_ok(actor) || len == 0 || len > VAULT_VALUE_MAX ||
	    (state != VAULT_CURRENT && state != VAULT_PENDING))
		return VAULT_EINVAL;
	rc = open_entry(v, name, &p, &at);
	if (rc == VAULT_ENOENT) {
		if (v->n_recs >= VAULT_MAX_ENTRIES)
			return VAULT_ESTATE;
		if ((p = sodium_malloc(sizeof(*p))) == NULL)
			return VAULT_ENOMEM;
		memset(p, 0, sizeof(*p));
		snprintf(p->name, sizeof(p->name), "%s", name);
	} else if (rc != VAULT_OK) {
		return rc;
	}
	for (i = 0; i < p->n; i++)
		if (p->v[i].meta.seq > seq)
			seq = p->v[i].meta.seq;
	retire(p, state, actor, now);
	normalise(p); /* makes room: at most VAULT_HISTORY + 1 remain */
	nv = &p->v[p->n++];
	memset(nv, 0, sizeof(*nv));
	nv->meta.seq = seq + 1;
	nv->meta.state = state;
	nv->meta.created_at = nv->meta.changed_at = now;
	snprintf(nv->meta.created_by, sizeof(nv->meta.created_by), "%s", actor);
	snprintf(nv->meta.changed_by, sizeof(nv->meta.changed_by), "%s", actor);
	memcpy(nv->value, value, len);
	nv->value_len = (uint32_t)len;
	normalise(p);
	rc = store_entry(v, p, at);
	if (rc == VAULT_OK)
		v->dirty = 1;
	sodium_free(p);
	return rc;
}

int
vault_commit(struct vault *v, const char *name, const char *actor, int64_t now)
{
	struct vault_plain *p;
	size_t i;
	long at;
	int rc;

	if (!actor_ok(actor))
		return VAULT_EINVAL;
	if ((rc = open_entry(v, name, &p, &at)) != VAULT_OK)
		return rc;
	for (i = 0; i < p->n; i++)
		if (p->v[i].meta.state == VAULT_PENDING)
			break;
	if (i == p->n) {
		sodium_free(p);
		return VAULT_ESTATE;
	}
	retire(p, VAULT_CURRENT, actor, now);
	p->v[i].meta.state = VAULT_CURRENT;
	p->v[i].meta.changed_at = now;
	snprintf(p->v[i].meta.changed_by, sizeof(p->v[i].meta.changed_by), "%s", actor);
	normalise(p);
	rc = store_entry(v, p, at);
	if (rc == VAULT_OK)
		v->dirty = 1;
	sodium_free(p);
	return rc;
}

int
vault_get(struct vault *v, const char *name, enum vault_state state, struct vault_secret **out)
{
	struct vault_plain *p;
	size_t i;
	long at;
	int rc;

	*out = NULL;
	if ((rc = open_entry(v, name, &p, &at)) != VAULT_OK)
		return rc;
	/* Versions are sorted, so the first in a state is the newest. */
	for (i = 0; i < p->n; i++)
		if (p->v[i].meta.state == state)
			break;
	if (i == p->n)
		rc = VAULT_ENOENT;
	else
		rc = vault_secret_new(p->v[i].value, p->v[i].value_len, out);
	sodium_free(p);
	return rc;
}

int
vault_verify(struct vault *v, char **cause)
{
	struct vault_plain *p;
	size_t i;
	int rc;

	for (i = 0; i < v->n_recs; i++) {
		if ((rc = decrypt_rec(v, v->keys->entry_key, &v->recs[i], &p)) != VAULT_OK) {
			vault__cause(cause, "%s: entry '%s' fails authentication", v->path,
			    v->recs[i].name);
			return rc;
		}
		sodium_free(p);
	}
	return VAULT_OK;
}

int
vault_upgrade(struct vault *v, const struct vault_pubkey *members, size_t n, char **cause)
{
	static const unsigned char zero[VAULT_PUBLICKEYBYTES];
	size_t i, j;
	long signer;

	if (v->version != VAULT_FORMAT_V1)
		return VAULT_ESTATE;
	if (v->key->version < 2) {
		vault__cause(cause, "the key file of '%s' is version 1; upgrade it first",
		    v->key->name);
		return VAULT_EMIGRATE;
	}
	/* Every member must have a version-2 key file with the key on the
	 * roster; only then are the signing keys copied in. */
	for (i = 0; i < v->n_slots; i++) {
		for (j = 0; j < n; j++)
			if (strcmp(members[j].name, v->slots[i].name) == 0 &&
			    memcmp(members[j].pk, v->slots[i].pk, VAULT_PUBLICKEYBYTES) == 0 &&
			    members[j].version >= 2 &&
			    memcmp(members[j].sign_pk, zero, sizeof(zero)) != 0)
				break;
		if (j == n) {
			vault__cause(cause, "member '%s' has no version-2 key file with the key on the "
			    "roster; they must run 'rollout vault migrate' first (it upgrades their "
			    "key file only)", v->slots[i].name);
			return VAULT_ENOENT;
		}
	}
	for (i = 0; i < v->n_slots; i++)
		for (j = 0; j < n; j++)
			if (strcmp(members[j].name, v->slots[i].name) == 0 &&
			    memcmp(members[j].pk, v->slots[i].pk, VAULT_PUBLICKEYBYTES) == 0)
				memcpy(v->slots[i].sign_pk, members[j].sign_pk, VAULT_PUBLICKEYBYTES);
	for (i = 0; i < v->n_slots; i++)
		for (j = 0; j < i; j++)
			if (memcmp(v->slots[i].sign_pk, v->slots[j].sign_pk, 32) == 0) {
				vault__cause(cause, "members '%s' and '%s' have the same signing key",
				    v->slots[j].name, v->slots[i].name);
				return VAULT_EINVAL;
			}
	v->version = VAULT_FORMAT_VERSION;
	if ((signer = vault__signer_index(v, v->key)) < 0)
		return VAULT_ESTATE;
	v->dirty = 1;
	return vault__chain_append(v, v->key, (uint32_t)signer);
}
