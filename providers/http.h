/*
 * http.h - the one-loop HTTPS transport every Azure call runs in (libcurl
 * multi), and the request and response types of providers/.
 *
 * One http_client owns one CURLM multi handle: every transfer - ARM, Key
 * Vault data plane, token requests - runs in that loop, so a blocking call is
 * the same loop with one transfer and many calls proceed concurrently without
 * threads. Each call is a small state machine (waiting -> running ->
 * finished -> dispatched; see http.c) that applies what arm.h promises every
 * request: TLS verification, timeouts, a capped body, no redirects, the
 * client-request and correlation ids, retries with Retry-After or backoff,
 * and pacing by the ARM rate-limit headers (retry.h).
 *
 * What the transport does not know is whose token goes where: a request with
 * an audience asks the client's http_token_source (arm.c: the credential
 * and the bearer-token host policy) before each attempt, and tells it when a
 * 401 answered a token. The names of the shared types keep their arm_
 * prefix: every adapter and the LRO poller speak them.
 *
 * Threads: a client is used from one thread at a time.
 */
#ifndef CMK_PROVIDERS_HTTP_H
#define CMK_PROVIDERS_HTTP_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "common/buf.h"
#include "common/error.h"
#include "providers/arm_error.h"
#include "providers/retry.h"

/* Whose token a request carries. */
typedef enum {
	ARM_AUD_ARM = 0,   /* the cloud's ARM audience (the default) */
	ARM_AUD_KEYVAULT,  /* the Key Vault data plane */
	ARM_AUD_NONE,      /* no Authorization header (token endpoints, metadata) */
} arm_audience;

typedef struct {
	const char *method;         /* "GET", "PUT", "PATCH", "DELETE", "POST", "HEAD" */
	const char *url;            /* absolute URL, or a path starting with '/' that is
				     * joined to the cloud's ARM endpoint. Raw spaces are
				     * sent as %20; the URL is never truncated. */
	const char *api_version;    /* appended as api-version=... unless NULL or the URL
				     * already carries one (polling URLs do) */
	const char *body;           /* request body or NULL */
	size_t body_len;            /* 0: strlen(body) */
	const char *content_type;   /* NULL: application/json when there is a body */
	arm_audience audience;
	const char *resource_id;    /* named in error messages; NULL: the URL path */
	int retry_post;             /* POST is retried only when set (idempotent action) */
	const char *const *headers; /* extra "Name: value" lines, NULL-terminated, or NULL */
	long connect_timeout_ms;    /* 0: the client's */
	unsigned max_attempts;      /* 0: the client's */
	size_t max_body;            /* response cap; 0: the client's */
} arm_request;

typedef struct {
	char *name;
	char *value;
} arm_header;

typedef struct arm_response {
	long status;               /* HTTP status of the final attempt */
	cmk_buf body;
	arm_header *headers;       /* of the final attempt, in order */
	size_t nheaders;
	char *request_id;          /* x-ms-request-id (or NULL) */
	char *client_request_id;   /* the x-ms-client-request-id sent (final attempt) */
	unsigned attempts;         /* transfers made for this request */
	arm_error *error;          /* set when status >= 300; owned by the response */
} arm_response;

/* A finished call: the response (ownership passes to the callback; NULL
 * when the server never answered) and the code arm_send would return. */
typedef void (*arm_done_fn)(void *ud, arm_response *resp, int rc);

/* A response header (case-insensitive name), or NULL. */
const char *arm_response_header(const arm_response *r, const char *name);

/* Parse the body as JSON; CMK_EINVALID naming the request when it is not. */
int arm_response_json(cJSON **out, const arm_response *r) CMK_WUR;

void arm_response_free(arm_response *r);

typedef struct http_client http_client;

/* Where the bearer tokens come from, and which hosts may get them. */
typedef struct {
	/* A token of `aud` for `url`: 0 with *token (valid until the next call),
	 * or a negative code with the message set (nothing is sent). It may
	 * fetch a token through http_send_nested. */
	int (*get)(void *ctx, const char *url, arm_audience aud, const char **token);
	/* A 401 answered a request that carried `token`: forget it. */
	void (*invalidate)(void *ctx, arm_audience aud, const char *token);
	/* Tokens fetched so far (for arm_stats). */
	unsigned long (*fetches)(void *ctx);
	void *ctx;
} http_token_source;

/* The transport's settings: arm_client_opts's meaning, defaults applied by
 * http_client_new for zeros. */
typedef struct {
	const char *base_url;          /* joined to request paths that start with '/' */
	const char *ca_file;           /* NULL: SSL_CERT_FILE, CURL_CA_BUNDLE, libcurl's */
	long connect_timeout_ms;       /* 0: 10 s */
	long request_timeout_ms;       /* per attempt; 0: 120 s */
	size_t max_body;               /* 0: 32 MiB */
	unsigned max_attempts;         /* 0: 8 */
	long max_retry_ms;             /* 0: 15 min */
	long backoff_base_ms;          /* 0: 1 s */
	long backoff_cap_ms;           /* 0: 60 s */
	long max_retry_after_ms;       /* 0: 10 min */
	double time_scale;             /* 0: 1 */
	unsigned max_parallel;         /* 0: 32 */
	uint64_t seed;                 /* 0: from the clock */
	volatile sig_atomic_t *cancel;
	arm_pacer_opts pacing;
	const char *correlation_id;    /* NULL: a fresh UUID */
} http_opts;

/* Create the transport (libcurl initialised, SIGPIPE ignored when it was
 * the default). The token source may be set later (http_set_tokens). */
int http_client_new(http_client **out, const http_opts *opts) CMK_WUR;
void http_client_free(http_client *h);
void http_set_tokens(http_client *h, const http_token_source *tokens);

/* arm_submit, arm_run, arm_send_all, arm_pending (arm.h) for a transport. */
int http_submit(http_client *h, const arm_request *req, int64_t delay_ms, arm_done_fn done,
		void *ud) CMK_WUR;
int http_run(http_client *h, int (*until)(void *ud), void *ud) CMK_WUR;
int http_send_all(arm_response **outs, int *rcs, http_client *h, const arm_request *reqs,
		  size_t n) CMK_WUR;
size_t http_pending(const http_client *h);

/* A blocking send that drives only `req` (other transfers progress, no
 * callback runs): how a credential fetches a token from inside the loop.
 * Same contract as arm_send; `ctx` is the http_client. */
int http_send_nested(arm_response **out, void *ctx, const arm_request *req) CMK_WUR;

/* A virtual duration in real milliseconds under the client's time_scale. */
int64_t http_scale_ms(const http_client *h, int64_t virtual_ms);
int http_canceled(const http_client *h);
const char *http_correlation_id(const http_client *h);

/* Counters since the client was created (tests and benchmarks). */
typedef struct {
	unsigned long requests;      /* transfers started, retries included */
	unsigned long retries;       /* transfers that were retries */
	unsigned long throttled;     /* 429 answers */
	unsigned long paced;         /* requests the pacing gate held back for a low
				      * bucket or a 429 (not the first probe) */
	unsigned long token_fetches; /* tokens obtained from the credential */
} arm_stats;
void http_client_stats(arm_stats *out, const http_client *h);

/* The URL without query and fragment (signed polling URLs carry their
 * signature there), truncated to fit `out`: for logs and messages. */
void http_url_for_log(char *out, size_t outlen, const char *url);

#endif
