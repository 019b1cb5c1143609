/*
 * format.c - the bytes of a vault file (FORMAT.md): parsing the image into
 * its regions, the roster slots, the entry table and an entry's plaintext,
 * and writing them back. Nothing here decides whether a key is right; the
 * parsers only make sure that every length and count is consistent before
 * anything is allocated or read.
 */
#include "vault_int.h"

#include <stdlib.h>

/* ---- bounded reader ------------------------------------------------- */

const unsigned char *
vault__rd_take(struct vault_rd *r, size_t n)
{
	const unsigned char *p;

	if (r->bad || n > r->len - r->off) {
		r->bad = 1;
		return NULL;
	}
	p = r->p + r->off;
	r->off += n;
	return p;
}

uint8_t
vault__rd_u8(struct vault_rd *r)
{
	const unsigned char *p = vault__rd_take(r, 1);
	return p ? p[0] : 0;
}

uint16_t
vault__rd_u16(struct vault_rd *r)
{
	const unsigned char *p = vault__rd_take(r, 2);
	return p ? (uint16_t)(p[0] | (p[1] << 8)) : 0;
}

uint32_t
vault__rd_u32(struct vault_rd *r)
{
	const unsigned char *p = vault__rd_take(r, 4);
	return p ? vault__get32(p) : 0;
}

uint64_t
vault__rd_u64(struct vault_rd *r)
{
	const unsigned char *p = vault__rd_take(r, 8);
	return p ? vault__get64(p) : 0;
}

void
vault__rd_str(struct vault_rd *r, char *out, size_t max)
{
	uint16_t n = vault__rd_u16(r);
	const unsigned char *p;

	out[0] = '\0';
	if (n > max) {
		r->bad = 1;
		return;
	}
	p = vault__rd_take(r, n);
	if (p == NULL)
		return;
	if (memchr(p, '\0', n) != NULL) {
		r->bad = 1;
		return;
	}
	memcpy(out, p, n);
	out[n] = '\0';
}

/* ---- growable writer ------------------------------------------------ */

void
vault__wr_init(struct vault_wr *w, int secure)
{
	memset(w, 0, sizeof(*w));
	w->secure = secure;
}

void
vault__wr_free(struct vault_wr *w)
{
	if (w->secure)
		sodium_free(w->p);
	else
		free(w->p);
	w->p = NULL;
	w->len = w->cap = 0;
}

/* grow makes room for n more bytes. Secure buffers are moved to a new
 * locked allocation, and the old one is zeroed by sodium_free. */
static int
grow(struct vault_wr *w, size_t n)
{
	size_t cap;
	unsigned char *p;

	if (w->oom)
		return -1;
	if (n <= w->cap - w->len)
		return 0;
	cap = w->cap ? w->cap : 256;
	while (cap - w->len < n) {
		if (cap > SIZE_MAX / 2) {
			w->oom = 1;
			return -1;
		}
		cap *= 2;
	}
	if (w->secure) {
		p = sodium_malloc(cap);
		if (p != NULL && w->len)
			memcpy(p, w->p, w->len);
		if (p != NULL)
			sodium_free(w->p);
	} else {
		p = realloc(w->p, cap);
	}
	if (p == NULL) {
		w->oom = 1;
		return -1;
	}
	w->p = p;
	w->cap = cap;
	return 0;
}

void
vault__wr_bytes(struct vault_wr *w, const void *p, size_t n)
{
	if (n == 0 || grow(w, n) < 0)
		return;
	memcpy(w->p + w->len, p, n);
	w->len += n;
}

void
vault__wr_u8(struct vault_wr *w, uint8_t v)
{
	vault__wr_bytes(w, &v, 1);
}

void
vault__wr_u16(struct vault_wr *w, uint16_t v)
{
	unsigned char b[2] = { (unsigned char)v, (unsigned char)(v >> 8) };
	vault__wr_bytes(w, b, 2);
}

void
vault__wr_u32(struct vault_wr *w, uint32_t v)
{
	unsigned char b[4];
	vault__put32(b, v);
	vault__wr_bytes(w, b, 4);
}

void
vault__wr_u64(struct vault_wr *w, uint64_t v)
{
	unsigned char b[8];
	vault__put64(b, v);
	vault__wr_bytes(w, b, 8);
}

