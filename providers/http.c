/*
 * http.c - the one-loop HTTPS transport (see http.h): the call state
 * machine (waiting -> running -> finished -> dispatched), retries, pacing,
 * and the token each attempt gets from the client's token source.
 */
#include "providers/http.h"

#include <ctype.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/rand.h>

#include "common/log.h"
#include "common/time.h"
#include "common/vec.h"

#ifndef CMKCTL_VERSION
#define CMKCTL_VERSION "0.0.0"
#endif

#define HTTP_DEFAULT_MAX_BODY ((size_t)32 * 1024 * 1024)

/*
 * The life of one call. Callbacks only ever run from the dispatch step of a
 * top-level loop, so completions seen by a nested loop (a token fetch runs
 * one) never re-enter user code.
 */
typedef enum {
	CALL_WAITING = 0, /* not started, or between attempts: starts at not_before */
	CALL_RUNNING,     /* a transfer is in the multi handle */
	CALL_FINISHED,    /* final answer or failure known; callback not yet run */
} call__state;

typedef struct http__call {
	struct http__call *prev, *next;
	http_client *c;
	call__state state;

	char *method, *url, *body, *content_type, *resource_id;
	size_t body_len;
	arm_audience aud;
	int retry_post;
	char **extra;
	size_t nextra;
	long connect_timeout_ms;
	unsigned max_attempts;
	size_t max_body;

	char sub[64];
	int has_sub;
	arm_bucket bucket;

	int64_t not_before_ms, first_start_ms;
	unsigned attempts;
	int auth_retried, paced;
	char *token_sent; /* copy of the bearer of the running attempt (for a 401) */

	CURL *easy;
	struct curl_slist *hdrs;
	char errbuf[CURL_ERROR_SIZE];
	int too_large;

	arm_response *resp; /* response being received / final */
	int rc;
	char *errmsg;       /* message of a failure, re-raised at dispatch */

	int nested;         /* owned by a blocking nested send: never dispatched */
	arm_done_fn done;
	void *ud;
} http__call;

struct http_client {
	http_opts o;
	CURLM *multi;
	http_token_source tokens;
	arm_pacer *pacer;
	char *ca_file;
	char *base_url;
	uint64_t rng;
	char user_agent[64];
	char correlation_id[64];
	http__call *head, *tail;
	size_t ncalls, nrunning;
	arm_stats stats;
};

/* ---- responses -------------------------------------------------------- */

const char *arm_response_header(const arm_response *r, const char *name)
{
	for (size_t i = r->nheaders; i > 0; i--)
		if (strcasecmp(r->headers[i - 1].name, name) == 0)
			return r->headers[i - 1].value;
	return NULL;
}

static void response__clear_headers(arm_response *r)
{
	for (size_t i = 0; i < r->nheaders; i++) {
		free(r->headers[i].name);
		free(r->headers[i].value);
	}
	free(r->headers);
	r->headers = NULL;
	r->nheaders = 0;
}

void arm_response_free(arm_response *r)
{
	if (!r)
		return;
	cmk_buf_free(&r->body);
	response__clear_headers(r);
	free(r->request_id);
	free(r->client_request_id);
	arm_error_free(r->error);
	free(r);
}

int arm_response_json(cJSON **out, const arm_response *r)
{
	cJSON *doc = cJSON_ParseWithLength(cmk_buf_cstr(&r->body), r->body.len);

	if (!doc)
		return cmk_error_set(CMK_EINVALID, "the response (HTTP %ld, request id %s) is "
				     "not valid JSON (%zu bytes)", r->status,
				     r->request_id ? r->request_id : "none", r->body.len);
	*out = doc;
	return 0;
}

/* ---- small helpers ---------------------------------------------------- */

static void http__uuid(char out[37])
{
	unsigned char b[16];

	if (RAND_bytes(b, sizeof(b)) != 1) {
		/* never fails in practice; fall back to the clock-seeded PRNG */
		uint64_t s = (uint64_t)cmk_time_mono_ms() ^ (uint64_t)(uintptr_t)out;
		for (int i = 0; i < 16; i++)
			b[i] = (unsigned char)arm_rand_next(&s);
	}
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
		 b[13], b[14], b[15]);
}

