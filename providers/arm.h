/*
 * arm.h - the client every Azure call of cmkctl goes through: the one-loop
 * transport of http.h (which also defines arm_request and arm_response)
 * with a credential (auth.h) and the bearer-token host policy in front.
 *
 * One client owns one libcurl multi handle: every transfer - ARM, Key Vault
 * data plane, token requests - runs in that one loop, so a blocking call is
 * the same loop with one transfer and many calls (and many long-running
 * operations, see lro.h) proceed concurrently without threads.
 *
 * What every request gets, without the caller asking:
 *  - HTTPS with verification always on (CA from the options, SSL_CERT_FILE or
 *    CURL_CA_BUNDLE), keep-alive, HTTP/2 when the server offers it, connect and
 *    total timeouts, a capped response body, no redirects followed;
 *  - `User-Agent: cmkctl/<version>`, a fresh `x-ms-client-request-id` (UUID),
 *    the client's `x-ms-correlation-request-id`;
 *  - a bearer token for its audience from the client's credential (see
 *    auth.h), refreshed before expiry and once more on a 401; a token is only
 *    sent over https (or http to loopback) and only to the cloud's ARM host
 *    or a Key Vault host under the cloud's DNS suffix: a polling URL that
 *    points elsewhere is refused with an error naming the host;
 *  - retries of 429, 408, 5xx and connection failures for GET, PUT, PATCH,
 *    DELETE (POST only when marked safe), after Retry-After when given
 *    (seconds or HTTP date) or exponential backoff with full jitter, bounded
 *    in attempts and total time;
 *  - pacing: x-ms-ratelimit-remaining-subscription-{reads,writes,deletes} are
 *    read and requests of a subscription are spaced before its bucket runs
 *    dry; a 429 holds every request of that subscription (retry.h).
 *
 * Errors: a response with status >= 400 (after retries) or a redirect (3xx,
 * never followed) fails the call with the CMK_E* code of its status and the
 * one-line rendering of its arm_error as the thread's last error; the
 * structured error stays in resp->error.
 *
 * Threads: a client is used from one thread at a time.
 */
#ifndef CMK_PROVIDERS_ARM_H
#define CMK_PROVIDERS_ARM_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "common/buf.h"
#include "common/error.h"
#include "providers/arm_error.h"
#include "providers/cloud.h"
#include "providers/http.h"
#include "providers/retry.h"

typedef struct arm_client arm_client;

typedef struct {
	const arm_cloud *cloud;        /* required; borrowed, must outlive the client */
	const char *credential;        /* credential kind (auth.h); NULL: CMKCTL_CREDENTIAL,
					* then "default" */
	const char *ca_file;           /* --ca-file; NULL: SSL_CERT_FILE, CURL_CA_BUNDLE,
					* then libcurl's default */
	long connect_timeout_ms;       /* 0: 10 s */
	long request_timeout_ms;       /* per attempt; 0: 120 s */
	size_t max_body;               /* response cap; 0: 32 MiB */
	unsigned max_attempts;         /* per request incl. the first; 0: 8 */
	long max_retry_ms;             /* total time one request may spend retrying; 0: 15 min */
	long backoff_base_ms;          /* 0: 1 s */
	long backoff_cap_ms;           /* 0: 60 s */
	long max_retry_after_ms;       /* Retry-After above this is clamped; 0: 10 min */
	double time_scale;             /* virtual seconds per real second for every wait
					* (Retry-After, backoff, polls, LRO timeouts); 0: 1.
					* Tests set armsim's scale; users never do. */
	unsigned max_parallel;         /* transfers in flight at once; 0: 32 */
	uint64_t seed;                 /* jitter seed; 0: from the clock */
	volatile sig_atomic_t *cancel; /* when *cancel != 0 every call ends with
					* CMK_ECANCELED (set it from a SIGINT handler) */
	arm_pacer_opts pacing;
	const char *correlation_id;    /* x-ms-correlation-request-id on every request, so
					* ARM support can find one apply's calls; NULL:
					* a fresh UUID per client */
} arm_client_opts;

