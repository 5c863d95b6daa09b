/*
 * test_provider_retry.c - Retry-After, backoff bounds, poll clamping and the
 * rate-limit pacing gate (providers/retry.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "providers/retry.h"

static void test_retry_after__seconds_fractions_and_negatives(void **state)
{
	int64_t ms = -1;

	assert_int_equal(arm_retry_after_parse(&ms, "20", 0), 0);
	assert_int_equal(ms, 20000);
	assert_int_equal(arm_retry_after_parse(&ms, " 1.5 ", 0), 0);
	assert_int_equal(ms, 1500);
	assert_int_equal(arm_retry_after_parse(&ms, "-5", 0), 0);
	assert_int_equal(ms, 0);
	assert_int_equal(arm_retry_after_parse(&ms, "soon", 0), CMK_EINVALID);
	assert_int_equal(arm_retry_after_parse(&ms, "20s", 0), CMK_EINVALID);
	assert_int_equal(arm_retry_after_parse(&ms, "", 0), CMK_EINVALID);
}

static void test_retry_after__http_dates_relative_to_the_date_header(void **state)
{
	time_t date = arm_http_date_parse("Thu, 03 Nov 2022 07:31:31 GMT");
	int64_t ms = -1;

	assert_true(date > 0);
	assert_int_equal(arm_retry_after_parse(&ms, "Thu, 03 Nov 2022 07:32:01 GMT", date), 0);
	assert_int_equal(ms, 30000);
	/* RFC 850 form */
	assert_int_equal(arm_retry_after_parse(&ms, "Thursday, 03-Nov-22 07:31:41 GMT", date), 0);
	assert_int_equal(ms, 10000);
	/* in the past: now */
	assert_int_equal(arm_retry_after_parse(&ms, "Thu, 03 Nov 2022 07:00:00 GMT", date), 0);
	assert_int_equal(ms, 0);
}

static void test_backoff__full_jitter_stays_within_the_exponential_ceiling(void **state)
{
	uint64_t rng = 42;
	int64_t seen_low = 0, seen_high = 0;

	for (unsigned attempt = 0; attempt < 12; attempt++) {
		int64_t ceiling = 1000LL << attempt;
		if (ceiling > 30000)
			ceiling = 30000;
		for (int i = 0; i < 200; i++) {
			int64_t d = arm_backoff_ms(attempt, 1000, 30000, &rng);
			assert_true(d >= 0 && d <= ceiling);
			if (d < ceiling / 4)
				seen_low++;
			if (d > ceiling * 3 / 4)
				seen_high++;
		}
	}
	/* jitter spreads over the whole range */
	assert_true(seen_low > 100 && seen_high > 100);
}

static void test_backoff__same_seed_same_delays(void **state)
{
	uint64_t a = 7, b = 7;

	for (int i = 0; i < 50; i++)
		assert_int_equal(arm_backoff_ms((unsigned)i % 6, 500, 60000, &a),
				 arm_backoff_ms((unsigned)i % 6, 500, 60000, &b));
}

static void test_poll_delay__clamps_absurd_values(void **state)
{
	assert_int_equal(arm_poll_delay_ms(-1, 30000, 1000, 600000), 30000);
	assert_int_equal(arm_poll_delay_ms(0, 30000, 1000, 600000), 1000);
	assert_int_equal(arm_poll_delay_ms(20000, 30000, 1000, 600000), 20000);
	assert_int_equal(arm_poll_delay_ms(86400000, 30000, 1000, 600000), 600000);
}

static void test_subscription_of__paths_urls_and_casing(void **state)
{
	char sub[64];

	assert_int_equal(arm_subscription_of(sub, sizeof(sub),
		"/subscriptions/0000-1111/resourceGroups/rg/providers/X/y/z"), 0);
	assert_string_equal(sub, "0000-1111");
	assert_int_equal(arm_subscription_of(sub, sizeof(sub),
		"https://h:1/SUBSCRIPTIONS/abc?api-version=1"), 0);
	assert_string_equal(sub, "abc");
	assert_int_equal(arm_subscription_of(sub, sizeof(sub), "/providers/Microsoft.X"),
			 CMK_ENOTFOUND);
	assert_int_equal(arm_bucket_for_method("GET"), ARM_BUCKET_READS);
	assert_int_equal(arm_bucket_for_method("delete"), ARM_BUCKET_DELETES);
	assert_int_equal(arm_bucket_for_method("PATCH"), ARM_BUCKET_WRITES);
	assert_string_equal(arm_bucket_header(ARM_BUCKET_WRITES),
			    "x-ms-ratelimit-remaining-subscription-writes");
}

static void test_pacer__spaces_requests_when_the_bucket_runs_low(void **state)
{
	arm_pacer *p = NULL;
	arm_pace_reason why;
	arm_pacer_opts o = { .refill_per_s = { 25, 10, 10 }, .reserve = 10 };

	assert_int_equal(arm_pacer_new(&p, &o), 0);
	/* nothing known: no gate */
	assert_int_equal(arm_pacer_next_start(p, "s1", ARM_BUCKET_WRITES, 1000, NULL), 1000);
	/* plenty left */
	arm_pacer_observe(p, "s1", ARM_BUCKET_WRITES, 150, 1000);
	assert_int_equal(arm_pacer_next_start(p, "s1", ARM_BUCKET_WRITES, 1000, NULL), 1000);
	/* nearly empty: one request per 100 ms (10/s) after the last start */
	arm_pacer_observe(p, "s1", ARM_BUCKET_WRITES, 5, 2000);
	arm_pacer_started(p, "s1", ARM_BUCKET_WRITES, 2000);
	assert_int_equal(arm_pacer_next_start(p, "s1", ARM_BUCKET_WRITES, 2010, &why), 2100);
	assert_int_equal(why, ARM_PACE_LOW);
	/* reads and other subscriptions are not affected */
	assert_int_equal(arm_pacer_next_start(p, "s1", ARM_BUCKET_READS, 2010, NULL), 2010);
	assert_int_equal(arm_pacer_next_start(p, "s2", ARM_BUCKET_WRITES, 2010, NULL), 2010);
	/* after 2 s the bucket has refilled (5 - 1 + 20 > 10): no spacing */
	assert_int_equal(arm_pacer_next_start(p, "s1", ARM_BUCKET_WRITES, 4000, NULL), 4000);
	arm_pacer_free(p);
}