/* The URL without query, for logs and messages (signed polling URLs carry
 * their signature in the query). */
void http_url_for_log(char *out, size_t outlen, const char *url)
{
	size_t n = strcspn(url, "?#");

	if (n >= outlen)
		n = outlen - 1;
	memcpy(out, url, n);
	out[n] = '\0';
}

/* The full URL of a request: endpoint joined, spaces encoded, api-version. */
static int http__build_url(char **out, const http_client *c, const arm_request *req)
{
	cmk_buf b = CMK_BUF_INIT;
	const char *u = req->url;
	int error = 0;

	if (!u || !*u)
		return cmk_error_set(CMK_EINVALID, "request without URL");
	if (u[0] == '/')
		error = cmk_buf_puts(&b, c->base_url ? c->base_url : "");
	for (const char *p = u; error == 0 && *p; p++) {
		if (*p == ' ')
			error = cmk_buf_puts(&b, "%20");
		else if ((unsigned char)*p < 0x20 || *p == 0x7f)
			error = cmk_error_set(CMK_EINVALID, "URL contains a control character: "
					      "%.200s", u);
		else
			error = cmk_buf_put(&b, p, 1);
	}
	if (error == 0 && req->api_version && !strcasestr(cmk_buf_cstr(&b), "api-version="))
		error = cmk_buf_printf(&b, "%capi-version=%s",
				       strchr(cmk_buf_cstr(&b), '?') ? '&' : '?', req->api_version);
	if (error < 0) {
		cmk_buf_free(&b);
		return error;
	}
	*out = cmk_buf_detach(&b);
	return 0;
}

/* ---- call bookkeeping ------------------------------------------------- */

static void call__free(http__call *k)
{
	if (!k)
		return;
	if (k->easy) {
		curl_multi_remove_handle(k->c->multi, k->easy);
		curl_easy_cleanup(k->easy);
		k->c->nrunning--;
	}
	curl_slist_free_all(k->hdrs);
	free(k->method);
	free(k->url);
	free(k->body);
	free(k->content_type);
	free(k->resource_id);
	for (size_t i = 0; i < k->nextra; i++)
		free(k->extra[i]);
	free(k->extra);
	free(k->token_sent);
	arm_response_free(k->resp);
	free(k->errmsg);
	free(k);
}

static void http__link(http_client *c, http__call *k)
{
	k->prev = c->tail;
	k->next = NULL;
	if (c->tail)
		c->tail->next = k;
	else
		c->head = k;
	c->tail = k;
	c->ncalls++;
}

static void http__unlink(http_client *c, http__call *k)
{
	if (k->prev)
		k->prev->next = k->next;
	else
		c->head = k->next;
	if (k->next)
		k->next->prev = k->prev;
	else
		c->tail = k->prev;
	k->prev = k->next = NULL;
	c->ncalls--;
}

static int call__new(http__call **out, http_client *c, const arm_request *req)
{
	http__call *k = calloc(1, sizeof(*k));
	size_t n = 0;
	int error;

	if (!k)
		return cmk_error_oom();
	k->c = c;
	if (!req->method) {
		free(k);
		return cmk_error_set(CMK_EINVALID, "request without method");
	}
	if ((error = http__build_url(&k->url, c, req)) < 0)
		goto fail;
	k->method = strdup(req->method);
	for (char *p = k->method; p && *p; p++)
		*p = (char)toupper((unsigned char)*p);
	if (req->body) {
		k->body_len = req->body_len ? req->body_len : strlen(req->body);
		if ((k->body = malloc(k->body_len + 1)) != NULL) {
			memcpy(k->body, req->body, k->body_len);
			k->body[k->body_len] = '\0';
		}
	}
	if (req->content_type)
		k->content_type = strdup(req->content_type);
	if (req->resource_id)
		k->resource_id = strdup(req->resource_id);
	while (req->headers && req->headers[n])
		n++;
	if (n && (k->extra = calloc(n, sizeof(char *))) != NULL)
		for (; k->nextra < n; k->nextra++)
			if ((k->extra[k->nextra] = strdup(req->headers[k->nextra])) == NULL)
				break;
	if (!k->method || (req->body && !k->body) || (req->content_type && !k->content_type) ||
	    (req->resource_id && !k->resource_id) || k->nextra != n) {
		error = cmk_error_oom();
		goto fail;
	}
	k->aud = req->audience;
	k->retry_post = req->retry_post;
	k->connect_timeout_ms = req->connect_timeout_ms ? req->connect_timeout_ms
							: c->o.connect_timeout_ms;
	k->max_attempts = req->max_attempts ? req->max_attempts : c->o.max_attempts;
	k->max_body = req->max_body ? req->max_body : c->o.max_body;
	k->bucket = arm_bucket_for_method(k->method);
	k->has_sub = req->audience == ARM_AUD_ARM &&
		     arm_subscription_of(k->sub, sizeof(k->sub), k->url) == 0;
	k->state = CALL_WAITING;
	*out = k;
	return 0;
fail:
	call__free(k);
	return error;
}