void
vault__wr_str(struct vault_wr *w, const char *s)
{
	size_t n = strlen(s);

	if (n > UINT16_MAX) {
		w->oom = 1;
		return;
	}
	vault__wr_u16(w, (uint16_t)n);
	vault__wr_bytes(w, s, n);
}

/* ---- the image ------------------------------------------------------ */

/*
 * vault__parse_image splits a file image into header, slots, index and
 * records, checking magic, version and that the lengths add up to exactly
 * the file's size. No cryptography happens here.
 */
int
vault__parse_image(const unsigned char *buf, size_t len, struct vault_parsed *out,
    char **cause)
{
	uint64_t slots_len, index_len, records_len, chain_len = 0, total;

	memset(out, 0, sizeof(*out));
	if (len < 8 || memcmp(buf, VAULT_MAGIC, 8) != 0) {
		if (len < 8 && len > 0 && memcmp(buf, VAULT_MAGIC, len) == 0) {
			vault__cause(cause, "the file ends inside the header (%zu bytes)", len);
			return VAULT_ETRUNCATED;
		}
		vault__cause(cause, "not a rollout vault file (bad magic)");
		return VAULT_ETAMPER_HEADER;
	}
	if (len < VAULT_HDR_OFF_HDRLEN) {
		vault__cause(cause, "the file ends inside the header (%zu bytes)", len);
		return VAULT_ETRUNCATED;
	}
	out->version = vault__get32(buf + VAULT_HDR_OFF_VERSION);
	if (out->version > VAULT_FORMAT_VERSION) {
		vault__cause(cause, "format version %u is newer than this rollout understands (%u)",
		    (unsigned)out->version, VAULT_FORMAT_VERSION);
		return VAULT_EVERSION;
	}
	if (out->version != VAULT_FORMAT_VERSION && out->version != VAULT_FORMAT_V1) {
		vault__cause(cause, "header: format version %u is not valid", (unsigned)out->version);
		return VAULT_ETAMPER_HEADER;
	}
	out->hdr_len = out->version == VAULT_FORMAT_V1 ? VAULT_HDR_LEN_V1 : VAULT_HDR_LEN;
	if (len < out->hdr_len) {
		vault__cause(cause, "the file ends inside the header (%zu of %zu bytes)", len,
		    out->hdr_len);
		return VAULT_ETRUNCATED;
	}
	if (vault__get32(buf + VAULT_HDR_OFF_HDRLEN) != out->hdr_len) {
		vault__cause(cause, "header: header length field is wrong");
		return VAULT_ETAMPER_HEADER;
	}
	memcpy(out->id, buf + VAULT_HDR_OFF_ID, VAULT_ID_BYTES);
	out->counter = vault__get64(buf + VAULT_HDR_OFF_COUNTER);
	out->n_slots = vault__get32(buf + VAULT_HDR_OFF_NSLOTS);
	out->n_entries = vault__get32(buf + VAULT_HDR_OFF_NENTRIES);
	slots_len = vault__get64(buf + VAULT_HDR_OFF_SLOTSLEN);
	index_len = vault__get64(buf + VAULT_HDR_OFF_INDEXLEN);
	records_len = vault__get64(buf + VAULT_HDR_OFF_RECLEN);
	if (out->version >= 2) {
		chain_len = vault__get64(buf + VAULT_HDR_OFF_CHAINLEN);
		out->n_chain = vault__get32(buf + VAULT_HDR_OFF_NCHAIN);
		out->signer = vault__get32(buf + VAULT_HDR_OFF_SIGNER);
		if (out->n_chain == 0 || out->n_chain > VAULT_MAX_CHAIN ||
		    chain_len > VAULT_MAX_FILE || out->signer >= out->n_slots) {
			vault__cause(cause, "header: roster history counts are out of range");
			return VAULT_ETAMPER_HEADER;
		}
	}
	if (out->n_slots == 0 || out->n_slots > VAULT_MAX_MEMBERS ||
	    out->n_entries > VAULT_MAX_ENTRIES || slots_len > VAULT_MAX_FILE ||
	    index_len > VAULT_MAX_FILE || records_len > VAULT_MAX_FILE ||
	    index_len < VAULT_NONCEBYTES + VAULT_TAGBYTES + 4 || out->counter == 0) {
		vault__cause(cause, "header: counts or lengths are out of range");
		return VAULT_ETAMPER_HEADER;
	}
	total = out->hdr_len + chain_len + slots_len + index_len + records_len;
	if (total != len) {
		vault__cause(cause, "the file is %zu bytes but its header says %llu "
		    "(truncated or appended to)", len, (unsigned long long)total);
		return VAULT_ETRUNCATED;
	}
	out->header = buf;
	out->chain = buf + out->hdr_len;
	out->chain_len = (size_t)chain_len;
	out->slots = out->chain + chain_len;
	out->slots_len = (size_t)slots_len;
	out->index = out->slots + slots_len;
	out->index_len = (size_t)index_len;
	out->records = out->index + index_len;
	out->records_len = (size_t)records_len;
	return VAULT_OK;
}