static void test_pacer__requests_started_since_the_observation_count(void **state)
{
	arm_pacer *p = NULL;

	assert_int_equal(arm_pacer_new(&p, NULL), 0);
	arm_pacer_observe(p, "s1", ARM_BUCKET_READS, 20, 0);
	for (int i = 0; i < 9; i++)
		arm_pacer_started(p, "s1", ARM_BUCKET_READS, 0);
	assert_int_equal(arm_pacer_next_start(p, "s1", ARM_BUCKET_READS, 0, NULL), 0); /* 11 left */
	arm_pacer_started(p, "s1", ARM_BUCKET_READS, 0);
	assert_int_equal(arm_pacer_next_start(p, "s1", ARM_BUCKET_READS, 0, NULL), 40); /* 25/s */
	arm_pacer_free(p);
}

static void test_pacer__a_429_holds_the_whole_subscription(void **state)
{
	arm_pacer *p = NULL;
	arm_pace_reason why;

	assert_int_equal(arm_pacer_new(&p, NULL), 0);
	arm_pacer_hold(p, "s1", 5000);
	assert_int_equal(arm_pacer_next_start(p, "s1", ARM_BUCKET_READS, 1000, &why), 5000);
	assert_int_equal(why, ARM_PACE_HOLD);
	assert_int_equal(arm_pacer_next_start(p, "S1", ARM_BUCKET_DELETES, 1000, NULL), 5000);
	assert_int_equal(arm_pacer_next_start(p, "s1", ARM_BUCKET_READS, 5001, NULL), 5001);
	assert_int_equal(arm_pacer_next_start(p, NULL, ARM_BUCKET_READS, 1000, NULL), 1000);
	arm_pacer_free(p);
}

static void test_pacer__an_unknown_bucket_is_probed_by_one_request(void **state)
{
	arm_pacer *p = NULL;
	arm_pace_reason why;

	assert_int_equal(arm_pacer_new(&p, NULL), 0);
	arm_pacer_started(p, "s1", ARM_BUCKET_WRITES, 0);
	/* the probe is out: the next waits for its answer */
	assert_true(arm_pacer_next_start(p, "s1", ARM_BUCKET_WRITES, 0, &why) > 0);
	assert_int_equal(why, ARM_PACE_PROBE);
	/* a reset teaches nothing: still one at a time */
	arm_pacer_observe(p, "s1", ARM_BUCKET_WRITES, -2, 5);
	arm_pacer_started(p, "s1", ARM_BUCKET_WRITES, 5);
	assert_true(arm_pacer_next_start(p, "s1", ARM_BUCKET_WRITES, 5, NULL) > 5);
	/* an answer with the header opens the gate */
	arm_pacer_observe(p, "s1", ARM_BUCKET_WRITES, 199, 10);
	assert_int_equal(arm_pacer_next_start(p, "s1", ARM_BUCKET_WRITES, 10, &why), 10);
	assert_int_equal(why, ARM_PACE_GO);
	/* a service without the header is never gated */
	arm_pacer_started(p, "s1", ARM_BUCKET_READS, 10);
	arm_pacer_observe(p, "s1", ARM_BUCKET_READS, -1, 11);
	arm_pacer_started(p, "s1", ARM_BUCKET_READS, 11);
	assert_int_equal(arm_pacer_next_start(p, "s1", ARM_BUCKET_READS, 11, NULL), 11);
	arm_pacer_free(p);
}

static void test_pacer__answers_in_flight_are_assumed_charged(void **state)
{
	arm_pacer *p = NULL;

	assert_int_equal(arm_pacer_new(&p, NULL), 0);
	arm_pacer_observe(p, "s1", ARM_BUCKET_WRITES, 100, 0);
	for (int i = 0; i < 20; i++)
		arm_pacer_started(p, "s1", ARM_BUCKET_WRITES, 0);
	/* one answer says 15 left; 19 others are still out: 15 - 19 < reserve */
	arm_pacer_observe(p, "s1", ARM_BUCKET_WRITES, 15, 0);
	assert_int_equal(arm_pacer_next_start(p, "s1", ARM_BUCKET_WRITES, 0, NULL), 100);
	arm_pacer_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_retry_after__seconds_fractions_and_negatives),
		cmocka_unit_test(test_retry_after__http_dates_relative_to_the_date_header),
		cmocka_unit_test(test_backoff__full_jitter_stays_within_the_exponential_ceiling),
		cmocka_unit_test(test_backoff__same_seed_same_delays),
		cmocka_unit_test(test_poll_delay__clamps_absurd_values),
		cmocka_unit_test(test_subscription_of__paths_urls_and_casing),
		cmocka_unit_test(test_pacer__spaces_requests_when_the_bucket_runs_low),
		cmocka_unit_test(test_pacer__requests_started_since_the_observation_count),
		cmocka_unit_test(test_pacer__a_429_holds_the_whole_subscription),
		cmocka_unit_test(test_pacer__an_unknown_bucket_is_probed_by_one_request),
		cmocka_unit_test(test_pacer__answers_in_flight_are_assumed_charged),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