/* Finish a call with a failure (message set now and again at dispatch). */
static void call__fail(http__call *k, int rc)
{
	k->state = CALL_FINISHED;
	k->rc = rc;
	free(k->errmsg);
	k->errmsg = strdup(cmk_error_last());
}

static int call__may_retry(const http__call *k)
{
	const http_client *c = k->c;

	if (strcmp(k->method, "POST") == 0 && !k->retry_post)
		return 0;
	if (k->attempts >= k->max_attempts)
		return 0;
	if (c->o.cancel && *c->o.cancel)
		return 0;
	return 1;
}

/* ---- starting a transfer ---------------------------------------------- */

static size_t call__on_body(char *data, size_t size, size_t nmemb, void *ud)
{
	http__call *k = ud;
	size_t n = size * nmemb;

	if (cmk_buf_put(&k->resp->body, data, n) < 0) {
		k->too_large = 1;
		return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
	}
	return n;
}

static size_t call__on_header(char *data, size_t size, size_t nmemb, void *ud)
{
	http__call *k = ud;
	arm_response *r = k->resp;
	size_t n = size * nmemb, nl, vl;
	const char *colon, *v;
	arm_header *h;

	if (n >= 5 && strncmp(data, "HTTP/", 5) == 0) {
		/* a new status line (after 100 Continue): forget earlier headers */
		response__clear_headers(r);
		return n;
	}
	if ((colon = memchr(data, ':', n)) == NULL)
		return n;
	nl = (size_t)(colon - data);
	v = colon + 1;
	while (v < data + n && (*v == ' ' || *v == '\t'))
		v++;
	vl = (size_t)(data + n - v);
	while (vl > 0 && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' '))
		vl--;
	if ((h = CMK_VEC_APPEND(r->headers, r->nheaders)) == NULL)
		return 0;
	h->name = strndup(data, nl);
	h->value = strndup(v, vl);
	if (!h->name || !h->value) {
		free(h->name);
		free(h->value);
		r->nheaders--;
		return 0;
	}
	return n;
}

static int call__add_header(http__call *k, const char *fmt, const char *value)
{
	char line[8192];
	struct curl_slist *l;
	int n = snprintf(line, sizeof(line), fmt, value);

	if (n < 0 || (size_t)n >= sizeof(line))
		return cmk_error_set(CMK_EINVALID, "request header too long");
	if ((l = curl_slist_append(k->hdrs, line)) == NULL)
		return cmk_error_oom();
	k->hdrs = l;
	return 0;
}

