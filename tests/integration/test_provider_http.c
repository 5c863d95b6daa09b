/*
 * test_provider_http.c - the ARM client against armsim: the requests it
 * sends (checked in armsim's request log), paging, error messages, 429 with
 * Retry-After, pacing from the rate-limit headers, seeded 5xx and connection
 * resets without duplicate writes, and the bearer-token host policy.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "providers/arm.h"
#include "providers/lro.h"
#include "providers/paging.h"
#include "tests/integration/it_common.h"

#define SUB "5ab50000-0000-4000-8000-0000000000aa"
#define RG_API "2021-04-01"

static armsim *sim;

static int setup(void **state)
{
	armsim_opts o = { .fixture = IT_FIXTURES "/providers.json", .seed = 7 };

	sim = it_start(&o);
	return 0;
}

static int teardown(void **state)
{
	armsim_stop(sim);
	return 0;
}

static int reset_faults(void **state)
{
	armsim_setenv(sim); /* a failed test may have left its own */
	it_admin(sim, "DELETE", "/_sim/faults", NULL);
	return 0;
}

static void rg_path(char *out, size_t n, const char *prefix, int i)
{
	snprintf(out, n, "/subscriptions/" SUB "/resourcegroups/%s-%02d", prefix, i);
}

/* PUT n resource groups concurrently; all must succeed. */
static void put_groups(arm_client *c, const char *prefix, int n)
{
	arm_request reqs[64];
	arm_response *resps[64];
	int rcs[64];
	char paths[64][128];

	assert_true(n <= 64);
	for (int i = 0; i < n; i++) {
		rg_path(paths[i], sizeof(paths[i]), prefix, i);
		reqs[i] = (arm_request){ .method = "PUT", .url = paths[i], .api_version = RG_API,
					 .body = "{\"location\":\"eastus\",\"tags\":{\"it\":\"1\"}}" };
	}
	if (arm_send_all(resps, rcs, c, reqs, (size_t)n) < 0)
		fail_msg("PUT groups: %s", cmk_error_last());
	for (int i = 0; i < n; i++) {
		assert_int_equal(rcs[i], 0);
		assert_true(resps[i]->status == 200 || resps[i]->status == 201);
		arm_response_free(resps[i]);
	}
}

static void test_http__paged_list_follows_next_link_and_every_request_is_tagged(void **state)
{
	arm_client *c = it_client(NULL, IT_SCALE);
	long since = it_last_seq(sim);
	cJSON *list = NULL, *log, *r;
	char seen[64][40];
	size_t nseen = 0, lists;
	int ours = 0;

	put_groups(c, "page", 7);
	assert_int_equal(arm_list_all(&list, c, "/subscriptions/" SUB "/resourcegroups", RG_API, 0,
				      NULL), 0);
	cJSON_ArrayForEach(r, list)
		if (strncmp(cJSON_GetStringValue(cJSON_GetObjectItem(r, "name")), "page-", 5) == 0)
			ours++;
	assert_int_equal(ours, 7);

	log = it_requests(sim, since);
	/* page size 3 (fixture): ceil(n/3) list requests, the later ones by nextLink */
	lists = it_count(log, "GET", "/resourcegroups?", 200) +
		it_count(log, "GET", "/resourcegroups&", 200);
	assert_int_equal(lists, (size_t)(cJSON_GetArraySize(list) + 2) / 3);
	assert_int_equal(it_count(log, "PUT", "/resourcegroups/page-", 0), 7);
	/* one token request, and a fresh UUID x-ms-client-request-id on each call */
	assert_int_equal(it_count(log, "POST", "/oauth2/v2.0/token", 200), 1);
	cJSON_ArrayForEach(r, cJSON_GetObjectItem(log, "requests")) {
		const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(r, "clientRequestId"));
		if (!strstr(cJSON_GetStringValue(cJSON_GetObjectItem(r, "path")), "/resourcegroups"))
			continue;
		assert_non_null(id);
		assert_int_equal(strlen(id), 36);
		for (size_t i = 0; i < nseen; i++)
			assert_string_not_equal(seen[i], id);
		if (nseen < 64)
			snprintf(seen[nseen++], sizeof(seen[0]), "%s", id);
	}
	cJSON_Delete(log);
	cJSON_Delete(list);
	it_client_free(c);
}