int
vault__parse_slots(const struct vault_parsed *pp, struct vault_slot **out, char **cause)
{
	struct vault_rd r = { pp->slots, pp->slots_len, 0, 0 };
	struct vault_slot *s;
	uint32_t i, j;

	*out = NULL;
	s = calloc(pp->n_slots, sizeof(*s));
	if (s == NULL)
		return VAULT_ENOMEM;
	for (i = 0; i < pp->n_slots && !r.bad; i++) {
		const unsigned char *p;

		vault__rd_str(&r, s[i].name, VAULT_NAME_MAX);
		if ((p = vault__rd_take(&r, sizeof(s[i].pk))) != NULL)
			memcpy(s[i].pk, p, sizeof(s[i].pk));
		if (pp->version >= 2 && (p = vault__rd_take(&r, sizeof(s[i].sign_pk))) != NULL)
			memcpy(s[i].sign_pk, p, sizeof(s[i].sign_pk));
		s[i].added_at = (int64_t)vault__rd_u64(&r);
		if ((p = vault__rd_take(&r, sizeof(s[i].sealed))) != NULL)
			memcpy(s[i].sealed, p, sizeof(s[i].sealed));
		if (!r.bad && !vault__member_name_valid(s[i].name))
			r.bad = 1;
		for (j = 0; j < i && !r.bad; j++)
			if (strcmp(s[i].name, s[j].name) == 0 ||
			    memcmp(s[i].pk, s[j].pk, sizeof(s[i].pk)) == 0 ||
			    (pp->version >= 2 &&
			    memcmp(s[i].sign_pk, s[j].sign_pk, sizeof(s[i].sign_pk)) == 0))
				r.bad = 1;
	}
	if (r.bad || r.off != r.len) {
		free(s);
		vault__cause(cause, "roster slots: slot %u is malformed", (unsigned)i);
		return VAULT_ETAMPER_SLOT;
	}
	*out = s;
	return VAULT_OK;
}

/*
 * vault__parse_index reads the decrypted entry table: names strictly
 * ascending, and record lengths that exactly tile the records region, so
 * that each rec's blob points into the image.
 */
int
vault__parse_index(const unsigned char *plain, size_t len, const struct vault_parsed *pp,
    struct vault_rec **out, size_t *n, char **cause)
{
	struct vault_rd r = { plain, len, 0, 0 };
	struct vault_rec *recs = NULL;
	uint32_t count, i;
	size_t off = 0;

	*out = NULL;
	*n = 0;
	count = vault__rd_u32(&r);
	if (count != pp->n_entries || count > len / 16) {
		vault__cause(cause, "entry table: it lists %u entries, the header %u",
		    (unsigned)count, (unsigned)pp->n_entries);
		return VAULT_ETAMPER_INDEX;
	}
	recs = calloc(count ? count : 1, sizeof(*recs));
	if (recs == NULL)
		return VAULT_ENOMEM;
	for (i = 0; i < count && !r.bad; i++) {
		const unsigned char *p;

		vault__rd_str(&r, recs[i].name, VAULT_NAME_MAX);
		recs[i].revision = vault__rd_u64(&r);
		recs[i].blob_len = vault__rd_u32(&r);
		if ((p = vault__rd_take(&r, VAULT_HASHBYTES)) != NULL)
			memcpy(recs[i].hash, p, VAULT_HASHBYTES);
		if (r.bad)
			break;
		if (!vault_name_valid(recs[i].name) ||
		    (i > 0 && strcmp(recs[i - 1].name, recs[i].name) >= 0) ||
		    recs[i].blob_len < VAULT_NONCEBYTES + VAULT_TAGBYTES ||
		    recs[i].blob_len > pp->records_len - off) {
			r.bad = 1;
			break;
		}
		recs[i].blob = pp->records + off;
		off += recs[i].blob_len;
	}
	if (r.bad || r.off != r.len || off != pp->records_len) {
		free(recs);
		vault__cause(cause, "entry table: row %u is malformed", (unsigned)i);
		return VAULT_ETAMPER_INDEX;
	}
	*out = recs;
	*n = count;
	return VAULT_OK;
}