static int call__start(http__call *k, const char *token)
{
	http_client *c = k->c;
	char crid[37], shown[512];
	long request_timeout = c->o.request_timeout_ms;
	CURL *e;
	int error = 0;

	arm_response_free(k->resp);
	if ((k->resp = calloc(1, sizeof(*k->resp))) == NULL)
		return cmk_error_oom();
	cmk_buf_init(&k->resp->body, k->max_body);
	http__uuid(crid);
	if ((k->resp->client_request_id = strdup(crid)) == NULL)
		return cmk_error_oom();
	k->too_large = 0;
	k->errbuf[0] = '\0';
	curl_slist_free_all(k->hdrs);
	k->hdrs = NULL;
	free(k->token_sent);
	k->token_sent = NULL;

	if ((e = curl_easy_init()) == NULL)
		return cmk_error_oom();
	k->easy = e;
	if ((error = call__add_header(k, "x-ms-client-request-id: %s", crid)) < 0 ||
	    (error = call__add_header(k, "x-ms-correlation-request-id: %s",
				      c->correlation_id)) < 0 ||
	    (error = call__add_header(k, "Accept: %s", "application/json")) < 0 ||
	    (error = call__add_header(k, "Expect:%s", "")) < 0)
		goto fail;
	if (k->body && (error = call__add_header(k, "Content-Type: %s", k->content_type
						 ? k->content_type : "application/json")) < 0)
		goto fail;
	if (token) {
		if ((error = call__add_header(k, "Authorization: Bearer %s", token)) < 0)
			goto fail;
		if ((k->token_sent = strdup(token)) == NULL) {
			error = cmk_error_oom();
			goto fail;
		}
	}
	for (size_t i = 0; i < k->nextra; i++)
		if ((error = call__add_header(k, "%s", k->extra[i])) < 0)
			goto fail;

	curl_easy_setopt(e, CURLOPT_URL, k->url);
	curl_easy_setopt(e, CURLOPT_PRIVATE, k);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, k->hdrs);
	curl_easy_setopt(e, CURLOPT_USERAGENT, c->user_agent);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, call__on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, k);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, call__on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, k);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, k->errbuf);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "https,http");
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, k->connect_timeout_ms);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, request_timeout);
	if (c->ca_file)
		curl_easy_setopt(e, CURLOPT_CAINFO, c->ca_file);
	if (strcmp(k->method, "GET") == 0) {
		curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
	} else if (strcmp(k->method, "HEAD") == 0) {
		curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
	} else {
		if (k->body || strcmp(k->method, "POST") == 0 || strcmp(k->method, "PUT") == 0 ||
		    strcmp(k->method, "PATCH") == 0) {
			curl_easy_setopt(e, CURLOPT_POSTFIELDS, k->body ? k->body : "");
			curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)k->body_len);
		}
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, k->method);
	}
	if (curl_multi_add_handle(c->multi, e) != CURLM_OK) {
		error = cmk_error_set(CMK_ERROR, "could not start a transfer");
		goto fail;
	}
	c->nrunning++;
	k->attempts++;
	k->resp->attempts = k->attempts;
	k->state = CALL_RUNNING;
	if (k->attempts == 1)
		k->first_start_ms = cmk_time_mono_ms();
	else
		c->stats.retries++;
	c->stats.requests++;
	if (k->has_sub)
		arm_pacer_started(c->pacer, k->sub, k->bucket, cmk_time_mono_ms());
	http_url_for_log(shown, sizeof(shown), k->url);
	cmk_log_ctx(CMK_LOG_DEBUG, k->resource_id, NULL, crid, "%s %s (attempt %u)", k->method,
		    shown, k->attempts);
	return 0;
fail:
	curl_easy_cleanup(e);
	k->easy = NULL;
	return error;
}

/* The token of `aud` for `url` from the client's token source. */
static int http__token(http_client *c, const char *url, arm_audience aud, const char **token)
{
	char shown[512];

	if (c->tokens.get)
		return c->tokens.get(c->tokens.ctx, url, aud, token);
	http_url_for_log(shown, sizeof(shown), url);
	return cmk_error_set(CMK_EAUTH, "no credential to authorize a request to %s", shown);
}

/* Start `k` if it is due: pacing, token, policy. Never runs callbacks. */
static void call__try_start(http__call *k, int64_t now)
{
	http_client *c = k->c;
	const char *token = NULL;
	arm_pace_reason why;
	int64_t at;
	int error;

	if (k->has_sub &&
	    (at = arm_pacer_next_start(c->pacer, k->sub, k->bucket, now, &why)) > now) {
		/* count what the rate limits cost, not the first probe's wait */
		if (!k->paced && why != ARM_PACE_PROBE) {
			k->paced = 1;
			c->stats.paced++;
		}
		k->not_before_ms = at;
		return;
	}
	if (k->aud != ARM_AUD_NONE) {
		/* may run a nested loop to fetch the token; completions it sees
		 * are only recorded */
		if ((error = http__token(c, k->url, k->aud, &token)) < 0) {
			/* nothing was sent: an earlier attempt's answer (a 401) is
			 * not the answer to this request */
			arm_response_free(k->resp);
			k->resp = NULL;
			call__fail(k, error);
			return;
		}
	}
	if ((error = call__start(k, token)) < 0)
		call__fail(k, error);
}

