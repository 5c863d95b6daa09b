/*
 * arm.c - the ARM client (see arm.h): the transport (http.h) with the
 * credential (auth.h) and the bearer-token host policy in front of it.
 */
#include "providers/arm.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "common/time.h"
#include "providers/auth.h"

struct arm_client {
	http_client *http;
	const arm_cloud *cloud;
	arm_auth *auth;
	char *arm_host;     /* host[:port] of the ARM endpoint, lower case */
};

int64_t arm_now_ms(void)
{
	return cmk_time_mono_ms();
}

int64_t arm_client_scale_ms(const arm_client *c, int64_t virtual_ms)
{
	return http_scale_ms(c->http, virtual_ms);
}

const arm_cloud *arm_client_cloud(const arm_client *c)
{
	return c->cloud;
}

const char *arm_client_credential(const arm_client *c)
{
	return arm_cred_kind_name(arm_auth_kind(c->auth));
}

void arm_client_stats(arm_stats *out, const arm_client *c)
{
	http_client_stats(out, c->http);
}

const char *arm_client_correlation_id(const arm_client *c)
{
	return http_correlation_id(c->http);
}

int arm_client_canceled(const arm_client *c)
{
	return http_canceled(c->http);
}

size_t arm_pending(const arm_client *c)
{
	return http_pending(c->http);
}

int arm_submit(arm_client *c, const arm_request *req, int64_t delay_ms, arm_done_fn done,
	       void *ud)
{
	return http_submit(c->http, req, delay_ms, done, ud);
}

int arm_run(arm_client *c, int (*until)(void *ud), void *ud)
{
	return http_run(c->http, until, ud);
}

int arm_send_all(arm_response **outs, int *rcs, arm_client *c, const arm_request *reqs,
		 size_t n)
{
	return http_send_all(outs, rcs, c->http, reqs, n);
}

/* ---- the bearer-token host policy -------------------------------------- */

static int client__is_loopback(const char *host)
{
	size_t n = strlen(host);

	/* 127.0.0.1 is an address, 127.example.com a name anyone may own */
	return strcasecmp(host, "localhost") == 0 ||
	       (strncmp(host, "127.", 4) == 0 && strspn(host, "0123456789.") == n) ||
	       strcmp(host, "::1") == 0 || strcmp(host, "[::1]") == 0 ||
	       (n > 10 && strcasecmp(host + n - 10, ".localhost") == 0);
}

/* "host[:port]" of a URL, lower case, default ports dropped; scheme into
 * `scheme`. 0 or CMK_EINVALID. */
static int client__authority(char *out, size_t outlen, char *scheme, size_t slen,
			     char *host, size_t hlen, const char *url)
{
	CURLU *u = curl_url();
	char *s = NULL, *h = NULL, *p = NULL;
	int error = 0;

	if (!u)
		return cmk_error_oom();
	if (curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &s, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &h, 0) != CURLUE_OK) {
		error = cmk_error_set(CMK_EINVALID, "not a valid URL: %.200s", url);
		goto out;
	}
	(void)curl_url_get(u, CURLUPART_PORT, &p, 0);
	for (char *q = h; *q; q++)
		*q = (char)tolower((unsigned char)*q);
	for (char *q = s; *q; q++)
		*q = (char)tolower((unsigned char)*q);
	snprintf(scheme, slen, "%s", s);
	snprintf(host, hlen, "%s", h);
	if (p && !((strcmp(s, "https") == 0 && strcmp(p, "443") == 0) ||
		   (strcmp(s, "http") == 0 && strcmp(p, "80") == 0)))
		snprintf(out, outlen, "%s:%s", h, p);
	else
		snprintf(out, outlen, "%s", h);
out:
	curl_free(s);
	curl_free(h);
	curl_free(p);
	curl_url_cleanup(u);
	return error;
}

/* May a bearer token of `aud` be sent to `url`? The token policy of arm.h. */
static int client__token_allowed(arm_client *c, const char *url, arm_audience aud)
{
	char auth[300], scheme[16], host[256], shown[512];
	const char *suffix;
	size_t hl, sl;
	int error;

	http_url_for_log(shown, sizeof(shown), url);
	if ((error = client__authority(auth, sizeof(auth), scheme, sizeof(scheme), host,
				       sizeof(host), url)) < 0)
		return error;
	if (strcmp(scheme, "https") != 0 && !(strcmp(scheme, "http") == 0 &&
					      client__is_loopback(host)))
		return cmk_error_set(CMK_EAUTH, "refusing to send a bearer token over %s to %s: "
				     "tokens go over https only (plain http is allowed to "
				     "loopback addresses)", scheme, shown);
	if (aud == ARM_AUD_ARM) {
		if (strcmp(auth, c->arm_host) != 0)
			return cmk_error_set(CMK_EAUTH, "refusing to send the ARM token to host "
					     "'%s' (%s): it is not the configured ARM endpoint "
					     "'%s'", auth, shown, c->arm_host);
		return 0;
	}
	suffix = c->cloud->keyvault_suffix;
	if (!suffix)
		return cmk_error_set(CMK_EAUTH, "refusing to send a Key Vault token to %s: no "
				     "Key Vault DNS suffix is configured "
				     "(CMKCTL_KEYVAULT_DNS_SUFFIX)", shown);
	hl = strlen(host);
	sl = strlen(suffix);
	if (!(hl > sl + 1 && host[hl - sl - 1] == '.' && strcasecmp(host + hl - sl, suffix) == 0))
		return cmk_error_set(CMK_EAUTH, "refusing to send the Key Vault token to host "
				     "'%s' (%s): it is not under the Key Vault DNS suffix '%s'",
				     host, shown, suffix);
	return 0;
}