static void test_http__404_names_resource_status_code_and_request_id(void **state)
{
	arm_client *c = it_client(NULL, IT_SCALE);
	arm_response *resp = NULL;
	arm_request req = { .method = "GET", .api_version = RG_API,
			    .url = "/subscriptions/" SUB "/resourcegroups/no-such-group" };
	long since;
	cJSON *log;

	it_subscription(c); /* token fetched before `since` */
	since = it_last_seq(sim);
	assert_int_equal(arm_send(&resp, c, &req), CMK_ENOTFOUND);
	assert_non_null(resp);
	assert_non_null(resp->error);
	assert_string_equal(resp->error->arm_code, "ResourceGroupNotFound");
	assert_non_null(resp->request_id);
	if (strncmp(cmk_error_last(), "GET /subscriptions/" SUB "/resourcegroups/no-such-group: "
		    "404 NotFound (ResourceGroupNotFound): ", 96) != 0 ||
	    !strstr(cmk_error_last(), resp->request_id))
		fail_msg("message: %s", cmk_error_last());
	log = it_requests(sim, since);
	assert_int_equal(it_count(log, "GET", "no-such-group", 404), 1); /* not retried */
	assert_int_equal(it_count(log, NULL, NULL, 0), 1);
	cJSON_Delete(log);
	arm_response_free(resp);
	it_client_free(c);
}

static void test_http__403_is_not_retried_and_says_authorization_failed(void **state)
{
	arm_client *c;
	arm_response *resp = NULL;
	arm_request req = { .method = "PUT", .api_version = RG_API, .body = "{\"location\":\"eastus\"}",
			    .url = "/subscriptions/" SUB "/resourcegroups/reader-may-not" };
	long since = it_last_seq(sim);
	cJSON *log;

	setenv("AZURE_CLIENT_ID", "c1c10000-0000-4000-8000-000000000003", 1);
	setenv("AZURE_CLIENT_SECRET", "it-reader-secret-0123456789", 1);
	c = it_client("client-secret", IT_SCALE);
	assert_int_equal(arm_send(&resp, c, &req), CMK_EAUTH);
	assert_non_null(strstr(cmk_error_last(), ": 403 Forbidden (AuthorizationFailed): "));
	log = it_requests(sim, since);
	assert_int_equal(it_count(log, "PUT", "reader-may-not", 403), 1);
	assert_int_equal(it_count(log, "PUT", "reader-may-not", 0), 1);
	cJSON_Delete(log);
	arm_response_free(resp);
	it_client_free(c);
	armsim_setenv(sim);
}

static void test_http__401_fetches_a_new_token_once_then_reports(void **state)
{
	arm_client *c;
	arm_response *resp = NULL;
	arm_request req = { .method = "GET", .api_version = "2022-12-01",
			    .url = "/subscriptions/" SUB };
	long since = it_last_seq(sim);
	cJSON *log;

	/* tokens for an audience ARM does not accept: every one gets a 401 */
	setenv("CMKCTL_ARM_AUDIENCE", "https://vault.azure.net", 1);
	c = it_client("client-secret", IT_SCALE);
	assert_int_equal(arm_send(&resp, c, &req), CMK_EAUTH);
	if (!strstr(cmk_error_last(), "GET /subscriptions/" SUB ": 401 Unauthorized "
		    "(InvalidAuthenticationTokenAudience): "))
		fail_msg("message: %s", cmk_error_last());
	assert_int_equal(resp->attempts, 2);
	log = it_requests(sim, since);
	assert_int_equal(it_count(log, "GET", "/subscriptions/" SUB, 401), 2);
	assert_int_equal(it_count(log, "POST", "/oauth2/v2.0/token", 200), 2);
	cJSON_Delete(log);
	arm_response_free(resp);
	it_client_free(c);
	armsim_setenv(sim);
}