/* ---- a transfer ended ------------------------------------------------- */

static int http__transport_retryable(CURLcode res)
{
	switch (res) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return 1;
	default:
		return 0;
	}
}

/* Schedule another attempt after `delay_ms` real milliseconds, unless that
 * would exceed the call's total retry time. Returns 1 when scheduled. */
static int call__schedule_retry(http__call *k, int64_t delay_ms)
{
	http_client *c = k->c;
	int64_t now = cmk_time_mono_ms();

	if (now + delay_ms - k->first_start_ms > c->o.max_retry_ms)
		return 0;
	k->state = CALL_WAITING;
	k->not_before_ms = now + delay_ms;
	k->paced = 0;
	return 1;
}

static void call__observe_ratelimit(http__call *k)
{
	const char *v = k->resp ? arm_response_header(k->resp, arm_bucket_header(k->bucket))
				: NULL;
	char *end = NULL;
	long n = -1;

	if (!k->has_sub)
		return;
	if (v)
		n = strtol(v, &end, 10);
	if (!v || end == v || n < 0)
		n = -1;
	arm_pacer_observe(k->c->pacer, k->sub, k->bucket, n, cmk_time_mono_ms());
}

/* The server's Retry-After in real milliseconds, or -1. */
static int64_t call__retry_after_ms(const http__call *k)
{
	const char *v = arm_response_header(k->resp, "Retry-After");
	const char *date = arm_response_header(k->resp, "Date");
	time_t now = date ? arm_http_date_parse(date) : -1;
	int64_t ms;

	if (!v || arm_retry_after_parse(&ms, v, now == -1 ? time(NULL) : now) < 0)
		return -1;
	if (ms > k->c->o.max_retry_after_ms)
		ms = k->c->o.max_retry_after_ms;
	return http_scale_ms(k->c, ms);
}

static void call__on_done(http__call *k, CURLcode res)
{
	http_client *c = k->c;
	arm_response *r = k->resp;
	char shown[512];
	long status = 0;
	int64_t delay;
	int error;

	curl_easy_getinfo(k->easy, CURLINFO_RESPONSE_CODE, &status);
	curl_multi_remove_handle(c->multi, k->easy);
	curl_easy_cleanup(k->easy);
	k->easy = NULL;
	c->nrunning--;
	http_url_for_log(shown, sizeof(shown), k->url);

	if (c->o.cancel && *c->o.cancel) {
		arm_response_free(k->resp);
		k->resp = NULL;
		cmk_error_set(CMK_ECANCELED, "%s %s: canceled", k->method, shown);
		call__fail(k, CMK_ECANCELED);
		return;
	}
	if (res != CURLE_OK) {
		cmk_log_ctx(CMK_LOG_DEBUG, k->resource_id, NULL, r->client_request_id,
			    "%s %s: %s", k->method, shown,
			    k->errbuf[0] ? k->errbuf : curl_easy_strerror(res));
		/* no answer: the caller gets no response (a partial one is not one) */
		arm_response_free(k->resp);
		k->resp = r = NULL;
		if (k->has_sub)
			arm_pacer_observe(c->pacer, k->sub, k->bucket, -2, cmk_time_mono_ms());
		if (k->too_large) {
			cmk_error_set(CMK_EINVALID, "%s %s: the response is larger than the limit "
				      "of %zu bytes", k->method, shown, k->max_body);
			call__fail(k, CMK_EINVALID);
			return;
		}
		if (http__transport_retryable(res) && call__may_retry(k) &&
		    call__schedule_retry(k, http_scale_ms(c, arm_backoff_ms(
			    k->attempts - 1, c->o.backoff_base_ms, c->o.backoff_cap_ms, &c->rng))))
			return;
		cmk_error_set(res == CURLE_OPERATION_TIMEDOUT ? CMK_ETIMEOUT : CMK_ERROR,
			      "%s %s: %s (after %u attempt%s)", k->method, shown,
			      k->errbuf[0] ? k->errbuf : curl_easy_strerror(res), k->attempts,
			      k->attempts == 1 ? "" : "s");
		call__fail(k, cmk_error_last_code());
		return;
	}

	r->status = status;
	free(r->request_id);
	r->request_id = NULL;
	if (arm_response_header(r, "x-ms-request-id"))
		r->request_id = strdup(arm_response_header(r, "x-ms-request-id"));
	call__observe_ratelimit(k);
	cmk_log_ctx(CMK_LOG_DEBUG, k->resource_id, NULL, r->request_id, "%s %s -> %ld",
		    k->method, shown, status);

	if (status == 401 && k->token_sent && !k->auth_retried) {
		/* the token may have been revoked or expired early: one fresh try */
		if (c->tokens.invalidate)
			c->tokens.invalidate(c->tokens.ctx, k->aud, k->token_sent);
		k->auth_retried = 1;
		k->state = CALL_WAITING;
		k->not_before_ms = cmk_time_mono_ms();
		return;
	}
	if (status >= 400 && arm_error_classify(status, NULL, NULL) == ARM_ERROR_RETRYABLE) {
		delay = call__retry_after_ms(k);
		if (delay < 0)
			delay = http_scale_ms(c, arm_backoff_ms(k->attempts - 1,
					c->o.backoff_base_ms, c->o.backoff_cap_ms, &c->rng));
		if (status == 429) {
			c->stats.throttled++;
			if (k->has_sub)
				arm_pacer_hold(c->pacer, k->sub, cmk_time_mono_ms() + delay);
		}
		if (call__may_retry(k) && call__schedule_retry(k, delay))
			return;
	}
	/* a redirect is not followed (a token goes only to configured hosts):
	 * it fails the call like an error instead of passing for an answer */
	if (status >= 300) {
		arm_error_source src = {
			.method = k->method, .url = k->url, .resource_id = k->resource_id,
			.http_status = status, .body = r->body.ptr, .body_len = r->body.len,
			.request_id = r->request_id, .client_request_id = r->client_request_id,
			.correlation_id = arm_response_header(r, "x-ms-correlation-request-id"),
		};
		if ((error = arm_error_from_http(&r->error, &src)) < 0) {
			call__fail(k, error);
			return;
		}
		call__fail(k, arm_error_raise(r->error));
		return;
	}
	k->state = CALL_FINISHED;
	k->rc = 0;
}

