/*
 * sign.c - who wrote a vault file: the roster's signed history (the
 * "chain") and the writer's Ed25519 signature over the whole file.
 *
 * Sealing the vault key to each member says who may read; it says nothing
 * about who wrote, because anyone can seal a key to a public key. So every
 * version-2 file carries, in the clear, the list of every roster it has
 * had, each signed by a member of the roster before it (the first by its
 * creator), and the whole file is signed by a member of the last roster.
 * A reader's key file pins the hash of the roster it last verified; the
 * reader accepts a file only if that roster is in the chain, so every
 * roster since descends by members' signatures from one the reader trusted.
 */
#include "vault_int.h"

#include <stdlib.h>

#define ROSTER_CTX "rollout-roster-v2"
#define CHANGE_CTX "rollout-roster-change-v2"
#define FILE_CTX "rollout-vault-file-v2"

/* vault__roster_bytes writes the public roster: u32 count, then per
 * member str name, X25519 key, Ed25519 key, i64 added_at. */
void
vault__roster_bytes(const struct vault_slot *s, size_t n, struct vault_wr *w)
{
	size_t i;

	vault__wr_u32(w, (uint32_t)n);
	for (i = 0; i < n; i++) {
		vault__wr_str(w, s[i].name);
		vault__wr_bytes(w, s[i].pk, sizeof(s[i].pk));
		vault__wr_bytes(w, s[i].sign_pk, sizeof(s[i].sign_pk));
		vault__wr_u64(w, (uint64_t)s[i].added_at);
	}
}

/*
 * vault__roster_hash names a roster at its place in the history: it covers
 * the vault id, the record's position and the hash before it, so the same
 * members at two points of the history (alice alone, then alice alone again
 * after bob's removal) have different hashes, and a pinned hash commits to
 * the whole history up to it.
 */
void
vault__roster_hash(const unsigned char id[VAULT_ID_BYTES], uint32_t seq,
    const unsigned char prev[VAULT_HASHBYTES], const unsigned char *rb, size_t len,
    unsigned char out[VAULT_HASHBYTES])
{
	crypto_generichash_state st;
	unsigned char sb[4];

	vault__put32(sb, seq);
	crypto_generichash_init(&st, NULL, 0, VAULT_HASHBYTES);
	crypto_generichash_update(&st, (const unsigned char *)ROSTER_CTX, sizeof(ROSTER_CTX));
	crypto_generichash_update(&st, id, VAULT_ID_BYTES);
	crypto_generichash_update(&st, sb, sizeof(sb));
	crypto_generichash_update(&st, prev, VAULT_HASHBYTES);
	crypto_generichash_update(&st, rb, len);
	crypto_generichash_final(&st, out, VAULT_HASHBYTES);
}

/* change_msg is what a roster change's signer signs: the context, the
 * vault id, the record's position, the roster before and the roster after. */
#define CHANGE_MSG_LEN (sizeof(CHANGE_CTX) + VAULT_ID_BYTES + 4 + 2 * VAULT_HASHBYTES)
static void
change_msg(unsigned char *m, const unsigned char id[VAULT_ID_BYTES], uint32_t seq,
    const unsigned char prev[VAULT_HASHBYTES], const unsigned char cur[VAULT_HASHBYTES])
{
	size_t o = 0;

	memcpy(m, CHANGE_CTX, sizeof(CHANGE_CTX));
	o += sizeof(CHANGE_CTX);
	memcpy(m + o, id, VAULT_ID_BYTES);
	o += VAULT_ID_BYTES;
	vault__put32(m + o, seq);
	o += 4;
	memcpy(m + o, prev, VAULT_HASHBYTES);
	memcpy(m + o + VAULT_HASHBYTES, cur, VAULT_HASHBYTES);
}

/* A roster as a chain record lists it. */
struct roster {
	struct vault_slot *m; /* only name, pk, sign_pk, added_at are used */
	uint32_t n;
};

static int
read_roster(struct vault_rd *r, struct roster *out)
{
	uint32_t i;

	out->m = NULL;
	out->n = vault__rd_u32(r);
	if (r->bad || out->n == 0 || out->n > VAULT_MAX_MEMBERS)
		return -1;
	if ((out->m = calloc(out->n, sizeof(*out->m))) == NULL)
		return -1;
	for (i = 0; i < out->n && !r->bad; i++) {
		const unsigned char *p;

		vault__rd_str(r, out->m[i].name, VAULT_NAME_MAX);
		if ((p = vault__rd_take(r, 32)) != NULL)
			memcpy(out->m[i].pk, p, 32);
		if ((p = vault__rd_take(r, 32)) != NULL)
			memcpy(out->m[i].sign_pk, p, 32);
		out->m[i].added_at = (int64_t)vault__rd_u64(r);
		/* No duplicate check here (it would be quadratic in every record of
		 * a hostile history); the current roster's is in parse_slots, and a
		 * duplicate in an old roster changes nothing a signature proves. */
		if (!r->bad && !vault__member_name_valid(out->m[i].name))
			r->bad = 1;
	}
	return r->bad ? -1 : 0;
}

