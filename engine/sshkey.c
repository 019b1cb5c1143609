/*
 * sshkey.c - the engine's own SSH key: ed25519, written in OpenSSH's
 * "openssh-key-v1" private key format (unencrypted) and the one-line public
 * key format, so that libssh2, ssh(1) and ssh-keygen(1) all read it.
 *
 * The private key file is (PROTOCOL.key in OpenSSH's sources):
 *
 *	"openssh-key-v1\0"
 *	string ciphername "none", string kdfname "none", string kdfoptions ""
 *	uint32 1 (number of keys)
 *	string public key blob: string "ssh-ed25519", string pk[32]
 *	string private section, padded with 1, 2, 3 ... to a multiple of 8:
 *	    uint32 check, uint32 check (the same random value twice)
 *	    string "ssh-ed25519", string pk[32], string sk[64] (seed || pk)
 *	    string comment
 *
 * base64 in lines of 70 characters between BEGIN/END OPENSSH PRIVATE KEY.
 */
#include "error.h"
#include "sshutil.h"
#include "transport.h"
#include "util.h"

#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define KEY_TYPE "ssh-ed25519"

/* Appends the public key blob (string type, string pk) to b. */
static void
put_public_blob(struct ro_buf *b, const unsigned char pk[crypto_sign_PUBLICKEYBYTES])
{
	ro_ssh_put_string(b, KEY_TYPE, strlen(KEY_TYPE));
	ro_ssh_put_string(b, pk, crypto_sign_PUBLICKEYBYTES);
}

/* Builds the PEM-armoured private key file into out. */
static void
private_file(struct ro_buf *out, const unsigned char *pk, const unsigned char *sk,
    const char *comment)
{
	static const char magic[] = "openssh-key-v1";
	struct ro_buf bin, blob, priv;
	uint32_t check;
	unsigned char pad = 1;
	char *b64;
	size_t i, n;

	ro_buf_init(&bin);
	ro_buf_init(&blob);
	ro_buf_init(&priv);
	put_public_blob(&blob, pk);

	randombytes_buf(&check, sizeof check);
	ro_ssh_put_u32(&priv, check);
	ro_ssh_put_u32(&priv, check);
	ro_ssh_put_string(&priv, KEY_TYPE, strlen(KEY_TYPE));
	ro_ssh_put_string(&priv, pk, crypto_sign_PUBLICKEYBYTES);
	ro_ssh_put_string(&priv, sk, crypto_sign_SECRETKEYBYTES);
	ro_ssh_put_string(&priv, comment, strlen(comment));
	while (priv.len % 8 != 0)
		ro_buf_add(&priv, &pad, 1), pad++;

	ro_buf_add(&bin, magic, sizeof magic); /* with its NUL */
	ro_ssh_put_string(&bin, "none", 4);
	ro_ssh_put_string(&bin, "none", 4);
	ro_ssh_put_string(&bin, "", 0);
	ro_ssh_put_u32(&bin, 1);
	ro_ssh_put_string(&bin, blob.p, blob.len);
	ro_ssh_put_string(&bin, priv.p, priv.len);

	b64 = ro_ssh_b64((const unsigned char *)bin.p, bin.len);
	ro_buf_adds(out, "-----BEGIN OPENSSH PRIVATE KEY-----\n");
	n = strlen(b64);
	for (i = 0; i < n; i += 70) {
		ro_buf_add(out, b64 + i, n - i < 70 ? n - i : 70);
		ro_buf_addc(out, '\n');
	}
	ro_buf_adds(out, "-----END OPENSSH PRIVATE KEY-----\n");

	sodium_memzero(b64, n);
	sodium_memzero(bin.p, bin.len);
	sodium_memzero(priv.p, priv.len);
	free(b64);
	ro_buf_free(&bin);
	ro_buf_free(&blob);
	ro_buf_free(&priv);
}