/* ---- the loop --------------------------------------------------------- */

static void http__cancel_all(http_client *c)
{
	for (http__call *k = c->head; k; k = k->next) {
		if (k->state == CALL_FINISHED)
			continue;
		if (k->easy) {
			curl_multi_remove_handle(c->multi, k->easy);
			curl_easy_cleanup(k->easy);
			k->easy = NULL;
			c->nrunning--;
			/* cut off mid-transfer: no answer to hand over */
			arm_response_free(k->resp);
			k->resp = NULL;
		}
		cmk_error_set(CMK_ECANCELED, "%s %s: canceled", k->method,
			      k->resource_id ? k->resource_id : "request");
		call__fail(k, CMK_ECANCELED);
	}
}

/*
 * One turn of the loop: start due calls (all, or only `only`), wait for I/O
 * or the next due time (at most max_wait_ms), collect finished transfers.
 */
static void http__turn(http_client *c, http__call *only, int64_t max_wait_ms)
{
	int64_t now = cmk_time_mono_ms(), wait = max_wait_ms;
	CURLMsg *msg;
	int running, left;

	if (c->o.cancel && *c->o.cancel) {
		http__cancel_all(c);
		return;
	}
	for (http__call *k = c->head; k; k = k->next) {
		if (k->state != CALL_WAITING || (only && k != only))
			continue;
		if (k->not_before_ms <= now) {
			/* due but every slot busy: a finishing transfer wakes the poll */
			if (c->nrunning >= c->o.max_parallel)
				continue;
			call__try_start(k, now);
			now = cmk_time_mono_ms();
		}
		if (k->state == CALL_WAITING && k->not_before_ms - now < wait)
			wait = k->not_before_ms - now;
	}
	if (wait < 0)
		wait = 0;
	for (http__call *k = c->head; !only && k; k = k->next)
		if (k->state == CALL_FINISHED && !k->nested)
			wait = 0; /* callbacks to run at top level: do not sleep */
	if (only && only->state == CALL_FINISHED)
		wait = 0;
	curl_multi_poll(c->multi, NULL, 0, (int)(wait > 1000 ? 1000 : wait), NULL);
	curl_multi_perform(c->multi, &running);
	while ((msg = curl_multi_info_read(c->multi, &left)) != NULL) {
		http__call *k = NULL;
		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&k);
		if (k)
			call__on_done(k, msg->data.result);
	}
}

