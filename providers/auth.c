/*
 * auth.c - credentials (client secret, workload identity, managed identity,
 * Azure CLI, and the default chain) and the per-audience token cache (see
 * auth.h).
 */
#include "providers/auth.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/log.h"
#include "common/time.h"

extern char **environ;

#define AUTH_IMDS_DEFAULT "http://169.254.169.254"
#define AUTH_CLI_TIMEOUT_MS 60000
/* token responses are a few KB; their cap does not follow the client's */
#define AUTH_MAX_RESPONSE ((size_t)256 * 1024)
/* how long a failed token fetch is answered from memory */
#define AUTH_FAILURE_MEMORY_MS 2000
/* "not configured / not reachable": the default chain moves on */
#define AUTH_UNAVAILABLE CMK_ENOTFOUND

static const struct {
	const char *name;
	arm_cred_kind kind;
} auth__names[] = {
	{ "default", ARM_CRED_DEFAULT },
	{ "client-secret", ARM_CRED_CLIENT_SECRET },
	{ "workload-identity", ARM_CRED_WORKLOAD_IDENTITY },
	{ "managed-identity", ARM_CRED_MANAGED_IDENTITY },
	{ "azure-cli", ARM_CRED_AZURE_CLI },
	{ "msi", ARM_CRED_MANAGED_IDENTITY },
	{ "imds", ARM_CRED_MANAGED_IDENTITY },
	{ "cli", ARM_CRED_AZURE_CLI },
};

int arm_cred_kind_parse(arm_cred_kind *out, const char *name)
{
	for (size_t i = 0; i < sizeof(auth__names) / sizeof(auth__names[0]); i++)
		if (strcasecmp(name, auth__names[i].name) == 0) {
			*out = auth__names[i].kind;
			return 0;
		}
	return cmk_error_set(CMK_EINVALID, "unknown credential kind '%s' (CMKCTL_CREDENTIAL): "
			     "use default, client-secret, workload-identity, "
			     "managed-identity or azure-cli", name);
}

const char *arm_cred_kind_name(arm_cred_kind kind)
{
	for (size_t i = 0; i < sizeof(auth__names) / sizeof(auth__names[0]); i++)
		if (auth__names[i].kind == kind)
			return auth__names[i].name;
	return "?";
}

/* ---- token responses -------------------------------------------------- */

/* A JSON number, or a string holding only a number (IMDS). A value no
 * epoch time or lifetime can have (NaN, infinite, beyond +-1e15 s) is not
 * one: it would not even fit a time_t. */
static int auth__json_num(double *out, const cJSON *v)
{
	char *end;

	if (cJSON_IsNumber(v)) {
		*out = v->valuedouble;
		return *out > -1e15 && *out < 1e15;
	}
	if (cJSON_IsString(v) && v->valuestring[0]) {
		errno = 0;
		*out = strtod(v->valuestring, &end);
		while (isspace((unsigned char)*end))
			end++;
		return *end == '\0' && errno == 0 && *out > -1e15 && *out < 1e15;
	}
	return 0;
}

/* "09/14/2017 00:00:00 PM +00:00" (MSI 2017-09-01) to epoch; -1 if not. */
static time_t auth__msi_date(const char *s)
{
	struct tm tm;
	const char *rest;
	int sign, hh = 0, mm = 0;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	if ((rest = strptime(s, "%m/%d/%Y %I:%M:%S %p", &tm)) == NULL)
		return -1;
	t = timegm(&tm);
	while (*rest == ' ')
		rest++;
	if (*rest == '+' || *rest == '-') {
		sign = *rest == '-' ? -1 : 1;
		if (sscanf(rest + 1, "%2d:%2d", &hh, &mm) < 1)
			return -1;
		t -= sign * (hh * 3600 + mm * 60);
	}
	return t;
}

/* Azure CLI's expiresOn: local time "2023-10-31 13:29:01.000000". */
static time_t auth__cli_local_date(const char *s)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (strptime(s, "%Y-%m-%d %H:%M:%S", &tm) == NULL)
		return -1;
	tm.tm_isdst = -1;
	return mktime(&tm);
}