int
ro_keygen(const char *path, const char *comment, char **cause)
{
	unsigned char pk[crypto_sign_PUBLICKEYBYTES];
	unsigned char *sk = NULL;
	struct ro_buf priv, pub, blob;
	char *pub_path = ro_xasprintf("%s.pub", path);
	char *b64;
	struct stat st;
	int rc;

	*cause = NULL;
	ro_buf_init(&priv);
	ro_buf_init(&pub);
	ro_buf_init(&blob);
	if (comment == NULL || strpbrk(comment, "\r\n"))
		comment = "rollout";
	if (lstat(path, &st) == 0) {
		*cause = ro_xasprintf("%s already exists; rollout never overwrites a key (move it "
		    "away first if you really mean to replace it)", path);
		rc = RO_EEXIST;
		goto out;
	}
	if (sodium_init() < 0) {
		*cause = ro_xstrdup("libsodium could not be initialised");
		rc = RO_EIO;
		goto out;
	}
	sk = sodium_malloc(crypto_sign_SECRETKEYBYTES);
	if (sk == NULL) {
		rc = RO_ENOMEM;
		*cause = ro_xstrdup("out of memory for the secret key");
		goto out;
	}
	crypto_sign_keypair(pk, sk);
	private_file(&priv, pk, sk, comment);

	put_public_blob(&blob, pk);
	b64 = ro_ssh_b64((const unsigned char *)blob.p, blob.len);
	ro_buf_printf(&pub, "%s %s %s\n", KEY_TYPE, b64, comment);
	free(b64);

	/* The private key goes first and without clobbering: if it cannot be
	 * placed, nothing was changed; the .pub is derived and may be replaced. */
	rc = ro_ssh_write_atomic(path, priv.p, priv.len, 0600, 1, cause);
	if (rc == 0)
		rc = ro_ssh_write_atomic(pub_path, pub.p, pub.len, 0644, 0, cause);
out:
	sodium_memzero(priv.p, priv.len);
	sodium_free(sk);
	ro_buf_free(&priv);
	ro_buf_free(&pub);
	ro_buf_free(&blob);
	free(pub_path);
	return rc;
}

int
ro_pubkey_read(const char *pub_path, char **line, char fingerprint[64], char **cause)
{
	FILE *f = fopen(pub_path, "r");
	char buf[4096], *sp, *end;
	unsigned char *blob = NULL;
	size_t blen;

	*line = NULL;
	if (f == NULL) {
		*cause = ro_xasprintf("cannot read %s: %s", pub_path, strerror(errno));
		return errno == ENOENT ? RO_ENOENT : RO_EIO;
	}
	if (fgets(buf, sizeof buf, f) == NULL) {
		fclose(f);
		*cause = ro_xasprintf("%s is empty", pub_path);
		return RO_EINVAL;
	}
	fclose(f);
	buf[strcspn(buf, "\r\n")] = '\0';
	sp = strchr(buf, ' ');
	if (sp == NULL) {
		*cause = ro_xasprintf("%s is not an OpenSSH public key line", pub_path);
		return RO_EINVAL;
	}
	end = strchr(sp + 1, ' ');
	if (ro_ssh_unb64(sp + 1, end ? (size_t)(end - sp - 1) : strlen(sp + 1), &blob, &blen) < 0) {
		*cause = ro_xasprintf("%s is not an OpenSSH public key line", pub_path);
		return RO_EINVAL;
	}
	ro_hostkey_fingerprint(blob, blen, fingerprint);
	free(blob);
	*line = ro_xstrdup(buf);
	return 0;
}

int
ro_keygen_encrypted(const char *path, const char *comment, const char *passphrase,
    char **cause)
{
	char *argv[] = { "ssh-keygen", "-q", "-t", "ed25519", "-C", NULL, "-f", NULL, NULL };
	char out[256];
	struct stat st;
	int rc, status = -1;

	*cause = NULL;
	if (comment == NULL || strpbrk(comment, "\r\n"))
		comment = "rollout";
	if (lstat(path, &st) == 0) {
		*cause = ro_xasprintf("%s already exists; rollout never overwrites a key (move it "
		    "away first if you really mean to replace it)", path);
		return RO_EEXIST;
	}
	argv[5] = (char *)comment;
	argv[7] = (char *)path;
	/* The passphrase twice: ssh-keygen asks for it and for its confirmation. */
	rc = ro_ssh_keygen_run(argv, passphrase, 2, out, sizeof out, &status, cause);
	if (rc != 0)
		return rc;
	if (status != 0 || stat(path, &st) != 0) {
		*cause = ro_xasprintf("ssh-keygen could not write the encrypted key %s (exit %d); "
		    "check that the directory is writable", path, status);
		return RO_EIO;
	}
	return 0;
}