static void test_http__429_waits_for_retry_after_then_succeeds(void **state)
{
	arm_client *c = it_client(NULL, 10.0); /* Retry-After 1 s -> 100 ms */
	arm_response *resp = NULL;
	arm_request req = { .method = "GET", .api_version = RG_API,
			    .url = "/subscriptions/" SUB "/resourcegroups" };
	arm_stats st;
	long since;
	int64_t t0;
	cJSON *log;

	it_subscription(c);
	it_admin(sim, "PUT", "/_sim/faults", "[{\"method\":\"GET\",\"resourceType\":"
		 "\"Microsoft.Resources/resourceGroups\",\"fault\":\"429\",\"count\":2,"
		 "\"retryAfter\":1}]");
	since = it_last_seq(sim);
	t0 = arm_now_ms();
	assert_int_equal(arm_send(&resp, c, &req), 0);
	assert_true(arm_now_ms() - t0 >= 200);
	assert_int_equal(resp->attempts, 3);
	arm_client_stats(&st, c);
	assert_int_equal(st.throttled, 2);
	log = it_requests(sim, since);
	assert_int_equal(it_count(log, "GET", "/resourcegroups", 429), 2);
	assert_int_equal(it_count(log, "GET", "/resourcegroups", 200), 1);
	cJSON_Delete(log);
	arm_response_free(resp);
	it_client_free(c);
}

static void test_http__endless_429_gives_up_after_the_attempt_limit(void **state)
{
	arm_client *c = it_client_with(NULL, 100.0, 3, 0);
	arm_response *resp = NULL;
	arm_request req = { .method = "GET", .api_version = RG_API,
			    .url = "/subscriptions/" SUB "/resourcegroups" };
	long since;
	cJSON *log;

	it_subscription(c);
	it_admin(sim, "PUT", "/_sim/faults", "[{\"method\":\"GET\",\"resourceType\":"
		 "\"Microsoft.Resources/resourceGroups\",\"fault\":\"429\",\"retryAfter\":1}]");
	since = it_last_seq(sim);
	assert_int_equal(arm_send(&resp, c, &req), CMK_ETHROTTLED);
	assert_int_equal(resp->attempts, 3);
	assert_non_null(strstr(cmk_error_last(), ": 429 TooManyRequests (TooManyRequests): "));
	log = it_requests(sim, since);
	assert_int_equal(it_count(log, "GET", "/resourcegroups?", 429), 3);
	cJSON_Delete(log);
	arm_response_free(resp);
	it_client_free(c);
}

static void test_http__a_body_over_the_cap_is_an_error_not_a_crash(void **state)
{
	arm_client *c = it_client_with(NULL, IT_SCALE, 0, 256);
	cJSON *doc = NULL;
	long since = it_last_seq(sim);
	cJSON *log;

	assert_int_equal(arm_get_json(&doc, c, "/subscriptions/" SUB "/resourcegroups", RG_API,
				      NULL), CMK_EINVALID);
	assert_non_null(strstr(cmk_error_last(), "the response is larger than the limit of 256 "
					       "bytes"));
	log = it_requests(sim, since);
	assert_int_equal(it_count(log, "GET", "/resourcegroups?", 0), 1); /* not retried */
	cJSON_Delete(log);
	it_client_free(c);
}

static void test_http__pacing_keeps_a_burst_under_the_write_bucket(void **state)
{
	arm_client *c = it_client(NULL, IT_SCALE);
	arm_stats st;
	long since;
	cJSON *log;

	it_subscription(c);
	it_admin(sim, "PUT", "/_sim/throttling", "{\"writes\":{\"capacity\":20,"
		 "\"refillPerSecond\":10}}");
	since = it_last_seq(sim);
	put_groups(c, "burst", 30);
	log = it_requests(sim, since);
	assert_int_equal(it_count(log, "PUT", "/resourcegroups/burst-", 429), 0);
	assert_int_equal(it_count(log, "PUT", "/resourcegroups/burst-", 0), 30);
	arm_client_stats(&st, c);
	assert_true(st.paced > 0);
	assert_int_equal(st.throttled, 0);
	cJSON_Delete(log);
	it_admin(sim, "PUT", "/_sim/throttling", "{\"writes\":{\"capacity\":200,"
		 "\"refillPerSecond\":10}}");
	it_client_free(c);
}