/* The transport's token source: the policy, then the credential. */
static int client__token_get(void *ctx, const char *url, arm_audience aud, const char **token)
{
	arm_client *c = ctx;
	int error;

	if ((error = client__token_allowed(c, url, aud)) < 0)
		return error;
	return arm_auth_get(token, c->auth, aud);
}

static void client__token_invalidate(void *ctx, arm_audience aud, const char *token)
{
	arm_auth_invalidate(((arm_client *)ctx)->auth, aud, token);
}

static unsigned long client__token_fetches(void *ctx)
{
	arm_client *c = ctx;

	return c->auth ? arm_auth_fetches(c->auth) : 0;
}

/* ---- requests ---------------------------------------------------------- */

int arm_send(arm_response **out, arm_client *c, const arm_request *req)
{
	int rc = 0, error;

	error = arm_send_all(out, &rc, c, req, 1);
	return error < 0 ? error : rc;
}

int arm_get_json(cJSON **out, arm_client *c, const char *path, const char *api_version,
		 arm_error **err_out)
{
	arm_request req = { .method = "GET", .url = path, .api_version = api_version };
	arm_response *resp = NULL;
	int error;

	if (err_out)
		*err_out = NULL;
	error = arm_send(&resp, c, &req);
	if (error < 0) {
		if (err_out && resp && resp->error) {
			*err_out = resp->error;
			resp->error = NULL;
		}
		goto out;
	}
	error = arm_response_json(out, resp);
out:
	arm_response_free(resp);
	return error;
}

/* ---- client ----------------------------------------------------------- */

int arm_client_new(arm_client **out, const arm_client_opts *opts)
{
	arm_client *c;
	char scheme[16], host[256], auth[300];
	http_token_source tokens = { client__token_get, client__token_invalidate,
				     client__token_fetches, NULL };
	int error;

	if (!opts || !opts->cloud)
		return cmk_error_set(CMK_EINVALID, "arm client needs a cloud");
	http_opts h = {
		.base_url = opts->cloud->arm_endpoint, .ca_file = opts->ca_file,
		.connect_timeout_ms = opts->connect_timeout_ms,
		.request_timeout_ms = opts->request_timeout_ms, .max_body = opts->max_body,
		.max_attempts = opts->max_attempts, .max_retry_ms = opts->max_retry_ms,
		.backoff_base_ms = opts->backoff_base_ms, .backoff_cap_ms = opts->backoff_cap_ms,
		.max_retry_after_ms = opts->max_retry_after_ms, .time_scale = opts->time_scale,
		.max_parallel = opts->max_parallel, .seed = opts->seed, .cancel = opts->cancel,
		.pacing = opts->pacing, .correlation_id = opts->correlation_id,
	};
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return cmk_error_oom();
	c->cloud = opts->cloud;
	if ((error = http_client_new(&c->http, &h)) < 0 ||
	    (error = client__authority(auth, sizeof(auth), scheme, sizeof(scheme), host,
				       sizeof(host), c->cloud->arm_endpoint)) < 0)
		goto fail;
	if ((c->arm_host = strdup(auth)) == NULL) {
		error = cmk_error_oom();
		goto fail;
	}
	if ((error = arm_auth_new(&c->auth, opts->credential, c->cloud, http_send_nested,
				  c->http)) < 0)
		goto fail;
	tokens.ctx = c;
	http_set_tokens(c->http, &tokens);
	*out = c;
	return 0;
fail:
	arm_client_free(c);
	return error;
}

void arm_client_free(arm_client *c)
{
	if (!c)
		return;
	/* the calls first: a pending one may hold a token of the credential */
	http_client_free(c->http);
	arm_auth_free(c->auth);
	free(c->arm_host);
	free(c);
}

int arm_cloud_discover(arm_cloud **out, const char *arm_endpoint, const char *ca_file)
{
	arm_cloud bare = { .name = "discovering", .arm_endpoint = (char *)arm_endpoint,
			   .arm_audience = (char *)arm_endpoint };
	arm_client_opts o = { .cloud = &bare, .ca_file = ca_file, .credential = "default" };
	arm_request req = { .method = "GET", .url = "/metadata/endpoints",
			    .api_version = "2015-01-01", .audience = ARM_AUD_NONE };
	arm_response *resp = NULL;
	arm_client *c = NULL;
	cJSON *doc = NULL;
	char *trimmed = NULL;
	int error;

	if (!arm_endpoint || !*arm_endpoint)
		return cmk_error_set(CMK_EINVALID, "cloud discovery needs an ARM endpoint");
	/* the joined URL must not get a double slash */
	if ((trimmed = strdup(arm_endpoint)) == NULL)
		return cmk_error_oom();
	for (size_t n = strlen(trimmed); n > 0 && trimmed[n - 1] == '/'; n--)
		trimmed[n - 1] = '\0';
	bare.arm_endpoint = bare.arm_audience = trimmed;
	if ((error = arm_client_new(&c, &o)) < 0 ||
	    (error = arm_send(&resp, c, &req)) < 0 ||
	    (error = arm_response_json(&doc, resp)) < 0)
		goto out;
	error = arm_cloud_from_metadata(out, trimmed, doc);
out:
	cJSON_Delete(doc);
	arm_response_free(resp);
	arm_client_free(c);
	free(trimmed);
	return error;
}