int
vault__chain_verify(const char *path, const struct vault_parsed *pp,
    const struct vault_slot *slots, unsigned char **hashes, char **cause)
{
	struct vault_rd r = { pp->chain, pp->chain_len, 0, 0 };
	struct roster prev = { NULL, 0 }, cur = { NULL, 0 };
	unsigned char *h = NULL, zero[VAULT_HASHBYTES] = { 0 };
	unsigned char msg[CHANGE_MSG_LEN], hh[VAULT_HASHBYTES];
	struct vault_wr now;
	uint32_t i;
	int rc = VAULT_OK;

	*hashes = NULL;
	vault__wr_init(&now, 0);
	crypto_generichash(hh, sizeof(hh), pp->chain, pp->chain_len, NULL, 0);
	if (crypto_verify_32(hh, pp->header + VAULT_HDR_OFF_CHAINHASH) != 0) {
		vault__cause(cause, "%s: the roster history fails authentication", path);
		return VAULT_ETAMPER_SLOT;
	}
	if ((h = calloc(pp->n_chain, VAULT_HASHBYTES)) == NULL)
		return VAULT_ENOMEM;
	for (i = 0; i < pp->n_chain; i++) {
		size_t start;
		uint32_t seq, signer;
		const unsigned char *sig;
		const struct roster *by;

		seq = vault__rd_u32(&r);
		start = r.off;
		if (read_roster(&r, &cur) < 0 || seq != i) {
			vault__cause(cause, "%s: the roster history was altered: record %u is malformed", path,
			    (unsigned)i);
			rc = VAULT_ETAMPER_SLOT;
			goto out;
		}
		vault__roster_hash(pp->id, i, i == 0 ? zero : h + (size_t)(i - 1) * VAULT_HASHBYTES,
		    pp->chain + start, r.off - start, h + (size_t)i * VAULT_HASHBYTES);
		signer = vault__rd_u32(&r);
		sig = vault__rd_take(&r, VAULT_SIGBYTES);
		by = i == 0 ? &cur : &prev;
		if (r.bad) {
			vault__cause(cause, "%s: the roster history was altered: record %u is malformed", path,
			    (unsigned)i);
			rc = VAULT_ETAMPER_SLOT;
			goto out;
		}
		if (signer >= by->n) {
			vault__cause(cause, "%s: roster change %u is signed by no member of the "
			    "roster before it", path, (unsigned)i);
			rc = VAULT_EFORGED;
			goto out;
		}
		change_msg(msg, pp->id, i, i == 0 ? zero : h + (size_t)(i - 1) * VAULT_HASHBYTES,
		    h + (size_t)i * VAULT_HASHBYTES);
		if (crypto_sign_verify_detached(sig, msg, sizeof(msg), by->m[signer].sign_pk) != 0) {
			vault__cause(cause, "%s: roster change %u claims to be signed by '%s' but is "
			    "signed by no member of the roster before it", path, (unsigned)i,
			    by->m[signer].name);
			rc = VAULT_EFORGED;
			goto out;
		}
		free(prev.m);
		prev = cur;
		cur.m = NULL;
	}
	if (r.off != r.len) {
		vault__cause(cause, "%s: roster history has trailing bytes", path);
		rc = VAULT_ETAMPER_SLOT;
		goto out;
	}
	/* The slots must hold exactly the last roster of the history. */
	vault__roster_bytes(slots, pp->n_slots, &now);
	vault__roster_hash(pp->id, pp->n_chain - 1,
	    pp->n_chain > 1 ? h + (size_t)(pp->n_chain - 2) * VAULT_HASHBYTES : zero,
	    now.p, now.len, hh);
	if (now.oom || crypto_verify_32(hh, h + (size_t)(pp->n_chain - 1) * VAULT_HASHBYTES) != 0) {
		vault__cause(cause, "%s: the roster was altered: it is not the one its signed history "
		    "ends with",
		    path);
		rc = VAULT_EFORGED;
		goto out;
	}
	*hashes = h;
	h = NULL;
out:
	vault__wr_free(&now);
	free(prev.m);
	free(cur.m);
	free(h);
	return rc;
}