static void test_http__seeded_5xx_and_resets_leave_no_duplicate_writes(void **state)
{
	arm_client *c = it_client(NULL, IT_SCALE);
	arm_request reqs[40];
	arm_response *resps[40];
	int rcs[40];
	char paths[40][128];
	long since;
	cJSON *log;
	size_t faults;

	it_subscription(c);
	it_admin(sim, "PUT", "/_sim/faults", "[{\"method\":\"*\",\"resourceType\":"
		 "\"Microsoft.Resources/resourceGroups\",\"fault\":\"500\",\"rate\":0.1},"
		 "{\"method\":\"*\",\"resourceType\":\"Microsoft.Resources/resourceGroups\","
		 "\"fault\":\"reset\",\"rate\":0.1}]");
	since = it_last_seq(sim);
	put_groups(c, "flaky", 40);
	for (int i = 0; i < 40; i++) {
		rg_path(paths[i], sizeof(paths[i]), "flaky", i);
		reqs[i] = (arm_request){ .method = "GET", .url = paths[i], .api_version = RG_API };
	}
	assert_int_equal(arm_send_all(resps, rcs, c, reqs, 40), 0);
	for (int i = 0; i < 40; i++) {
		cJSON *doc = NULL;
		assert_int_equal(arm_response_json(&doc, resps[i]), 0);
		assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(
			doc, "tags"), "it")), "1");
		cJSON_Delete(doc);
		arm_response_free(resps[i]);
	}
	log = it_requests(sim, since);
	/* the faults did fire, and every group was written exactly once */
	faults = it_count(log, NULL, "/resourcegroups/flaky-", 500) +
		 (it_count(log, NULL, "/resourcegroups/flaky-", 0) -
		  it_count(log, NULL, "/resourcegroups/flaky-", 200) -
		  it_count(log, NULL, "/resourcegroups/flaky-", 201) -
		  it_count(log, NULL, "/resourcegroups/flaky-", 500));
	assert_true(faults >= 2);
	for (int i = 0; i < 40; i++) {
		char name[32];
		snprintf(name, sizeof(name), "/resourcegroups/flaky-%02d?", i);
		assert_int_equal(it_count(log, "PUT", name, 201) + it_count(log, "PUT", name, 200), 1);
	}
	cJSON_Delete(log);
	it_client_free(c);
}

static void test_http__bearer_token_never_leaves_for_plain_http_or_foreign_hosts(void **state)
{
	arm_client *c = it_client(NULL, IT_SCALE);
	arm_request plain = { .method = "GET", .url = "http://10.255.255.1/subscriptions/" SUB,
			      .api_version = RG_API };
	arm_request foreign = { .method = "GET", .url = "https://evil.example.com/subscriptions/" SUB,
				.api_version = RG_API };
	arm_request kv = { .method = "GET", .url = "https://kv1.vault.evil.example/keys/k",
			   .api_version = "7.4", .audience = ARM_AUD_KEYVAULT };
	arm_response *resp = NULL;
	arm_stats st;

	assert_int_equal(arm_send(&resp, c, &plain), CMK_EAUTH);
	assert_null(resp);
	assert_non_null(strstr(cmk_error_last(), "refusing to send a bearer token over http to "
					       "http://10.255.255.1/subscriptions/"));
	assert_int_equal(arm_send(&resp, c, &foreign), CMK_EAUTH);
	assert_non_null(strstr(cmk_error_last(), "refusing to send the ARM token to host "
					       "'evil.example.com'"));
	assert_int_equal(arm_send(&resp, c, &kv), CMK_EAUTH);
	assert_non_null(strstr(cmk_error_last(), "not under the Key Vault DNS suffix "
					       "'vault.localhost'"));
	/* refused before any token was even fetched */
	arm_client_stats(&st, c);
	assert_int_equal(st.token_fetches, 0);
	assert_int_equal(st.requests, 0);
	it_client_free(c);
}

static void test_http__a_polling_url_on_another_host_is_refused(void **state)
{
	arm_client *c = it_client(NULL, IT_SCALE);
	arm_response fake = { .status = 202 };
	arm_header h[] = { { "Azure-AsyncOperation",
			     "https://evil.example.com/subscriptions/" SUB "/operationstatuses/1" } };
	arm_op *op = NULL;
	long since = it_last_seq(sim);
	cJSON *log;

	fake.headers = h;
	fake.nheaders = 1;
	assert_int_equal(arm_op_from_response(&op, ARM_OP_GENERIC, "PUT", "/subscriptions/" SUB
					      "/resourcegroups/x", RG_API, NULL, &fake,
					      ARM_FINAL_DEFAULT), 0);
	op->poll_now = 1;
	assert_int_equal(arm_op_wait(c, op, NULL), CMK_EAUTH);
	assert_int_equal(op->state, ARM_OP_ERROR);
	assert_non_null(strstr(op->error->message, "refusing to send the ARM token to host "
						   "'evil.example.com'"));
	log = it_requests(sim, since);
	assert_int_equal(it_count(log, NULL, NULL, 0), 0);
	cJSON_Delete(log);
	arm_op_free(op);
	it_client_free(c);
}