int arm_token_parse(arm_token *out, const char *json, size_t len, time_t now)
{
	cJSON *doc = cJSON_ParseWithLength(json, len);
	const cJSON *tok, *v;
	double num;
	time_t exp = -1;
	int error = 0;

	memset(out, 0, sizeof(*out));
	if (!doc)
		return cmk_error_set(CMK_EINVALID, "the token response is not JSON");
	tok = cJSON_GetObjectItemCaseSensitive(doc, "access_token");
	if (!cJSON_IsString(tok))
		tok = cJSON_GetObjectItemCaseSensitive(doc, "accessToken");
	if (!cJSON_IsString(tok) || !tok->valuestring[0]) {
		error = cmk_error_set(CMK_EINVALID, "the token response has no access_token");
		goto out;
	}
	if (auth__json_num(&num, cJSON_GetObjectItemCaseSensitive(doc, "expires_in"))) {
		if (num <= 0 || num > 366.0 * 86400) {
			error = cmk_error_set(CMK_EINVALID, "the token response has an "
					      "implausible expires_in (%g)", num);
			goto out;
		}
		exp = now + (time_t)num;
	} else if ((v = cJSON_GetObjectItemCaseSensitive(doc, "expires_on")) != NULL) {
		if (auth__json_num(&num, v))
			exp = (time_t)num;
		else if (cJSON_IsString(v))
			exp = auth__msi_date(v->valuestring);
	}
	if (exp == -1 && (v = cJSON_GetObjectItemCaseSensitive(doc, "expiresOn")) != NULL &&
	    cJSON_IsString(v))
		exp = auth__cli_local_date(v->valuestring);
	if (exp == -1) {
		error = cmk_error_set(CMK_EINVALID, "the token response has no usable expiry "
				      "(expires_in, expires_on or expiresOn)");
		goto out;
	}
	if (exp <= now) {
		error = cmk_error_set(CMK_EINVALID, "the token response holds a token that has "
				      "already expired");
		goto out;
	}
	if ((out->token = strdup(tok->valuestring)) == NULL) {
		error = cmk_error_oom();
		goto out;
	}
	out->expires_on = exp;
	out->obtained = now;
	cmk_log_add_secret(out->token);
out:
	cJSON_Delete(doc);
	return error;
}

int arm_token_needs_refresh(const arm_token *t, time_t now)
{
	time_t lifetime, margin;

	if (!t->token)
		return 1;
	lifetime = t->expires_on - t->obtained;
	margin = lifetime / 10;
	if (margin > 300)
		margin = 300;
	/* expiry has one-second resolution: never cut it finer than that */
	if (margin < 1)
		margin = 1;
	return now >= t->expires_on - margin;
}

void arm_token_clear(arm_token *t)
{
	free(t->token);
	memset(t, 0, sizeof(*t));
}

/* ---- the credential ----------------------------------------------------- */

struct arm_auth {
	arm_cred_kind kind;    /* as configured */
	arm_cred_kind chosen;  /* for default: the kind that worked (else DEFAULT) */
	const arm_cloud *cloud;
	arm_auth_send_fn send;
	void *send_ctx;
	arm_token tokens[2];   /* ARM_AUD_ARM, ARM_AUD_KEYVAULT */
	/* the last failed fetch per audience: a thousand queued requests must
	 * not become a thousand token requests against a wrong secret */
	char *failure[2];
	int failure_code[2];
	int64_t failed_ms[2];
	unsigned long fetches;
	/* the environment, read once (the federated token file is read per use) */
	char *tenant, *client_id, *secret, *fed_file;
	char *identity_endpoint, *identity_header, *msi_endpoint, *msi_secret, *imds_host;
	char *mi_client_id;
};

static char *auth__env(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? strdup(v) : NULL;
}

static int auth__form_put(cmk_buf *b, const char *name, const char *value)
{
	static const char hex[] = "0123456789ABCDEF";
	int error;

	if (b->len && (error = cmk_buf_puts(b, "&")) < 0)
		return error;
	if ((error = cmk_buf_printf(b, "%s=", name)) < 0)
		return error;
	for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
		char enc[3] = { '%', hex[*p >> 4], hex[*p & 15] };
		if (isalnum(*p) || *p == '-' || *p == '.' || *p == '_' || *p == '~')
			error = cmk_buf_put(b, p, 1);
		else
			error = cmk_buf_put(b, enc, 3);
		if (error < 0)
			return error;
	}
	return 0;
}