/* Run the callbacks of finished calls (top level only). Returns how many. */
static size_t http__dispatch(http_client *c)
{
	size_t n = 0;
	http__call *k = c->head;

	while (k) {
		if (k->state == CALL_FINISHED && !k->nested) {
			arm_response *r = k->resp;
			http__unlink(c, k);
			k->resp = NULL;
			if (k->rc < 0)
				cmk_error_set(k->rc, "%s", k->errmsg ? k->errmsg : "request failed");
			if (k->done)
				k->done(k->ud, r, k->rc);
			else
				arm_response_free(r);
			call__free(k);
			n++;
			/* a callback may have run a blocking call whose loop
			 * dispatched (and freed) other calls: start over */
			k = c->head;
			continue;
		}
		k = k->next;
	}
	return n;
}

int http_submit(http_client *c, const arm_request *req, int64_t delay_ms, arm_done_fn done,
	       void *ud)
{
	http__call *k;
	int error;

	if ((error = call__new(&k, c, req)) < 0)
		return error;
	k->done = done;
	k->ud = ud;
	k->not_before_ms = cmk_time_mono_ms() + (delay_ms > 0 ? delay_ms : 0);
	http__link(c, k);
	return 0;
}

int http_run(http_client *c, int (*until)(void *ud), void *ud)
{
	for (;;) {
		http__dispatch(c);
		if (until && until(ud))
			return 0;
		if (http_pending(c) == 0)
			return 0;
		if (c->o.cancel && *c->o.cancel) {
			http__cancel_all(c);
			http__dispatch(c);
			return cmk_error_set(CMK_ECANCELED, "canceled");
		}
		http__turn(c, NULL, 1000);
	}
}

/* A blocking send that only drives `req` (other transfers progress but no
 * callback runs): what the credential uses to fetch tokens. */
int http_send_nested(arm_response **out, void *ctx, const arm_request *req)
{
	http_client *c = ctx;
	http__call *k;
	int error;

	if (out)
		*out = NULL;
	if ((error = call__new(&k, c, req)) < 0)
		return error;
	k->nested = 1;
	k->not_before_ms = cmk_time_mono_ms();
	http__link(c, k);
	while (k->state != CALL_FINISHED)
		http__turn(c, k, 1000);
	http__unlink(c, k);
	error = k->rc;
	if (error < 0)
		cmk_error_set(error, "%s", k->errmsg ? k->errmsg : "request failed");
	if (out) {
		*out = k->resp;
		k->resp = NULL;
	}
	call__free(k);
	return error;
}

typedef struct {
	arm_response **out;
	int *rc;
	size_t *left;
} send__slot;

static void send__done(void *ud, arm_response *resp, int rc)
{
	send__slot *s = ud;

	if (s->out)
		*s->out = resp;
	else
		arm_response_free(resp);
	*s->rc = rc;
	(*s->left)--;
}

static int send__all_done(void *ud)
{
	return *(size_t *)ud == 0;
}

int http_send_all(arm_response **outs, int *rcs, http_client *c, const arm_request *reqs,
		 size_t n)
{
	send__slot *slots = calloc(n ? n : 1, sizeof(*slots));
	size_t left = 0;
	int error = 0, first = 0;

	if (!slots)
		return cmk_error_oom();
	for (size_t i = 0; i < n; i++) {
		if (outs)
			outs[i] = NULL;
		rcs[i] = 0;
		slots[i] = (send__slot){ outs ? &outs[i] : NULL, &rcs[i], &left };
		if ((error = http_submit(c, &reqs[i], 0, send__done, &slots[i])) < 0) {
			rcs[i] = error;
			continue;
		}
		left++;
	}
	while (left > 0 && (error = http_run(c, send__all_done, &left)) == 0 && left > 0)
		;
	free(slots);
	for (size_t i = 0; i < n; i++)
		if (rcs[i] < 0 && !first)
			first = rcs[i];
	if (first && error == 0)
		error = first;
	return error;
}