static void test_http__raw_spaces_are_encoded_and_long_urls_kept_whole(void **state)
{
	arm_client *c = it_client(NULL, IT_SCALE);
	arm_response *resp = NULL;
	arm_request spaced = { .method = "GET", .api_version = RG_API,
			       .url = "/subscriptions/" SUB "/resourcegroups/no such group" };
	char url[4096];
	arm_request longurl = { .method = "GET", .url = url };
	long since;
	cJSON *log;

	it_subscription(c);
	since = it_last_seq(sim);
	assert_int_equal(arm_send(&resp, c, &spaced), CMK_ENOTFOUND);
	arm_response_free(resp);
	/* a signed polling URL of ~3,300 characters, as seen in real traffic */
	snprintf(url, sizeof(url), "%s/subscriptions/" SUB "?api-version=2022-12-01&t=1&c=",
		 arm_client_cloud(c)->arm_endpoint);
	while (strlen(url) < 3300)
		strcat(url, "QWxhZGRpbjpvcGVuIHNlc2FtZQ");
	strcat(url, "&s=sig&h=end");
	assert_int_equal(arm_send(&resp, c, &longurl), 0);
	arm_response_free(resp);
	log = it_requests(sim, since);
	/* sent as %20 (curl refuses a raw space); armsim logs the decoded path */
	assert_int_equal(it_count(log, "GET", "/resourcegroups/no such group?", 404), 1);
	assert_int_equal(it_count(log, "GET", strstr(url, "/subscriptions/"), 200), 1);
	cJSON_Delete(log);
	it_client_free(c);
}

static void test_http__tls_is_verified_and_a_bad_certificate_is_not_retried(void **state)
{
	arm_client *c;
	arm_response *resp = NULL;
	arm_request req = { .method = "GET", .url = "/subscriptions/" SUB,
			    .api_version = "2022-12-01", .audience = ARM_AUD_NONE };
	long since = it_last_seq(sim);
	arm_stats st;
	cJSON *log;

	/* the system bundle does not know armsim's private CA */
	setenv("SSL_CERT_FILE", "/etc/ssl/certs/ca-certificates.crt", 1);
	c = it_client(NULL, IT_SCALE);
	assert_int_equal(arm_send(&resp, c, &req), CMK_ERROR);
	assert_null(resp);
	assert_non_null(strstr(cmk_error_last(), "certificate"));
	assert_non_null(strstr(cmk_error_last(), "(after 1 attempt)"));
	arm_client_stats(&st, c);
	assert_int_equal(st.requests, 1);
	log = it_requests(sim, since);
	assert_int_equal(it_count(log, NULL, NULL, 0), 0); /* never reached the server */
	cJSON_Delete(log);
	it_client_free(c);
	armsim_setenv(sim);
}

typedef struct {
	arm_client *c;
	int done, nested_rc, nested_ran;
} reentry;

/* A callback that makes a blocking call: its loop finishes (and hands out)
 * other calls while the outer dispatch is in the middle of its list. */
static void reentrant_done(void *ud, arm_response *resp, int rc)
{
	reentry *r = ud;
	arm_request req = { .method = "GET", .url = "/subscriptions/" SUB,
			    .api_version = "2022-12-01" };

	assert_int_equal(rc, 0);
	arm_response_free(resp);
	r->done++;
	if (!r->nested_ran) {
		r->nested_ran = 1;
		r->nested_rc = arm_send(NULL, r->c, &req);
	}
}

