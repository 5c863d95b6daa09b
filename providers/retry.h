/*
 * retry.h - the pure timing logic of Azure calls: Retry-After parsing, backoff
 * with full jitter, polling intervals with sane bounds, and the pacing gate
 * that reads x-ms-ratelimit-remaining-subscription-* and slows requests down
 * before ARM's token bucket is empty.
 *
 * No I/O here: times are milliseconds on a monotonic clock passed in by the
 * caller, so every rule is unit-tested without waiting.
 */
#ifndef CMK_PROVIDERS_RETRY_H
#define CMK_PROVIDERS_RETRY_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "common/error.h"

/* Parse a Retry-After value: delta seconds ("20", also "1.5") or an HTTP date
 * (RFC 1123 "Thu, 03 Nov 2022 07:31:31 GMT", RFC 850, asctime). A date is
 * turned into a delay relative to `date_now` (the response's Date header when
 * present, else the local clock: that cancels clock skew). A negative delay
 * or a date in the past yields 0, anything beyond a year a year. *out_ms is
 * the delay in milliseconds.
 * CMK_EINVALID when the value is neither. */
int arm_retry_after_parse(int64_t *out_ms, const char *value, time_t date_now) CMK_WUR;

/* Parse an HTTP date (any of the three forms) to epoch seconds; -1 if not. */
time_t arm_http_date_parse(const char *value);

/* A small deterministic PRNG (xorshift64*) so jitter is reproducible under a
 * seed in tests. *state must be non-zero (0 is replaced by a constant). */
uint64_t arm_rand_next(uint64_t *state);

/* Full-jitter exponential backoff: uniform in [0, min(cap, base * 2^attempt)]
 * where attempt counts from 0. */
int64_t arm_backoff_ms(unsigned attempt, int64_t base_ms, int64_t cap_ms, uint64_t *rng);

/* The delay before the next poll of a long-running operation: the server's
 * Retry-After (retry_after_ms >= 0) clamped to [min_ms, max_ms], else
 * default_ms. Clamping keeps a server from making us busy-poll (0) or sleep
 * a day (86400). */
int64_t arm_poll_delay_ms(int64_t retry_after_ms, int64_t default_ms, int64_t min_ms,
			  int64_t max_ms);

/* ARM's rate-limit buckets. */
typedef enum {
	ARM_BUCKET_READS = 0,
	ARM_BUCKET_WRITES,
	ARM_BUCKET_DELETES,
	ARM_BUCKET_COUNT
} arm_bucket;

/* The bucket a method draws from (GET/HEAD reads, DELETE deletes, the rest
 * writes). */
arm_bucket arm_bucket_for_method(const char *method);

/* The response header that reports a bucket's remaining requests. */
const char *arm_bucket_header(arm_bucket bucket);

/* Copy the subscription id of an ARM URL or path ("/subscriptions/{id}/...",
 * any case) into out; returns 0, or CMK_ENOTFOUND when there is none. */
int arm_subscription_of(char *out, size_t outlen, const char *url_or_path);

/*
 * The pacing gate, shared by every transfer of one client. Per subscription
 * and bucket it remembers the last remaining count ARM reported and how many
 * requests started since; when the estimate falls to the reserve it spaces
 * requests at the bucket's refill rate instead of running into 429s, and after
 * a 429 it holds every request of that subscription until Retry-After passes.
 */
typedef struct arm_pacer arm_pacer;

typedef struct {
	/* requests per second each bucket refills with when nearly empty
	 * (ARM today: reads 25/s, writes and deletes 10/s) */
	double refill_per_s[ARM_BUCKET_COUNT];
	/* start spacing requests when the estimated remaining count is at or
	 * below this (0 = default 10) */
	long reserve;
} arm_pacer_opts;

int arm_pacer_new(arm_pacer **out, const arm_pacer_opts *opts) CMK_WUR;
void arm_pacer_free(arm_pacer *p);

/* Record that a request of (subscription, bucket) was answered, with the
 * remaining count ARM reported, -1 when the response had no such header, or
 * -2 when no response arrived. Until a first count is known only one request per
 * bucket is let through, so a burst cannot empty an unknown bucket. */
void arm_pacer_observe(arm_pacer *p, const char *subscription, arm_bucket bucket,
		       long remaining, int64_t now_ms);

/* Record a 429: hold every bucket of the subscription until `until_ms`. */
void arm_pacer_hold(arm_pacer *p, const char *subscription, int64_t until_ms);

/* Why the gate holds a request back. */
typedef enum {
	ARM_PACE_GO = 0,  /* not held */
	ARM_PACE_PROBE,   /* the bucket's size is not known yet: one request at a time */
	ARM_PACE_LOW,     /* the bucket is nearly empty: spaced at its refill rate */
	ARM_PACE_HOLD,    /* a 429 asked the whole subscription to wait */
} arm_pace_reason;

/* The earliest time a request of (subscription, bucket) may start (<= now_ms
 * means now). `subscription` may be NULL (no gate: returns now_ms). *why
 * (may be NULL) gets the reason. */
int64_t arm_pacer_next_start(const arm_pacer *p, const char *subscription,
			     arm_bucket bucket, int64_t now_ms, arm_pace_reason *why);

/* Record that a request of (subscription, bucket) started at now_ms. */
void arm_pacer_started(arm_pacer *p, const char *subscription, arm_bucket bucket,
		       int64_t now_ms);

#endif