/*
 * vault__serialize writes the whole version-2 file image for v with the
 * given counter into out: header, the roster history as it is, slots, the
 * entry table encrypted under the index key (its associated data is the
 * header's first 72 bytes), and the records as they are. The header's MAC
 * covers the hashes of the slots and of the table, and the table holds
 * each record's hash, so the MAC authenticates every byte while a save
 * hashes only the table and the records that changed. The signature
 * (vault__sign_image) is left zero for the caller.
 */
int
vault__serialize(const struct vault *v, uint64_t counter, struct vault_wr *out)
{
	struct vault_wr idx;
	unsigned char *h;
	size_t i, slots_len, index_len;
	uint64_t records_len = 0;
	unsigned long long clen;
	int rc = VAULT_OK;

	vault__wr_init(&idx, 0);
	vault__wr_init(out, 0);
	for (i = 0; i < v->n_recs; i++)
		records_len += v->recs[i].blob_len;

	/* The header is filled in last; reserve it. */
	{
		unsigned char zero[VAULT_HDR_LEN] = { 0 };
		vault__wr_bytes(out, zero, sizeof(zero));
	}
	vault__wr_bytes(out, v->chain, v->chain_len);
	for (i = 0; i < v->n_slots; i++) {
		const struct vault_slot *s = &v->slots[i];
		vault__wr_str(out, s->name);
		vault__wr_bytes(out, s->pk, sizeof(s->pk));
		vault__wr_bytes(out, s->sign_pk, sizeof(s->sign_pk));
		vault__wr_u64(out, (uint64_t)s->added_at);
		vault__wr_bytes(out, s->sealed, sizeof(s->sealed));
	}
	slots_len = out->len - VAULT_HDR_LEN - v->chain_len;

	vault__wr_u32(&idx, (uint32_t)v->n_recs);
	for (i = 0; i < v->n_recs; i++) {
		vault__wr_str(&idx, v->recs[i].name);
		vault__wr_u64(&idx, v->recs[i].revision);
		vault__wr_u32(&idx, v->recs[i].blob_len);
		vault__wr_bytes(&idx, v->recs[i].hash, VAULT_HASHBYTES);
	}
	if (idx.oom || out->oom) {
		rc = VAULT_ENOMEM;
		goto out;
	}
	index_len = VAULT_NONCEBYTES + idx.len + VAULT_TAGBYTES;
	if (grow(out, index_len + records_len) < 0) {
		rc = VAULT_ENOMEM;
		goto out;
	}

	h = out->p;
	memcpy(h, VAULT_MAGIC, 8);
	vault__put32(h + VAULT_HDR_OFF_VERSION, VAULT_FORMAT_VERSION);
	vault__put32(h + VAULT_HDR_OFF_HDRLEN, VAULT_HDR_LEN);
	memcpy(h + VAULT_HDR_OFF_ID, v->id, VAULT_ID_BYTES);
	vault__put64(h + VAULT_HDR_OFF_COUNTER, counter);
	vault__put32(h + VAULT_HDR_OFF_NSLOTS, (uint32_t)v->n_slots);
	vault__put32(h + VAULT_HDR_OFF_NENTRIES, (uint32_t)v->n_recs);
	vault__put64(h + VAULT_HDR_OFF_SLOTSLEN, slots_len);
	vault__put64(h + VAULT_HDR_OFF_INDEXLEN, index_len);
	vault__put64(h + VAULT_HDR_OFF_RECLEN, records_len);
	vault__put64(h + VAULT_HDR_OFF_CHAINLEN, v->chain_len);
	vault__put32(h + VAULT_HDR_OFF_NCHAIN, v->n_chain);

	/* The encrypted entry table. */
	{
		unsigned char *nonce = out->p + out->len;
		randombytes_buf(nonce, VAULT_NONCEBYTES);
		crypto_aead_xchacha20poly1305_ietf_encrypt(nonce + VAULT_NONCEBYTES, &clen,
		    idx.p, idx.len, h, VAULT_HDR_AD_LEN, NULL, nonce, v->keys->index_key);
		out->len += VAULT_NONCEBYTES + (size_t)clen;
	}
	for (i = 0; i < v->n_recs; i++)
		vault__wr_bytes(out, v->recs[i].blob, v->recs[i].blob_len);

	crypto_generichash(h + VAULT_HDR_OFF_CHAINHASH, VAULT_HASHBYTES, out->p + VAULT_HDR_LEN,
	    v->chain_len, NULL, 0);
	crypto_generichash(h + VAULT_HDR_OFF_SLOTSHASH, VAULT_HASHBYTES,
	    out->p + VAULT_HDR_LEN + v->chain_len, slots_len, NULL, 0);
	crypto_generichash(h + VAULT_HDR_OFF_INDEXHASH, VAULT_HASHBYTES,
	    out->p + VAULT_HDR_LEN + v->chain_len + slots_len, index_len, NULL, 0);
	crypto_generichash(h + VAULT_HDR_OFF_MAC, VAULT_HASHBYTES, h, VAULT_HDR_OFF_MAC,
	    v->keys->mac_key, VAULT_KEYBYTES);
out:
	vault__wr_free(&idx);
	if (rc != VAULT_OK)
		vault__wr_free(out);
	return rc;
}