/* ---- the client ------------------------------------------------------- */

static void http__defaults(http_opts *o)
{
	if (!o->connect_timeout_ms) o->connect_timeout_ms = 10000;
	if (!o->request_timeout_ms) o->request_timeout_ms = 120000;
	if (!o->max_body) o->max_body = HTTP_DEFAULT_MAX_BODY;
	if (!o->max_attempts) o->max_attempts = 8;
	if (!o->max_retry_ms) o->max_retry_ms = 15 * 60 * 1000;
	if (!o->backoff_base_ms) o->backoff_base_ms = 1000;
	if (!o->backoff_cap_ms) o->backoff_cap_ms = 60000;
	if (!o->max_retry_after_ms) o->max_retry_after_ms = 10 * 60 * 1000;
	if (o->time_scale <= 0) o->time_scale = 1.0;
	if (!o->max_parallel) o->max_parallel = 32;
}

int http_client_new(http_client **out, const http_opts *opts)
{
	http_client *c;
	const char *ca;
	int error;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return cmk_error_set(CMK_ERROR, "libcurl initialisation failed");
	{
		/* transfers run with CURLOPT_NOSIGNAL: a peer that resets the
		 * connection mid-write must cost a retry, not the process */
		struct sigaction sa;
		if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL)
			signal(SIGPIPE, SIG_IGN);
	}
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return cmk_error_oom();
	c->o = *opts;
	http__defaults(&c->o);
	c->rng = c->o.seed ? c->o.seed : (uint64_t)cmk_time_mono_ms() * 2654435761u + 1;
	snprintf(c->user_agent, sizeof(c->user_agent), "cmkctl/%s", CMKCTL_VERSION);
	if (opts->correlation_id && *opts->correlation_id)
		snprintf(c->correlation_id, sizeof(c->correlation_id), "%s", opts->correlation_id);
	else
		http__uuid(c->correlation_id);
	/* what the options point at need not outlive this call */
	c->o.correlation_id = NULL;
	c->o.ca_file = NULL;
	c->o.base_url = NULL;

	ca = opts->ca_file;
	if (!ca || !*ca)
		ca = getenv("SSL_CERT_FILE");
	if (!ca || !*ca)
		ca = getenv("CURL_CA_BUNDLE");
	if ((ca && *ca && (c->ca_file = strdup(ca)) == NULL) ||
	    (opts->base_url && (c->base_url = strdup(opts->base_url)) == NULL) ||
	    (c->multi = curl_multi_init()) == NULL) {
		error = cmk_error_oom();
		goto fail;
	}
	curl_multi_setopt(c->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
	curl_multi_setopt(c->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)c->o.max_parallel);
	if ((error = arm_pacer_new(&c->pacer, &c->o.pacing)) < 0)
		goto fail;
	*out = c;
	return 0;
fail:
	http_client_free(c);
	return error;
}

void http_client_free(http_client *c)
{
	if (!c)
		return;
	while (c->head) {
		http__call *k = c->head;
		http__unlink(c, k);
		call__free(k);
	}
	arm_pacer_free(c->pacer);
	if (c->multi)
		curl_multi_cleanup(c->multi);
	free(c->ca_file);
	free(c->base_url);
	free(c);
}

void http_set_tokens(http_client *c, const http_token_source *tokens)
{
	c->tokens = *tokens;
}

size_t http_pending(const http_client *c)
{
	size_t n = 0;

	for (const http__call *k = c->head; k; k = k->next)
		if (!k->nested)
			n++;
	return n;
}

int64_t http_scale_ms(const http_client *c, int64_t virtual_ms)
{
	if (virtual_ms <= 0)
		return 0;
	return (int64_t)((double)virtual_ms / c->o.time_scale);
}

int http_canceled(const http_client *c)
{
	return c->o.cancel && *c->o.cancel;
}

const char *http_correlation_id(const http_client *c)
{
	return c->correlation_id;
}

void http_client_stats(arm_stats *out, const http_client *c)
{
	*out = c->stats;
	out->token_fetches = c->tokens.fetches ? c->tokens.fetches(c->tokens.ctx) : 0;
}