/* Create a client. Resolves the credential kind (without fetching a token).
 * Fails with CMK_EINVALID for an unknown credential kind or bad options. */
int arm_client_new(arm_client **out, const arm_client_opts *opts) CMK_WUR;
void arm_client_free(arm_client *c);

const arm_cloud *arm_client_cloud(const arm_client *c);

/* The credential kind in use ("client-secret", ...; for "default" the kind
 * that produced the first token, "default" before that). */
const char *arm_client_credential(const arm_client *c);

/*
 * Send one request and wait for its answer (running every other transfer of
 * the client meanwhile). Returns 0 when the final status is < 300. Otherwise
 * a negative CMK_E* code with the last error set: CMK_ENOTFOUND (404),
 * CMK_ECONFLICT (409/412), CMK_EAUTH (401/403, or a token that could not be
 * obtained or may not be sent to that URL), CMK_EINVALID (400), CMK_ETHROTTLED
 * (429 after retries), CMK_ETIMEOUT, CMK_ECANCELED, CMK_ERROR.
 * *out (may be NULL) gets the response whenever the server answered - also on
 * an error status - and NULL otherwise; the caller frees it.
 */
int arm_send(arm_response **out, arm_client *c, const arm_request *req) CMK_WUR;

/*
 * Send n requests concurrently and wait for all. outs[i] and rcs[i] get what
 * arm_send would have returned for reqs[i] (outs may be NULL). Returns 0 when
 * all succeeded, else the code of the first failure (its message is the last
 * error).
 */
int arm_send_all(arm_response **outs, int *rcs, arm_client *c, const arm_request *reqs,
		 size_t n) CMK_WUR;

/* GET an ARM path (or URL) at api_version and parse the JSON body.
 * *out owned by the caller (cJSON_Delete). On an HTTP error *err_out (may be
 * NULL) gets the structured error, owned by the caller (arm_error_free). */
int arm_get_json(cJSON **out, arm_client *c, const char *path, const char *api_version,
		 arm_error **err_out) CMK_WUR;

/* Paged lists (nextLink): providers/paging.h. */

/*
 * The asynchronous form, for callers that drive many calls at once (the LRO
 * poller is one). `done` runs from inside arm_run/arm_send (never nested in
 * another callback) with the response (ownership passes to `done`; NULL when
 * the server never answered) and the code arm_send would have returned.
 * `delay_ms` (>= 0, real milliseconds) postpones the first attempt. The
 * request is copied; nothing in it need outlive the call.
 */
int arm_submit(arm_client *c, const arm_request *req, int64_t delay_ms, arm_done_fn done,
	       void *ud) CMK_WUR;

/* Drive the loop until until(ud) returns non-zero (checked after every batch
 * of completions; until may be NULL) or no call is pending. Returns 0, or
 * CMK_ECANCELED when the cancel flag was raised. */
int arm_run(arm_client *c, int (*until)(void *ud), void *ud) CMK_WUR;

/* The x-ms-correlation-request-id this client sends (for reports). */
const char *arm_client_correlation_id(const arm_client *c);

/* Whether the client's cancel flag is raised. */
int arm_client_canceled(const arm_client *c);

/* Number of calls not yet completed (waiting, in flight, or done but not yet
 * handed to their callback). */
size_t arm_pending(const arm_client *c);

/* Milliseconds on the client's monotonic clock (what delays are relative to). */
int64_t arm_now_ms(void);

/* Convert a virtual duration to real milliseconds under the client's
 * time_scale (identity in production). */
int64_t arm_client_scale_ms(const arm_client *c, int64_t virtual_ms);

/* Discover a cloud from `{arm_endpoint}/metadata/endpoints?api-version=
 * 2015-01-01` (unauthenticated; TLS verified with ca_file or the usual
 * variables). *out owned by the caller (arm_cloud_free). */
int arm_cloud_discover(arm_cloud **out, const char *arm_endpoint, const char *ca_file) CMK_WUR;

void arm_client_stats(arm_stats *out, const arm_client *c);

#endif