static const char *auth__audience(const arm_auth *a, arm_audience aud)
{
	return aud == ARM_AUD_KEYVAULT ? a->cloud->keyvault_audience : a->cloud->arm_audience;
}

/*
 * Send a token request and parse the answer; messages name the credential.
 * `probe`: the endpoint is only a guess (IMDS, nothing configured it), so a
 * request nobody answered means "not available" and the default chain moves
 * on. A configured credential that cannot be reached (TLS, DNS, refused)
 * fails with its own error, as DefaultAzureCredential does: falling through
 * to the next kind would hide the cause behind that kind's message.
 */
static int auth__exchange(arm_token *out, arm_auth *a, const char *what,
			  const arm_request *req, int probe)
{
	arm_response *resp = NULL;
	char prior[2048];
	int error;

	error = a->send(&resp, a->send_ctx, req);
	if (error < 0) {
		snprintf(prior, sizeof(prior), "%s", cmk_error_last());
		if (!resp && probe)
			error = cmk_error_set(AUTH_UNAVAILABLE, "%s: %s", what, prior);
		else if (!resp)
			error = cmk_error_set(CMK_EAUTH, "%s: %s", what, prior);
		else
			error = cmk_error_set(CMK_EAUTH, "%s could not get a token: %s", what,
					      prior);
		goto out;
	}
	if ((error = arm_token_parse(out, cmk_buf_cstr(&resp->body), resp->body.len,
				     time(NULL))) < 0) {
		snprintf(prior, sizeof(prior), "%s", cmk_error_last());
		error = cmk_error_set(CMK_EAUTH, "%s: %s", what, prior);
	}
out:
	arm_response_free(resp);
	return error;
}

/* Tokens may only travel over https, or http to loopback. The host is
 * compared whole: a prefix would let http://localhost.example.com/,
 * http://127.example.com/ or http://localhost@example.com/ through. */
static int auth__check_endpoint(const char *what, const char *url)
{
	char host[64];
	size_t n;

	if (strncasecmp(url, "https://", 8) == 0)
		return 0;
	if (strncasecmp(url, "http://", 7) == 0) {
		n = strcspn(url + 7, "/?#");
		if (n < sizeof(host) && !memchr(url + 7, '@', n)) {
			memcpy(host, url + 7, n);
			host[n] = '\0';
			if (host[0] != '[')
				host[strcspn(host, ":")] = '\0';
			else if (strchr(host, ']'))
				strchr(host, ']')[1] = '\0';
			n = strlen(host);
			if (strcasecmp(host, "localhost") == 0 || strcmp(host, "[::1]") == 0 ||
			    strcmp(host, "169.254.169.254") == 0 ||
			    (strncmp(host, "127.", 4) == 0 && strspn(host, "0123456789.") == n))
				return 0;
		}
	}
	return cmk_error_set(CMK_EAUTH, "%s: refusing to send credentials to %s: not https "
			     "and not a loopback or IMDS address", what, url);
}

static int auth__aad(arm_token *out, arm_auth *a, arm_audience aud, const char *what,
		     const char *assertion)
{
	cmk_buf url = CMK_BUF_INIT, form = CMK_BUF_INIT;
	char *scope = arm_cloud_scope(auth__audience(a, aud));
	arm_request req = { 0 };
	int error;

	if (!scope)
		return cmk_error_oom();
	if ((error = cmk_buf_printf(&url, "%s/%s/oauth2/v2.0/token", a->cloud->authority_host,
				    a->tenant)) < 0 ||
	    (error = auth__check_endpoint(what, cmk_buf_cstr(&url))) < 0 ||
	    (error = auth__form_put(&form, "client_id", a->client_id)) < 0 ||
	    (error = auth__form_put(&form, "scope", scope)) < 0 ||
	    (error = auth__form_put(&form, "grant_type", "client_credentials")) < 0)
		goto out;
	if (assertion)
		error = auth__form_put(&form, "client_assertion_type",
				       "urn:ietf:params:oauth:client-assertion-type:jwt-bearer") < 0
			? -1 : auth__form_put(&form, "client_assertion", assertion);
	else
		error = auth__form_put(&form, "client_secret", a->secret);
	if (error < 0)
		goto out;
	req.method = "POST";
	req.url = cmk_buf_cstr(&url);
	req.body = cmk_buf_cstr(&form);
	req.body_len = form.len;
	req.content_type = "application/x-www-form-urlencoded";
	req.audience = ARM_AUD_NONE;
	req.retry_post = 1; /* a token request has no side effect */
	req.max_body = AUTH_MAX_RESPONSE;
	error = auth__exchange(out, a, what, &req, 0);
out:
	/* the form holds the secret or assertion: wipe before freeing */
	if (form.ptr)
		memset(form.ptr, 0, form.len);
	cmk_buf_free(&form);
	cmk_buf_free(&url);
	free(scope);
	return error;
}

