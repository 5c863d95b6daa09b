/*
 * retry.c - Retry-After, backoff, polling intervals and the rate-limit pacing
 * gate (see retry.h).
 */
#include "providers/retry.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "common/vec.h"

time_t arm_http_date_parse(const char *value)
{
	time_t t;

	if (!value || !*value)
		return -1;
	/* curl_getdate understands RFC 1123, RFC 850 and asctime forms */
	t = curl_getdate(value, NULL);
	return t;
}

int arm_retry_after_parse(int64_t *out_ms, const char *value, time_t date_now)
{
	const char *p = value;
	char *end;
	double secs;
	time_t when;

	if (!value)
		return cmk_error_set(CMK_EINVALID, "no Retry-After value");
	while (isspace((unsigned char)*p))
		p++;
	if (*p == '-' || *p == '+' || isdigit((unsigned char)*p) || *p == '.') {
		errno = 0;
		secs = strtod(p, &end);
		while (isspace((unsigned char)*end))
			end++;
		if (end != p && *end == '\0' && errno == 0 && isfinite(secs)) {
			if (secs < 0)
				secs = 0;
			/* a day is already absurd; cap before converting */
			if (secs > 86400.0 * 365)
				secs = 86400.0 * 365;
			*out_ms = (int64_t)(secs * 1000.0);
			return 0;
		}
	}
	if ((when = arm_http_date_parse(p)) == -1)
		return cmk_error_set(CMK_EINVALID, "Retry-After '%.64s' is neither seconds nor "
				     "an HTTP date", value);
	/* the same one-year cap as for seconds; difftime cannot overflow */
	secs = when > date_now ? difftime(when, date_now) : 0;
	if (secs > 86400.0 * 365)
		secs = 86400.0 * 365;
	*out_ms = (int64_t)secs * 1000;
	return 0;
}

uint64_t arm_rand_next(uint64_t *state)
{
	uint64_t x = *state ? *state : 0x9E3779B97F4A7C15ull;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545F4914F6CDD1Dull;
}

int64_t arm_backoff_ms(unsigned attempt, int64_t base_ms, int64_t cap_ms, uint64_t *rng)
{
	int64_t ceiling = base_ms;

	for (unsigned i = 0; i < attempt && ceiling < cap_ms; i++)
		ceiling *= 2;
	if (ceiling > cap_ms)
		ceiling = cap_ms;
	if (ceiling <= 0)
		return 0;
	return (int64_t)(arm_rand_next(rng) % (uint64_t)(ceiling + 1));
}

int64_t arm_poll_delay_ms(int64_t retry_after_ms, int64_t default_ms, int64_t min_ms,
			  int64_t max_ms)
{
	int64_t d = retry_after_ms >= 0 ? retry_after_ms : default_ms;

	if (d < min_ms)
		d = min_ms;
	if (d > max_ms)
		d = max_ms;
	return d;
}

arm_bucket arm_bucket_for_method(const char *method)
{
	if (strcasecmp(method, "GET") == 0 || strcasecmp(method, "HEAD") == 0)
		return ARM_BUCKET_READS;
	if (strcasecmp(method, "DELETE") == 0)
		return ARM_BUCKET_DELETES;
	return ARM_BUCKET_WRITES;
}

const char *arm_bucket_header(arm_bucket bucket)
{
	static const char *const names[ARM_BUCKET_COUNT] = {
		"x-ms-ratelimit-remaining-subscription-reads",
		"x-ms-ratelimit-remaining-subscription-writes",
		"x-ms-ratelimit-remaining-subscription-deletes",
	};
	return names[bucket];
}

int arm_subscription_of(char *out, size_t outlen, const char *url)
{
	static const char key[] = "/subscriptions/";
	const char *p = url;
	size_t n;

	while (p && (p = strcasestr(p, key)) != NULL) {
		p += sizeof(key) - 1;
		n = strcspn(p, "/?#");
		if (n > 0 && n < outlen) {
			memcpy(out, p, n);
			out[n] = '\0';
			return 0;
		}
	}
	return CMK_ENOTFOUND;
}

typedef struct {
	long remaining;         /* last reported, -1 never seen */
	int absent;             /* a response came without the header: no gate */
	int64_t observed_ms;
	long started_since;     /* requests that may not be in `remaining` yet */
	long inflight;          /* started and not yet answered */
	int64_t last_start_ms;
} pacer__bucket;

typedef struct {
	char id[64];
	int64_t hold_until_ms;
	pacer__bucket b[ARM_BUCKET_COUNT];
} pacer__sub;

struct arm_pacer {
	arm_pacer_opts opts;
	pacer__sub *subs;
	size_t nsubs, cap;
};