static void test_http__a_callback_may_make_blocking_calls(void **state)
{
	reentry r = { .c = it_client(NULL, IT_SCALE) };
	arm_request req = { .method = "GET", .url = "/subscriptions/" SUB "/resourcegroups",
			    .api_version = RG_API };

	it_subscription(r.c);
	for (int i = 0; i < 20; i++)
		assert_int_equal(arm_submit(r.c, &req, 0, reentrant_done, &r), 0);
	assert_int_equal(arm_run(r.c, NULL, NULL), 0);
	assert_int_equal(r.done, 20);
	assert_int_equal(r.nested_rc, 0);
	assert_int_equal(arm_pending(r.c), 0);
	it_client_free(r.c);
}

static void test_http__a_stalled_answer_times_out_and_is_retried(void **state)
{
	arm_cloud *cloud = NULL;
	arm_client *c = NULL;
	arm_client_opts o = { .request_timeout_ms = 500, .backoff_base_ms = 10, .seed = 3 };
	arm_response *resp = NULL;
	arm_request req = { .method = "GET", .url = "/subscriptions/" SUB,
			    .api_version = "2022-12-01" };
	int64_t t0;
	cJSON *log;
	long since;

	assert_int_equal(arm_cloud_resolve(&cloud, NULL), 0);
	o.cloud = cloud;
	assert_int_equal(arm_client_new(&c, &o), 0);
	it_subscription(c);
	it_admin(sim, "PUT", "/_sim/faults", "[{\"method\":\"GET\",\"resourceType\":\"*\","
		 "\"path\":\"/subscriptions/" SUB "\",\"fault\":\"slow\",\"delayMs\":3000,"
		 "\"count\":1}]");
	since = it_last_seq(sim);
	t0 = arm_now_ms();
	assert_int_equal(arm_send(&resp, c, &req), 0);
	/* the first attempt was cut at 0.5 s, not waited for 3 s */
	assert_true(arm_now_ms() - t0 < 2500);
	assert_int_equal(resp->attempts, 2);
	/* both attempts reached armsim (the stalled one is logged when handled) */
	log = it_requests(sim, since);
	assert_true(it_count(log, "GET", "/subscriptions/" SUB "?", 0) >= 1);
	cJSON_Delete(log);
	arm_response_free(resp);
	arm_client_free(c);
	arm_cloud_free(cloud);
}

static void test_http__cloud_discovery_from_armsim_metadata(void **state)
{
	arm_cloud *cloud = NULL;

	assert_int_equal(arm_cloud_discover(&cloud, getenv("CMKCTL_ARM_ENDPOINT"), NULL), 0);
	assert_non_null(cloud->authority_host);
	assert_string_equal(cloud->keyvault_suffix, "vault.localhost");
	arm_cloud_free(cloud);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_http__paged_list_follows_next_link_and_every_request_is_tagged, reset_faults),
		cmocka_unit_test_setup(test_http__404_names_resource_status_code_and_request_id, reset_faults),
		cmocka_unit_test_setup(test_http__403_is_not_retried_and_says_authorization_failed, reset_faults),
		cmocka_unit_test_setup(test_http__401_fetches_a_new_token_once_then_reports, reset_faults),
		cmocka_unit_test_setup(test_http__429_waits_for_retry_after_then_succeeds, reset_faults),
		cmocka_unit_test_setup(test_http__endless_429_gives_up_after_the_attempt_limit, reset_faults),
		cmocka_unit_test_setup(test_http__a_body_over_the_cap_is_an_error_not_a_crash, reset_faults),
		cmocka_unit_test_setup(test_http__pacing_keeps_a_burst_under_the_write_bucket, reset_faults),
		cmocka_unit_test_setup(test_http__seeded_5xx_and_resets_leave_no_duplicate_writes, reset_faults),
		cmocka_unit_test_setup(test_http__bearer_token_never_leaves_for_plain_http_or_foreign_hosts, reset_faults),
		cmocka_unit_test_setup(test_http__a_polling_url_on_another_host_is_refused, reset_faults),
		cmocka_unit_test_setup(test_http__raw_spaces_are_encoded_and_long_urls_kept_whole, reset_faults),
		cmocka_unit_test_setup(test_http__tls_is_verified_and_a_bad_certificate_is_not_retried, reset_faults),
		cmocka_unit_test_setup(test_http__a_callback_may_make_blocking_calls, reset_faults),
		cmocka_unit_test_setup(test_http__a_stalled_answer_times_out_and_is_retried, reset_faults),
		cmocka_unit_test_setup(test_http__cloud_discovery_from_armsim_metadata, reset_faults),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