static int auth__client_secret(arm_token *out, arm_auth *a, arm_audience aud)
{
	if (!a->tenant || !a->client_id || !a->secret)
		return cmk_error_set(AUTH_UNAVAILABLE, "client-secret credential: set "
				     "AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET");
	return auth__aad(out, a, aud, "client-secret credential", NULL);
}

static int auth__workload(arm_token *out, arm_auth *a, arm_audience aud)
{
	cmk_buf assertion;
	int error;

	if (!a->tenant || !a->client_id || !a->fed_file)
		return cmk_error_set(AUTH_UNAVAILABLE, "workload-identity credential: set "
				     "AZURE_TENANT_ID, AZURE_CLIENT_ID and "
				     "AZURE_FEDERATED_TOKEN_FILE");
	/* re-read every time: the kubelet rotates the projected token */
	cmk_buf_init(&assertion, 64 * 1024);
	if ((error = cmk_buf_read_file(&assertion, a->fed_file)) < 0) {
		char prior[1024];
		snprintf(prior, sizeof(prior), "%s", cmk_error_last());
		cmk_buf_free(&assertion);
		return cmk_error_set(CMK_EAUTH, "workload-identity credential: cannot read "
				     "AZURE_FEDERATED_TOKEN_FILE: %s", prior);
	}
	while (assertion.len && isspace((unsigned char)assertion.ptr[assertion.len - 1]))
		assertion.ptr[--assertion.len] = '\0';
	if (assertion.len == 0) {
		cmk_buf_free(&assertion);
		return cmk_error_set(CMK_EAUTH, "workload-identity credential: "
				     "AZURE_FEDERATED_TOKEN_FILE %s is empty", a->fed_file);
	}
	cmk_log_add_secret(assertion.ptr);
	error = auth__aad(out, a, aud, "workload-identity credential", assertion.ptr);
	memset(assertion.ptr, 0, assertion.len);
	cmk_buf_free(&assertion);
	return error;
}

static int auth__managed(arm_token *out, arm_auth *a, arm_audience aud, int probe)
{
	cmk_buf url = CMK_BUF_INIT, q = CMK_BUF_INIT, hdr = CMK_BUF_INIT;
	const char *headers[2] = { NULL, NULL };
	const char *base, *api, *what = "managed-identity credential";
	arm_request req = { 0 };
	int error;

	if (a->identity_endpoint && a->identity_header) {
		base = a->identity_endpoint;
		api = "2019-08-01";
		error = cmk_buf_printf(&hdr, "X-IDENTITY-HEADER: %s", a->identity_header);
	} else if (a->msi_endpoint) {
		base = a->msi_endpoint;
		api = "2017-09-01";
		error = a->msi_secret ? cmk_buf_printf(&hdr, "secret: %s", a->msi_secret)
				      : cmk_buf_puts(&hdr, "Metadata: true");
	} else {
		base = NULL;
		api = "2018-02-01";
		error = cmk_buf_puts(&hdr, "Metadata: true");
	}
	if (error < 0)
		goto out;
	if (base)
		error = cmk_buf_puts(&url, base);
	else
		error = cmk_buf_printf(&url, "%s/metadata/identity/oauth2/token",
				       a->imds_host ? a->imds_host : AUTH_IMDS_DEFAULT);
	if (error < 0 || (error = auth__check_endpoint(what, cmk_buf_cstr(&url))) < 0)
		goto out;
	if ((error = auth__form_put(&q, "api-version", api)) < 0 ||
	    (error = auth__form_put(&q, "resource", auth__audience(a, aud))) < 0)
		goto out;
	if (a->mi_client_id &&
	    (error = auth__form_put(&q, strcmp(api, "2017-09-01") == 0 ? "clientid" : "client_id",
				    a->mi_client_id)) < 0)
		goto out;
	if ((error = cmk_buf_printf(&url, "%c%s", strchr(cmk_buf_cstr(&url), '?') ? '&' : '?',
				    cmk_buf_cstr(&q))) < 0)
		goto out;
	headers[0] = cmk_buf_cstr(&hdr);
	req.method = "GET";
	req.url = cmk_buf_cstr(&url);
	req.audience = ARM_AUD_NONE;
	req.headers = headers;
	req.max_body = AUTH_MAX_RESPONSE;
	if (probe && !base) {
		/* the default chain only asks IMDS whether it is there at all */
		req.connect_timeout_ms = 1000;
		req.max_attempts = 1;
	}
	/* only the guessed IMDS address is a probe: an endpoint from the
	 * environment is configured */
	error = auth__exchange(out, a, what, &req, probe && !base);
out:
	cmk_buf_free(&url);
	cmk_buf_free(&q);
	cmk_buf_free(&hdr);
	return error;
}