int arm_pacer_new(arm_pacer **out, const arm_pacer_opts *opts)
{
	static const double defaults[ARM_BUCKET_COUNT] = { 25.0, 10.0, 10.0 };
	arm_pacer *p = calloc(1, sizeof(*p));

	if (!p)
		return cmk_error_oom();
	if (opts)
		p->opts = *opts;
	for (int i = 0; i < ARM_BUCKET_COUNT; i++)
		if (p->opts.refill_per_s[i] <= 0)
			p->opts.refill_per_s[i] = defaults[i];
	if (p->opts.reserve <= 0)
		p->opts.reserve = 10;
	*out = p;
	return 0;
}

void arm_pacer_free(arm_pacer *p)
{
	if (!p)
		return;
	free(p->subs);
	free(p);
}

static pacer__sub *pacer__find(const arm_pacer *p, const char *id)
{
	for (size_t i = 0; i < p->nsubs; i++)
		if (strcasecmp(p->subs[i].id, id) == 0)
			return &p->subs[i];
	return NULL;
}

static pacer__sub *pacer__get(arm_pacer *p, const char *id)
{
	pacer__sub *s = pacer__find(p, id);

	if (s || strlen(id) >= sizeof(s->id))
		return s;
	/* pacing is advisory: without memory, no pacing */
	if ((s = CMK_VEC_PUSH(p->subs, p->nsubs, p->cap)) == NULL)
		return NULL;
	strcpy(s->id, id);
	for (int i = 0; i < ARM_BUCKET_COUNT; i++)
		s->b[i].remaining = -1;
	return s;
}

void arm_pacer_observe(arm_pacer *p, const char *subscription, arm_bucket bucket,
		       long remaining, int64_t now_ms)
{
	pacer__bucket *b;
	pacer__sub *s;

	if (!subscription || (s = pacer__get(p, subscription)) == NULL)
		return;
	b = &s->b[bucket];
	if (b->inflight > 0)
		b->inflight--;
	if (remaining == -2)
		return; /* no answer: nothing learned */
	if (remaining < 0) {
		b->absent = b->remaining < 0;
		return;
	}
	b->absent = 0;
	b->remaining = remaining;
	b->observed_ms = now_ms;
	/* requests still in flight may be charged after this count was taken:
	 * assume they all will be */
	b->started_since = b->inflight;
}

void arm_pacer_hold(arm_pacer *p, const char *subscription, int64_t until_ms)
{
	pacer__sub *s;

	if (!subscription || (s = pacer__get(p, subscription)) == NULL)
		return;
	if (until_ms > s->hold_until_ms)
		s->hold_until_ms = until_ms;
}

int64_t arm_pacer_next_start(const arm_pacer *p, const char *subscription,
			     arm_bucket bucket, int64_t now_ms, arm_pace_reason *why)
{
	const pacer__sub *s;
	const pacer__bucket *b;
	double rate = p->opts.refill_per_s[bucket], estimate;
	arm_pace_reason dummy;
	int64_t spaced;

	if (!why)
		why = &dummy;
	*why = ARM_PACE_GO;
	if (!subscription || (s = pacer__find(p, subscription)) == NULL)
		return now_ms;
	if (s->hold_until_ms > now_ms) {
		*why = ARM_PACE_HOLD;
		return s->hold_until_ms;
	}
	b = &s->b[bucket];
	if (b->absent)
		return now_ms;
	if (b->remaining < 0) {
		/* nothing known yet: one request finds out the bucket's size
		 * before a burst could empty it (re-checked every 20 ms) */
		if (b->inflight == 0)
			return now_ms;
		*why = ARM_PACE_PROBE;
		return now_ms + 20;
	}
	/* what ARM would report now: the last count, minus what we sent since,
	 * plus what the bucket refilled meanwhile */
	estimate = (double)b->remaining - (double)b->started_since +
		   rate * (double)(now_ms - b->observed_ms) / 1000.0;
	if (estimate > (double)p->opts.reserve)
		return now_ms;
	spaced = b->last_start_ms + (int64_t)(1000.0 / rate);
	if (spaced <= now_ms)
		return now_ms;
	*why = ARM_PACE_LOW;
	return spaced;
}

void arm_pacer_started(arm_pacer *p, const char *subscription, arm_bucket bucket,
		       int64_t now_ms)
{
	pacer__sub *s;

	if (!subscription || (s = pacer__get(p, subscription)) == NULL)
		return;
	s->b[bucket].started_since++;
	s->b[bucket].inflight++;
	s->b[bucket].last_start_ms = now_ms;
}