/* ---- entry records -------------------------------------------------- */

int
vault__parse_record(const unsigned char *plain, size_t len, struct vault_plain *p)
{
	struct vault_rd r = { plain, len, 0, 0 };
	size_t i;
	int n_cur = 0, n_pend = 0;

	memset(p, 0, sizeof(*p));
	if (vault__rd_u8(&r) != 1)
		return VAULT_ETAMPER_ENTRY;
	vault__rd_str(&r, p->name, VAULT_NAME_MAX);
	p->n = vault__rd_u8(&r);
	if (r.bad || p->n == 0 || p->n > VAULT_VERSIONS_MAX)
		return VAULT_ETAMPER_ENTRY;
	for (i = 0; i < p->n && !r.bad; i++) {
		struct vault_plain_version *pv = &p->v[i];
		const unsigned char *val;
		uint8_t st;

		pv->meta.seq = vault__rd_u32(&r);
		st = vault__rd_u8(&r);
		pv->meta.created_at = (int64_t)vault__rd_u64(&r);
		pv->meta.changed_at = (int64_t)vault__rd_u64(&r);
		vault__rd_str(&r, pv->meta.created_by, VAULT_ACTOR_MAX);
		vault__rd_str(&r, pv->meta.changed_by, VAULT_ACTOR_MAX);
		pv->value_len = vault__rd_u32(&r);
		if (pv->value_len > VAULT_VALUE_MAX || st > VAULT_PREVIOUS) {
			r.bad = 1;
			break;
		}
		pv->meta.state = (enum vault_state)st;
		n_cur += st == VAULT_CURRENT;
		n_pend += st == VAULT_PENDING;
		val = vault__rd_take(&r, pv->value_len);
		if (val != NULL)
			memcpy(pv->value, val, pv->value_len);
	}
	if (r.bad || r.off != r.len || n_cur > 1 || n_pend > 1 || !vault_name_valid(p->name))
		return VAULT_ETAMPER_ENTRY;
	return VAULT_OK;
}

void
vault__write_record(const struct vault_plain *p, struct vault_wr *w)
{
	size_t i;

	vault__wr_u8(w, 1);
	vault__wr_str(w, p->name);
	vault__wr_u8(w, (uint8_t)p->n);
	for (i = 0; i < p->n; i++) {
		const struct vault_plain_version *pv = &p->v[i];
		vault__wr_u32(w, pv->meta.seq);
		vault__wr_u8(w, (uint8_t)pv->meta.state);
		vault__wr_u64(w, (uint64_t)pv->meta.created_at);
		vault__wr_u64(w, (uint64_t)pv->meta.changed_at);
		vault__wr_str(w, pv->meta.created_by);
		vault__wr_str(w, pv->meta.changed_by);
		vault__wr_u32(w, pv->value_len);
		vault__wr_bytes(w, pv->value, pv->value_len);
	}
}