/* Read everything from two pipes until both close or the deadline passes. */
static int auth__drain(cmk_buf *out, cmk_buf *err, int fd_out, int fd_err, int timeout_ms)
{
	struct pollfd p[2] = { { fd_out, POLLIN, 0 }, { fd_err, POLLIN, 0 } };
	char chunk[4096];
	int open = 2, waited = 0;

	while (open > 0) {
		int n = poll(p, 2, 250);
		if (n < 0 && errno != EINTR)
			return cmk_error_set(CMK_ERROR, "poll: %s", strerror(errno));
		if (n == 0 && (waited += 250) >= timeout_ms)
			return cmk_error_set(CMK_ETIMEOUT, "timed out");
		for (int i = 0; i < 2; i++) {
			ssize_t r;
			if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			r = read(p[i].fd, chunk, sizeof(chunk));
			if (r > 0) {
				if (cmk_buf_put(i == 0 ? out : err, chunk, (size_t)r) < 0)
					return CMK_EINVALID;
			} else if (r == 0 || errno != EINTR) {
				p[i].fd = -1;
				open--;
			}
		}
	}
	return 0;
}

static int auth__azure_cli(arm_token *out, arm_auth *a, arm_audience aud)
{
	const char *what = "azure-cli credential";
	char *argv[] = { "az", "account", "get-access-token", "--resource",
			 (char *)auth__audience(a, aud), "--output", "json", NULL };
	int po[2] = { -1, -1 }, pe[2] = { -1, -1 }, status = 0, error;
	posix_spawn_file_actions_t fa;
	cmk_buf sout, serr;
	pid_t pid = -1;

	cmk_buf_init(&sout, 1024 * 1024);
	cmk_buf_init(&serr, 64 * 1024);
	if (pipe2(po, O_CLOEXEC) < 0 || pipe2(pe, O_CLOEXEC) < 0) {
		error = cmk_error_set(CMK_ERROR, "%s: pipe: %s", what, strerror(errno));
		goto out;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, po[1], 1);
	posix_spawn_file_actions_adddup2(&fa, pe[1], 2);
	error = posix_spawnp(&pid, "az", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(po[1]);
	close(pe[1]);
	po[1] = pe[1] = -1;
	if (error != 0) {
		pid = -1;
		error = cmk_error_set(AUTH_UNAVAILABLE, "%s: the Azure CLI ('az') was not found "
				      "on PATH", what);
		goto out;
	}
	if ((error = auth__drain(&sout, &serr, po[0], pe[0], AUTH_CLI_TIMEOUT_MS)) < 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		pid = -1;
		error = cmk_error_set(CMK_EAUTH, "%s: 'az account get-access-token' %s", what,
				      error == CMK_ETIMEOUT ? "timed out" : "failed");
		goto out;
	}
	waitpid(pid, &status, 0);
	pid = -1;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
		error = cmk_error_set(AUTH_UNAVAILABLE, "%s: the Azure CLI ('az') could not be "
				      "run", what);
		goto out;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		const char *msg = cmk_buf_cstr(&serr);
		size_t n = strcspn(msg, "\n");
		/* not logged in: the CLI is there but holds no account, which the
		 * default chain counts as "not available" (DefaultAzureCredential
		 * does the same); any other failure is the CLI's error */
		int code = strstr(msg, "az login") || strstr(msg, "az account set") ? AUTH_UNAVAILABLE
										     : CMK_EAUTH;

		error = cmk_error_set(code, "%s: 'az account get-access-token' failed "
				      "(exit %d): %.*s%s", what,
				      WIFEXITED(status) ? WEXITSTATUS(status) : -1, (int)n, msg,
				      n == 0 ? "no message (run 'az login')" : "");
		goto out;
	}
	if ((error = arm_token_parse(out, cmk_buf_cstr(&sout), sout.len, time(NULL))) < 0) {
		char prior[512];
		snprintf(prior, sizeof(prior), "%s", cmk_error_last());
		error = cmk_error_set(CMK_EAUTH, "%s: %s", what, prior);
	}
out:
	for (int i = 0; i < 2; i++) {
		if (po[i] >= 0)
			close(po[i]);
		if (pe[i] >= 0)
			close(pe[i]);
	}
	if (sout.ptr)
		memset(sout.ptr, 0, sout.len);
	cmk_buf_free(&sout);
	cmk_buf_free(&serr);
	return error;
}

