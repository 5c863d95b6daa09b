/*
 * tls.c - make (once) and load the CA and server certificate (see tls.h).
 */
#include "tls.h"

#include <limits.h>
#include <stdbool.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/buf.h"

/* ECDSA P-256: as strong as RSA-3072 for TLS and made in a millisecond,
 * which keeps test start-up fast (every test run gets a fresh state dir). */
static EVP_PKEY *tls__key(void)
{
	return EVP_EC_gen("P-256");
}

static int tls__ext(X509 *issuer, X509 *cert, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
	X509_EXTENSION *ex = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (!ex)
		return -1;
	int ok = X509_add_ext(cert, ex, -1);
	X509_EXTENSION_free(ex);
	return ok ? 0 : -1;
}

static X509 *tls__cert(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *issuer_key,
		       long serial, bool ca)
{
	X509 *x = X509_new();
	if (!x)
		return NULL;
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 60L * 60 * 24 * 825);
	X509_set_pubkey(x, key);
	X509_NAME *name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"armsim", -1, -1, 0);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name);
	X509 *iss = issuer ? issuer : x;
	int bad = 0;
	if (ca) {
		bad |= tls__ext(iss, x, NID_basic_constraints, "critical,CA:TRUE");
		bad |= tls__ext(iss, x, NID_key_usage, "critical,keyCertSign,cRLSign");
		bad |= tls__ext(iss, x, NID_subject_key_identifier, "hash");
	} else {
		bad |= tls__ext(iss, x, NID_basic_constraints, "critical,CA:FALSE");
		bad |= tls__ext(iss, x, NID_key_usage, "critical,digitalSignature");
		bad |= tls__ext(iss, x, NID_ext_key_usage, "serverAuth");
		bad |= tls__ext(iss, x, NID_subject_alt_name,
				"DNS:localhost,DNS:*.vault.localhost,DNS:*.managedhsm.localhost,IP:127.0.0.1,IP:::1");
		bad |= tls__ext(iss, x, NID_subject_key_identifier, "hash");
		bad |= tls__ext(iss, x, NID_authority_key_identifier, "keyid");
	}
	if (bad || !X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256())) {
		X509_free(x);
		return NULL;
	}
	return x;
}

static int tls__write(const char *path, X509 *cert, EVP_PKEY *key)
{
	char tmp[PATH_MAX];
	snprintf(tmp, sizeof tmp, "%s.tmp.%d", path, (int)getpid());
	FILE *f = fopen(tmp, "w");
	if (!f)
		return cmk_error_set(CMK_ERROR, "cannot write %s", tmp);
	int ok = cert ? PEM_write_X509(f, cert)
		      : PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL);
	if (key && !cert)
		fchmod(fileno(f), 0600);
	if (fclose(f) != 0 || !ok || rename(tmp, path) != 0) {
		unlink(tmp);
		return cmk_error_set(CMK_ERROR, "cannot write %s", path);
	}
	return 0;
}

static char *tls__slurp(const char *path)
{
	cmk_buf b = CMK_BUF_INIT;
	if (cmk_buf_read_file(&b, path) < 0) {
		cmk_buf_free(&b);
		return NULL;
	}
	return cmk_buf_detach(&b);
}

int tls_ensure(char **cert_pem, char **key_pem, char *ca_path, size_t ca_path_len,
	       const char *state_dir)
{
	char dir[PATH_MAX], ca[PATH_MAX + 16], crt[PATH_MAX + 16], key[PATH_MAX + 16];
	int error = 0;
	EVP_PKEY *cak = NULL, *srvk = NULL;
	X509 *cac = NULL, *srvc = NULL;

	mkdir(state_dir, 0700);
	if (!realpath(state_dir, dir))
		return cmk_error_set(CMK_EINVALID, "--state-dir %s: cannot use it", state_dir);
	snprintf(ca, sizeof ca, "%s/ca.pem", dir);
	snprintf(crt, sizeof crt, "%s/server.pem", dir);
	snprintf(key, sizeof key, "%s/server-key.pem", dir);
	snprintf(ca_path, ca_path_len, "%s", ca);

	if (access(ca, R_OK) != 0 || access(crt, R_OK) != 0 || access(key, R_OK) != 0) {
		if (!(cak = tls__key()) || !(srvk = tls__key()) ||
		    !(cac = tls__cert(cak, "armsim local CA", NULL, NULL, 1, true)) ||
		    !(srvc = tls__cert(srvk, "localhost", cac, cak, 2, false))) {
			error = cmk_error_set(CMK_ERROR, "cannot make the TLS certificates");
			goto out;
		}
		/* key and cert first, CA last: the CA's presence marks completion */
		if ((error = tls__write(key, NULL, srvk)) < 0 ||
		    (error = tls__write(crt, srvc, NULL)) < 0 ||
		    (error = tls__write(ca, cac, NULL)) < 0)
			goto out;
	}
	*cert_pem = tls__slurp(crt);
	*key_pem = tls__slurp(key);
	if (!*cert_pem || !*key_pem) {
		free(*cert_pem);
		free(*key_pem);
		error = cmk_error_set(CMK_ERROR, "cannot read %s or %s", crt, key);
	}
out:
	EVP_PKEY_free(cak);
	EVP_PKEY_free(srvk);
	X509_free(cac);
	X509_free(srvc);
	return error;
}