long
vault__signer_index(const struct vault *v, const struct vault_key *k)
{
	size_t i;

	for (i = 0; i < v->n_slots; i++)
		if (sodium_memcmp(v->slots[i].sign_pk, k->sign_pk, 32) == 0 &&
		    memcmp(v->slots[i].pk, k->pk, 32) == 0)
			return (long)i;
	return -1;
}

int
vault__chain_append(struct vault *v, const struct vault_key *k, uint32_t signer)
{
	struct vault_wr rb, rec;
	unsigned char cur[VAULT_HASHBYTES], zero[VAULT_HASHBYTES] = { 0 };
	unsigned char msg[CHANGE_MSG_LEN], sig[VAULT_SIGBYTES];
	unsigned char *chain;
	int rc = VAULT_OK;

	if (v->n_chain >= VAULT_MAX_CHAIN)
		return VAULT_ESTATE;
	vault__wr_init(&rb, 0);
	vault__wr_init(&rec, 0);
	vault__roster_bytes(v->slots, v->n_slots, &rb);
	if (rb.oom) {
		rc = VAULT_ENOMEM;
		goto out;
	}
	vault__roster_hash(v->id, v->n_chain, v->n_chain ? v->roster_hash : zero, rb.p, rb.len,
	    cur);
	change_msg(msg, v->id, v->n_chain, v->n_chain ? v->roster_hash : zero, cur);
	crypto_sign_detached(sig, NULL, msg, sizeof(msg), k->sign_sk);
	vault__wr_u32(&rec, v->n_chain);
	vault__wr_bytes(&rec, rb.p, rb.len);
	vault__wr_u32(&rec, signer);
	vault__wr_bytes(&rec, sig, sizeof(sig));
	if (rec.oom || (chain = realloc(v->chain, v->chain_len + rec.len)) == NULL) {
		rc = VAULT_ENOMEM;
		goto out;
	}
	memcpy(chain + v->chain_len, rec.p, rec.len);
	v->chain = chain;
	v->chain_len += rec.len;
	{
		unsigned char *h = realloc(v->hashes, ((size_t)v->n_chain + 1) * VAULT_HASHBYTES);
		if (h == NULL) {
			rc = VAULT_ENOMEM; /* the record stays; roster_known errs on the safe side */
			goto out;
		}
		v->hashes = h;
		memcpy(h + (size_t)v->n_chain * VAULT_HASHBYTES, cur, VAULT_HASHBYTES);
	}
	if (v->n_chain == 0) {
		memcpy(v->fp, cur, VAULT_HASHBYTES);
		sodium_bin2hex(v->fp_hex, sizeof(v->fp_hex), v->fp, VAULT_HASHBYTES);
	}
	v->n_chain++;
	memcpy(v->roster_hash, cur, VAULT_HASHBYTES);
	sodium_bin2hex(v->roster_hex, sizeof(v->roster_hex), cur, VAULT_HASHBYTES);
out:
	vault__wr_free(&rb);
	vault__wr_free(&rec);
	return rc;
}

/* file_hash is what the writer signs: BLAKE2b-512 of the context and every
 * byte of the file but the signature itself. */
static void
file_hash(const unsigned char *img, size_t len, unsigned char out[64])
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, 64);
	crypto_generichash_update(&st, (const unsigned char *)FILE_CTX, sizeof(FILE_CTX));
	crypto_generichash_update(&st, img, VAULT_HDR_OFF_SIG);
	crypto_generichash_update(&st, img + VAULT_HDR_LEN, len - VAULT_HDR_LEN);
	crypto_generichash_final(&st, out, 64);
}

void
vault__sign_image(unsigned char *img, size_t len, const struct vault_key *k, uint32_t signer)
{
	unsigned char h[64];

	vault__put32(img + VAULT_HDR_OFF_SIGNER, signer);
	file_hash(img, len, h);
	crypto_sign_detached(img + VAULT_HDR_OFF_SIG, NULL, h, sizeof(h), k->sign_sk);
}

int
vault__image_sig_ok(const struct vault_parsed *pp, const struct vault_slot *slots)
{
	unsigned char h[64];
	size_t len = pp->hdr_len + pp->chain_len + pp->slots_len + pp->index_len +
	    pp->records_len;

	file_hash(pp->header, len, h);
	return crypto_sign_verify_detached(pp->header + VAULT_HDR_OFF_SIG, h, sizeof(h),
	    slots[pp->signer].sign_pk) == 0;
}
