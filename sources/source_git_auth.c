/*
 * source_git_auth.c - credentials for git remotes (from the environment and
 * files only) and the trust decisions: ssh host keys against known_hosts,
 * TLS certificates as verified by libgit2.
 *
 * The callbacks never log secrets and record why they refused in the auth
 * struct, so source_git.c can report one clear message instead of libgit2's
 * generic "callback failed".
 */
#include "sources/source_git_internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "common/buf.h"
#include "common/log.h"

#define SOURCE__SECRET_MAX ((size_t)64 * 1024)

static int source__auth_fail(source_git_auth *a, int code, const char *fmt, ...)
	CMK_PRINTF(3, 4);

static int source__auth_fail(source_git_auth *a, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(a->fail_msg, sizeof(a->fail_msg), fmt, ap);
	va_end(ap);
	cmk_log_redact(a->fail_msg);
	a->fail_code = code;
	git_error_set_str(GIT_ERROR_CALLBACK, a->fail_msg);
	return code == CMK_EAUTH ? GIT_EAUTH : GIT_EUSER;
}

/* Read a one-line secret file, dropping trailing whitespace. */
static int source__read_secret(char **out, const char *path, const char *var)
{
	cmk_buf b = CMK_BUF_INIT;
	int error;

	cmk_buf_init(&b, SOURCE__SECRET_MAX);
	if ((error = cmk_buf_read_file(&b, path)) < 0) {
		char why[512];

		snprintf(why, sizeof(why), "%s", cmk_error_last());
		cmk_buf_free(&b);
		return cmk_error_set(error, "%s: %s", var, why);
	}
	while (b.len && isspace((unsigned char)b.ptr[b.len - 1]))
		b.ptr[--b.len] = '\0';
	if (b.len == 0) {
		cmk_buf_free(&b);
		return cmk_error_set(CMK_EINVALID, "%s: %s is empty", var, path);
	}
	*out = cmk_buf_detach(&b);
	return 0;
}

/* host and port of an ssh URL ("ssh://[user@]host[:port]/p" or
 * "[user@]host:path"); other URLs leave host NULL. */
static int source__auth_parse_host(source_git_auth *a, const char *url)
{
	const char *p, *end, *at, *rest;
	int scp = 0;

	a->port = 22;
	if (strncmp(url, "ssh://", 6) == 0 || strncmp(url, "ssh+git://", 10) == 0 ||
	    strncmp(url, "git+ssh://", 10) == 0) {
		p = strstr(url, "://") + 3;
		end = p + strcspn(p, "/");
	} else if (!strstr(url, "://") && url[strcspn(url, "/:")] == ':') {
		p = url;
		end = p + strcspn(p, "/");
		scp = 1;
	} else {
		return 0;
	}
	at = NULL;
	for (const char *q = p; q < end && (!scp || *q != '['); q++)
		if (*q == '@')
			at = q;
	if (at)
		p = at + 1;
	if (*p == '[') { /* [v6addr] */
		const char *close = memchr(p, ']', (size_t)(end - p));
		if (!close)
			return cmk_error_set(CMK_EINVALID, "bad host in git URL");
		a->host = strndup(p + 1, (size_t)(close - p - 1));
		rest = close + 1;
	} else {
		size_t n = strcspn(p, ":/");
		a->host = strndup(p, n);
		rest = p + n;
	}
	if (!a->host)
		return cmk_error_oom();
	if (!scp && *rest == ':' && rest + 1 < end) {
		char *e;
		long port = strtol(rest + 1, &e, 10);
		if (e != end || port <= 0 || port > 65535)
			return cmk_error_set(CMK_EINVALID, "bad port in git URL");
		a->port = (int)port;
	}
	return 0;
}

int source__auth_load(source_git_auth *a, const char *url)
{
	const char *v, *home;
	int error;

	memset(a, 0, sizeof(*a));
	if ((error = source__auth_parse_host(a, url)) < 0)
		return error;

	if ((v = getenv("CMKCTL_GIT_TOKEN")) && *v) {
		if ((a->token = strdup(v)) == NULL)
			return cmk_error_oom();
	} else if ((v = getenv("CMKCTL_GIT_TOKEN_FILE")) && *v) {
		if ((error = source__read_secret(&a->token, v, "CMKCTL_GIT_TOKEN_FILE")) < 0)
			return error;
	}
	if (a->token)
		cmk_log_add_secret(a->token);

	if ((v = getenv("CMKCTL_GIT_SSH_KEY")) && *v) {
		if ((a->ssh_key = strdup(v)) == NULL)
			return cmk_error_oom();
		if ((v = getenv("CMKCTL_GIT_SSH_PASSPHRASE_FILE")) && *v) {
			if ((error = source__read_secret(&a->ssh_passphrase, v,
							 "CMKCTL_GIT_SSH_PASSPHRASE_FILE")) < 0)
				return error;
			cmk_log_add_secret(a->ssh_passphrase);
		}
	}

	if ((v = getenv("CMKCTL_GIT_KNOWN_HOSTS")) && *v) {
		a->known_hosts = strdup(v);
	} else if ((home = getenv("HOME")) && *home) {
		if (asprintf(&a->known_hosts, "%s/.ssh/known_hosts", home) < 0)
			a->known_hosts = NULL;
	} else {
		a->known_hosts = strdup("/etc/ssh/ssh_known_hosts");
	}
	if (!a->known_hosts)
		return cmk_error_oom();
	return 0;
}