static int auth__fetch_kind(arm_token *out, arm_auth *a, arm_cred_kind kind,
			    arm_audience aud, int probe)
{
	switch (kind) {
	case ARM_CRED_CLIENT_SECRET: return auth__client_secret(out, a, aud);
	case ARM_CRED_WORKLOAD_IDENTITY: return auth__workload(out, a, aud);
	case ARM_CRED_MANAGED_IDENTITY: return auth__managed(out, a, aud, probe);
	case ARM_CRED_AZURE_CLI: return auth__azure_cli(out, a, aud);
	default: return cmk_error_set(CMK_EINVALID, "no credential kind");
	}
}

/* DefaultAzureCredential's order: a configured kind that fails is an error;
 * one that is not configured or not reachable lets the next one try. */
static int auth__fetch_default(arm_token *out, arm_auth *a, arm_audience aud)
{
	static const arm_cred_kind order[] = { ARM_CRED_CLIENT_SECRET,
		ARM_CRED_WORKLOAD_IDENTITY, ARM_CRED_MANAGED_IDENTITY, ARM_CRED_AZURE_CLI };
	cmk_buf why = CMK_BUF_INIT;
	int error = AUTH_UNAVAILABLE;

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		error = auth__fetch_kind(out, a, order[i], aud, 1);
		if (error == 0) {
			a->chosen = order[i];
			cmk_log_debug("credential: using %s", arm_cred_kind_name(order[i]));
			break;
		}
		if (error != AUTH_UNAVAILABLE)
			break;
		if (cmk_buf_printf(&why, "\n  %s", cmk_error_last()) < 0)
			break; /* out of memory: the summary is shorter */
	}
	if (error == AUTH_UNAVAILABLE)
		error = cmk_error_set(CMK_EAUTH, "no credential is available (CMKCTL_CREDENTIAL="
				      "default tried each kind):%s", cmk_buf_cstr(&why));
	cmk_buf_free(&why);
	return error;
}

int arm_auth_get(const char **out, arm_auth *a, arm_audience aud)
{
	int i = aud == ARM_AUD_KEYVAULT ? 1 : 0;
	arm_token *slot = &a->tokens[i];
	arm_token fresh;
	arm_cred_kind kind = a->kind == ARM_CRED_DEFAULT ? a->chosen : a->kind;
	int error;

	if (aud == ARM_AUD_KEYVAULT && !a->cloud->keyvault_audience)
		return cmk_error_set(CMK_EAUTH, "no Key Vault audience configured for cloud %s",
				     a->cloud->name);
	if (!arm_token_needs_refresh(slot, time(NULL))) {
		*out = slot->token;
		return 0;
	}
	if (a->failure[i] && cmk_time_mono_ms() - a->failed_ms[i] < AUTH_FAILURE_MEMORY_MS)
		return cmk_error_set(a->failure_code[i], "%s", a->failure[i]);
	if (kind == ARM_CRED_DEFAULT)
		error = auth__fetch_default(&fresh, a, aud);
	else
		error = auth__fetch_kind(&fresh, a, kind, aud, 0);
	if (error == AUTH_UNAVAILABLE) {
		char prior[2048];
		snprintf(prior, sizeof(prior), "%s", cmk_error_last());
		error = cmk_error_set(CMK_EAUTH, "%s", prior);
	}
	free(a->failure[i]);
	a->failure[i] = NULL;
	if (error < 0) {
		a->failure[i] = strdup(cmk_error_last());
		a->failure_code[i] = error;
		a->failed_ms[i] = cmk_time_mono_ms();
		return error;
	}
	a->fetches++;
	cmk_log_debug("credential %s: token for %s valid for %lds",
		      arm_cred_kind_name(a->kind == ARM_CRED_DEFAULT ? a->chosen : a->kind),
		      auth__audience(a, aud), (long)(fresh.expires_on - fresh.obtained));
	arm_token_clear(slot);
	*slot = fresh;
	*out = slot->token;
	return 0;
}