void source__auth_free(source_git_auth *a)
{
	if (a->token) {
		memset(a->token, 0, strlen(a->token));
		free(a->token);
	}
	if (a->ssh_passphrase) {
		memset(a->ssh_passphrase, 0, strlen(a->ssh_passphrase));
		free(a->ssh_passphrase);
	}
	free(a->ssh_key);
	free(a->known_hosts);
	free(a->host);
	memset(a, 0, sizeof(*a));
}

/*
 * libgit2 calls this again whenever the server rejects what we gave; the
 * same credentials would be rejected again, so a second request for the same
 * kind is the authentication failure.
 */
int source__auth_credentials_cb(git_credential **out, const char *url,
				const char *username_from_url,
				unsigned int allowed_types, void *payload)
{
	source_git_auth *a = payload;
	const char *user = username_from_url && *username_from_url ? username_from_url : "git";

	if (allowed_types & GIT_CREDENTIAL_USERNAME)
		return git_credential_username_new(out, user);
	a->cred_calls++;
	if ((allowed_types & GIT_CREDENTIAL_SSH_KEY) && a->ssh_key) {
		if (a->cred_calls > 1)
			return source__auth_fail(a, CMK_EAUTH,
						 "ssh key %s was rejected by %s for user '%s'",
						 a->ssh_key, a->host ? a->host : "the server", user);
		return git_credential_ssh_key_new(out, user, NULL, a->ssh_key,
						  a->ssh_passphrase);
	}
	if ((allowed_types & GIT_CREDENTIAL_USERPASS_PLAINTEXT) && a->token) {
		if (a->cred_calls > 1)
			return source__auth_fail(a, CMK_EAUTH,
						 "the token from CMKCTL_GIT_TOKEN%s was rejected "
						 "(expired, or no read access to the repository)",
						 getenv("CMKCTL_GIT_TOKEN") ? "" : "_FILE");
		return git_credential_userpass_plaintext_new(out, "x-access-token", a->token);
	}
	if (allowed_types & GIT_CREDENTIAL_SSH_KEY)
		return source__auth_fail(a, CMK_EAUTH,
					 "the server asks for an ssh key: set CMKCTL_GIT_SSH_KEY "
					 "to a private key file");
	return source__auth_fail(a, CMK_EAUTH,
				 "the server asks for credentials: set CMKCTL_GIT_TOKEN or "
				 "CMKCTL_GIT_TOKEN_FILE");
}

int source__auth_certificate_cb(git_cert *cert, int valid, const char *host,
				void *payload)
{
	source_git_auth *a = payload;
	git_cert_hostkey *hk;
	int rc;

	if (cert->cert_type != GIT_CERT_HOSTKEY_LIBSSH2) {
		if (valid)
			return 0;
		return source__auth_fail(a, CMK_EAUTH,
					 "the TLS certificate of %s is not trusted (for a "
					 "private CA set CMKCTL_GIT_CA_FILE)", host);
	}

	hk = (git_cert_hostkey *)cert;
	if (!(hk->type & GIT_CERT_SSH_RAW))
		return source__auth_fail(a, CMK_EAUTH,
					 "cannot check the ssh host key of %s: no raw key", host);
	rc = source__known_hosts_check(a->known_hosts, host, a->port,
				       (const unsigned char *)hk->hostkey, hk->hostkey_len);
	if (rc == 1)
		return 0;
	if (rc == 0)
		return source__auth_fail(a, CMK_EAUTH,
					 "ssh host %s port %d is not in %s: check its key "
					 "fingerprint, then add it (ssh-keyscan -p %d %s)",
					 host, a->port, a->known_hosts, a->port, host);
	if (rc == CMK_EAUTH)
		return source__auth_fail(a, CMK_EAUTH,
					 "the ssh host key of %s port %d does not match %s: the "
					 "key changed or the connection is intercepted",
					 host, a->port, a->known_hosts);
	return source__auth_fail(a, rc, "%s", cmk_error_last());
}

/* ----- known_hosts */

static int source__b64_decode(unsigned char **out, size_t *out_len, const char *in,
			      size_t len)
{
	unsigned char *buf;
	int n;

	if (len == 0 || len % 4 != 0 || len > 64 * 1024)
		return -1;
	if ((buf = malloc(len / 4 * 3 + 1)) == NULL)
		return -1;
	n = EVP_DecodeBlock(buf, (const unsigned char *)in, (int)len);
	if (n < 0) {
		free(buf);
		return -1;
	}
	/* EVP_DecodeBlock counts the padding as zero bytes */
	if (in[len - 1] == '=')
		n--;
	if (in[len - 2] == '=')
		n--;
	*out = buf;
	*out_len = (size_t)n;
	return 0;
}

/* "|1|salt|hash": HMAC-SHA1 of the name keyed by the salt. */
static int source__hashed_host_matches(const char *pattern, const char *name)
{
	const char *salt = pattern + 3, *bar = strchr(salt, '|');
	unsigned char *salt_raw = NULL, *hash_raw = NULL, mac[EVP_MAX_MD_SIZE];
	size_t salt_len, hash_len;
	unsigned int mac_len = 0;
	int match = 0;

	if (!bar ||
	    source__b64_decode(&salt_raw, &salt_len, salt, (size_t)(bar - salt)) < 0 ||
	    source__b64_decode(&hash_raw, &hash_len, bar + 1, strlen(bar + 1)) < 0)
		goto out;
	if (!HMAC(EVP_sha1(), salt_raw, (int)salt_len, (const unsigned char *)name,
		  strlen(name), mac, &mac_len))
		goto out;
	match = mac_len == hash_len && memcmp(mac, hash_raw, mac_len) == 0;
out:
	free(salt_raw);
	free(hash_raw);
	return match;
}

/* OpenSSH host patterns: '*' and '?' are the only wildcards ("[host]:port"
 * is literal, so fnmatch would be wrong), compared without case. */
static int source__wildmatch(const char *pat, const char *s)
{
	for (; *pat; pat++, s++) {
		if (*pat == '*') {
			while (pat[1] == '*')
				pat++;
			for (const char *t = s;; t++) {
				if (source__wildmatch(pat + 1, t))
					return 1;
				if (!*t)
					return 0;
			}
		}
		if (!*s || (*pat != '?' && tolower((unsigned char)*pat) != tolower((unsigned char)*s)))
			return 0;
	}
	return *s == '\0';
}

/* Does the comma-separated pattern list of a known_hosts line cover name? */
static int source__hosts_match(char *patterns, const char *name)
{
	int match = 0;

	if (strncmp(patterns, "|1|", 3) == 0)
		return source__hashed_host_matches(patterns, name);
	for (char *save = NULL, *pat = strtok_r(patterns, ",", &save); pat;
	     pat = strtok_r(NULL, ",", &save)) {
		int negated = pat[0] == '!';
		if (source__wildmatch(pat + negated, name)) {
			if (negated)
				return 0;
			match = 1;
		}
	}
	return match;
}

int source__known_hosts_check(const char *path, const char *host, int port,
			      const unsigned char *key, size_t key_len)
{
	cmk_buf b = CMK_BUF_INIT;
	char name[300];
	char *line, *save = NULL;
	int error, listed = 0, result = 0;

	if (port == 22)
		snprintf(name, sizeof(name), "%s", host);
	else
		snprintf(name, sizeof(name), "[%s]:%d", host, port);

	cmk_buf_init(&b, (size_t)16 * 1024 * 1024);
	if ((error = cmk_buf_read_file(&b, path)) < 0) {
		char why[512];

		snprintf(why, sizeof(why), "%s", cmk_error_last());
		cmk_buf_free(&b);
		return cmk_error_set(CMK_EAUTH, "known_hosts: %s (set CMKCTL_GIT_KNOWN_HOSTS)",
				     why);
	}
	for (line = strtok_r(b.ptr ? b.ptr : "", "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *fields[4] = { NULL }, *fsave = NULL, *f;
		int nf = 0, revoked = 0;
		unsigned char *blob = NULL;
		size_t blob_len = 0;

		while (isspace((unsigned char)*line))
			line++;
		if (*line == '#' || *line == '\0')
			continue;
		for (f = strtok_r(line, " \t\r", &fsave); f && nf < 4;
		     f = strtok_r(NULL, " \t\r", &fsave))
			fields[nf++] = f;
		if (nf >= 1 && fields[0][0] == '@') {
			if (strcmp(fields[0], "@revoked") == 0)
				revoked = 1;
			else
				continue; /* @cert-authority: certificates are not supported */
			memmove(fields, fields + 1, 3 * sizeof(char *));
			nf--;
		}
		if (nf < 3 || !source__hosts_match(fields[0], name))
			continue;
		if (source__b64_decode(&blob, &blob_len, fields[2], strlen(fields[2])) < 0)
			continue;
		if (blob_len == key_len && memcmp(blob, key, key_len) == 0) {
			free(blob);
			if (revoked) {
				result = CMK_EAUTH;
				break;
			}
			result = 1;
			continue; /* a later @revoked line still wins */
		}
		free(blob);
		if (!revoked)
			listed = 1;
	}
	if (result == 0 && listed)
		result = CMK_EAUTH;
	cmk_buf_free(&b);
	return result;
}