void arm_auth_invalidate(arm_auth *a, arm_audience aud, const char *token)
{
	arm_token *slot = &a->tokens[aud == ARM_AUD_KEYVAULT ? 1 : 0];

	if (slot->token && token && strcmp(slot->token, token) == 0)
		arm_token_clear(slot);
}

arm_cred_kind arm_auth_kind(const arm_auth *a)
{
	return a->kind == ARM_CRED_DEFAULT ? a->chosen : a->kind;
}

unsigned long arm_auth_fetches(const arm_auth *a)
{
	return a->fetches;
}

int arm_auth_new(arm_auth **out, const char *kind_name, const arm_cloud *cloud,
		 arm_auth_send_fn send, void *send_ctx)
{
	arm_auth *a;
	arm_cred_kind kind = ARM_CRED_DEFAULT;
	int error;

	if (!kind_name || !*kind_name)
		kind_name = getenv("CMKCTL_CREDENTIAL");
	if (!kind_name || !*kind_name)
		kind_name = "default";
	if ((error = arm_cred_kind_parse(&kind, kind_name)) < 0)
		return error;
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return cmk_error_oom();
	a->kind = kind;
	a->chosen = ARM_CRED_DEFAULT;
	a->cloud = cloud;
	a->send = send;
	a->send_ctx = send_ctx;
	a->tenant = auth__env("AZURE_TENANT_ID");
	a->client_id = auth__env("AZURE_CLIENT_ID");
	a->secret = auth__env("AZURE_CLIENT_SECRET");
	a->fed_file = auth__env("AZURE_FEDERATED_TOKEN_FILE");
	a->identity_endpoint = auth__env("IDENTITY_ENDPOINT");
	a->identity_header = auth__env("IDENTITY_HEADER");
	a->msi_endpoint = auth__env("MSI_ENDPOINT");
	a->msi_secret = auth__env("MSI_SECRET");
	a->imds_host = auth__env("AZURE_POD_IDENTITY_AUTHORITY_HOST");
	/* a user-assigned managed identity: CMKCTL_MANAGED_IDENTITY_CLIENT_ID, or
	 * AZURE_CLIENT_ID when it is not a service principal's (no secret, no
	 * federated token), as DefaultAzureCredential does */
	a->mi_client_id = auth__env("CMKCTL_MANAGED_IDENTITY_CLIENT_ID");
	if (!a->mi_client_id && !a->secret && !a->fed_file)
		a->mi_client_id = auth__env("AZURE_CLIENT_ID");
	if (a->imds_host) {
		size_t n = strlen(a->imds_host);
		while (n > 0 && a->imds_host[n - 1] == '/')
			a->imds_host[--n] = '\0';
	}
	cmk_log_add_secret(a->secret);
	cmk_log_add_secret(a->identity_header);
	cmk_log_add_secret(a->msi_secret);
	*out = a;
	return 0;
}

void arm_auth_free(arm_auth *a)
{
	if (!a)
		return;
	arm_token_clear(&a->tokens[0]);
	arm_token_clear(&a->tokens[1]);
	free(a->failure[0]);
	free(a->failure[1]);
	free(a->tenant);
	free(a->client_id);
	if (a->secret)
		memset(a->secret, 0, strlen(a->secret));
	free(a->secret);
	free(a->fed_file);
	free(a->identity_endpoint);
	free(a->identity_header);
	free(a->msi_endpoint);
	free(a->msi_secret);
	free(a->imds_host);
	free(a->mi_client_id);
	free(a);
}
