/*
 * test_reconcile_state.c - the pieces of the reconcile loop that need no
 * Azure: durations, the scope lock, atomic 0600 files, the metrics text and
 * its loopback endpoint, the status document, and the shard hash and scope
 * keys (fixed vectors, so a change of hash - which would move every
 * subscription to another shard - cannot pass unnoticed).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "common/buf.h"
#include "reconciler/reconcile_state.h"
#include "reconciler/shard.h"

static void test_reconcile__durations(void **state)
{
	double s;

	(void)state;
	assert_int_equal(reconcile_parse_duration(&s, "10m"), 0);
	assert_true(s == 600);
	assert_int_equal(reconcile_parse_duration(&s, "1h30m"), 0);
	assert_true(s == 5400);
	assert_int_equal(reconcile_parse_duration(&s, "500ms"), 0);
	assert_true(s == 0.5);
	assert_int_equal(reconcile_parse_duration(&s, "90"), 0);
	assert_true(s == 90);
	assert_int_equal(reconcile_parse_duration(&s, "2.5s"), 0);
	assert_true(s == 2.5);
	assert_int_equal(reconcile_parse_duration(&s, ""), CMK_EUSAGE);
	assert_int_equal(reconcile_parse_duration(&s, "0s"), CMK_EUSAGE);
	assert_int_equal(reconcile_parse_duration(&s, "10 m"), CMK_EUSAGE);
	assert_int_equal(reconcile_parse_duration(&s, "1d"), CMK_EUSAGE);
	assert_int_equal(reconcile_parse_duration(&s, "-5s"), CMK_EUSAGE);
	assert_non_null(strstr(cmk_error_last(), "'-5s'"));
}

static void test_reconcile__lock_excludes_a_second_holder(void **state)
{
	char dir[] = "/tmp/cmkctl-lock-XXXXXX", path[300];
	reconcile_lock *a = NULL, *b = NULL, *c = NULL;
	char pid[32];

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/state/sub", dir);
	assert_int_equal(reconcile_lock_acquire(&a, path, "shard-1-of-2"), 0);
	/* flock is per open file: a second open in this process conflicts too */
	assert_int_equal(reconcile_lock_acquire(&b, path, "shard-1-of-2"), CMK_ECONFLICT);
	snprintf(pid, sizeof(pid), "pid %ld", (long)getpid());
	assert_non_null(strstr(cmk_error_last(), pid));
	assert_non_null(strstr(cmk_error_last(), "reconcile-shard-1-of-2.lock"));
	assert_int_equal(reconcile_lock_acquire(&c, path, "shard-2-of-2"), 0);
	reconcile_lock_release(a);
	assert_int_equal(reconcile_lock_acquire(&b, path, "shard-1-of-2"), 0);
	reconcile_lock_release(b);
	reconcile_lock_release(c);
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	assert_int_equal(system(path), 0);
}

static void test_reconcile__atomic_file_is_0600_even_over_a_0644_one(void **state)
{
	char dir[] = "/tmp/cmkctl-atomic-XXXXXX", path[300];
	cmk_buf b = CMK_BUF_INIT;
	struct stat st;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/status.json", dir);
	assert_non_null(f = fopen(path, "w"));
	fputs("old", f);
	fclose(f);
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(reconcile_write_atomic(path, "{\"new\":1}", 9), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(cmk_buf_read_file(&b, path), 0);
	assert_string_equal(cmk_buf_cstr(&b), "{\"new\":1}");
	cmk_buf_free(&b);
	unlink(path);
	rmdir(dir);
	/* a directory that does not exist: an error naming it */
	assert_int_equal(reconcile_write_atomic("/nonexistent-dir/x.json", "x", 1), CMK_ERROR);
	assert_non_null(strstr(cmk_error_last(), "/nonexistent-dir/x.json"));
}

static reconcile_stats stats_fixture(void)
{
	reconcile_stats s;

	memset(&s, 0, sizeof(s));
	s.scope = "shard-2-of-8";
	s.mode = "apply";
	s.iterations_ok = 3;
	s.iterations_failed = 1;
	s.steps[0] = 26;
	s.steps[1] = 1;
	s.drift_resources = 2;
	s.planned_steps = 5;
	s.arm_requests = 400;
	s.arm_throttled = 7;
	s.last_duration_s = 12.5;
	s.last_success = 1700000000;
	s.last_run = 1700000100;
	s.iteration = 4;
	snprintf(s.commit, sizeof(s.commit), "ab\"c\\d");
	snprintf(s.state, sizeof(s.state), "waiting");
	snprintf(s.last_result, sizeof(s.last_result), "failed");
	snprintf(s.last_error, sizeof(s.last_error), "1 step failed");
	return s;
}

static void test_reconcile__metrics_text(void **state)
{
	reconcile_stats s = stats_fixture();
	cmk_buf b = CMK_BUF_INIT;
	const char *t;

	(void)state;
	assert_int_equal(reconcile_metrics_render(&b, &s), 0);
	t = cmk_buf_cstr(&b);
	assert_non_null(strstr(t, "# TYPE cmkctl_steps_total counter\n"));
	assert_non_null(strstr(t, "\ncmkctl_steps_total{result=\"succeeded\"} 26\n"));
	assert_non_null(strstr(t, "\ncmkctl_steps_total{result=\"failed\"} 1\n"));
	assert_non_null(strstr(t, "\ncmkctl_reconcile_iterations_total{result=\"failed\"} 1\n"));
	assert_non_null(strstr(t, "\ncmkctl_reconcile_duration_seconds 12.500\n"));
	assert_non_null(strstr(t, "\ncmkctl_drift_resources 2\n"));
	assert_non_null(strstr(t, "\ncmkctl_arm_requests_total 400\n"));
	assert_non_null(strstr(t, "\ncmkctl_arm_throttled_total 7\n"));
	assert_non_null(strstr(t, "\ncmkctl_last_success_timestamp_seconds 1700000000\n"));
	/* label values escaped per the text format */
	assert_non_null(strstr(t, "cmkctl_source_info{commit=\"ab\\\"c\\\\d\",scope=\"shard-2-of-8\",mode=\"apply\"} 1\n"));
	cmk_buf_free(&b);
}

static void test_reconcile__status_document(void **state)
{
	reconcile_stats s = stats_fixture();
	cJSON *o = NULL, *last;

	(void)state;
	assert_int_equal(reconcile_status_json(&o, &s), 0);
	assert_string_equal(cJSON_GetObjectItem(o, "state")->valuestring, "waiting");
	assert_string_equal(cJSON_GetObjectItem(o, "lastSuccess")->valuestring, "2023-11-14T22:13:20Z");
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(o, "nextRun")));
	last = cJSON_GetObjectItem(o, "lastRun");
	assert_string_equal(cJSON_GetObjectItem(last, "result")->valuestring, "failed");
	assert_string_equal(cJSON_GetObjectItem(last, "error")->valuestring, "1 step failed");
	assert_int_equal(cJSON_GetObjectItem(last, "driftResources")->valueint, 2);
	assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "stepsTotal"), "succeeded")->valueint, 26);
	cJSON_Delete(o);
	/* before the first iteration */
	memset(&s, 0, sizeof(s));
	snprintf(s.state, sizeof(s.state), "starting");
	assert_int_equal(reconcile_status_json(&o, &s), 0);
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(o, "lastRun")));
	cJSON_Delete(o);
}

static size_t collect(char *p, size_t size, size_t n, void *ud)
{
	return cmk_buf_put(ud, p, size * n) == 0 ? size * n : 0;
}

static void test_reconcile__metrics_endpoint_on_loopback_only(void **state)
{
	reconcile_http *h = NULL;
	cmk_buf body = CMK_BUF_INIT;
	char url[128];
	long code = 0;
	CURL *c;

	(void)state;
	assert_int_equal(reconcile_http_start(&h, "0.0.0.0:0"), CMK_EUSAGE);
	assert_int_equal(reconcile_http_start(&h, "10.1.2.3:9464"), CMK_EUSAGE);
	assert_int_equal(reconcile_http_start(&h, "127.0.0.1"), CMK_EUSAGE);
	assert_int_equal(reconcile_http_start(&h, "127.0.0.1:0"), 0);
	assert_int_not_equal(strcmp(reconcile_http_address(h), "127.0.0.1:0"), 0);
	assert_int_equal(reconcile_http_publish(h, "cmkctl_planned_steps 3\n"), 0);
	snprintf(url, sizeof(url), "http://%s/metrics", reconcile_http_address(h));
	assert_non_null(c = curl_easy_init());
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
	assert_int_equal(curl_easy_perform(c), CURLE_OK);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	assert_int_equal(code, 200);
	assert_string_equal(cmk_buf_cstr(&body), "cmkctl_planned_steps 3\n");
	cmk_buf_free(&body);
	snprintf(url, sizeof(url), "http://%s/other", reconcile_http_address(h));
	curl_easy_setopt(c, CURLOPT_URL, url);
	assert_int_equal(curl_easy_perform(c), CURLE_OK);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	assert_int_equal(code, 404);
	cmk_buf_free(&body);
	curl_easy_cleanup(c);
	reconcile_http_stop(h);
}

static void test_shard__hash_vectors_and_scope_keys(void **state)
{
	shard_filter f = SHARD_FILTER_INIT, g = SHARD_FILTER_INIT;
	char k1[128], k2[128];

	(void)state;
	/* FNV-1a 64 reference values */
	assert_true(shard_hash("") == 0xcbf29ce484222325ULL);
	assert_true(shard_hash("a") == 0xaf63dc4c8601ec8cULL);
	assert_true(shard_hash("foobar") == 0x85944171f73967e8ULL);
	/* of the lower-cased id */
	assert_true(shard_hash("5D3E9A47-1C2B-4F6E-9A8D-2B7C4E1F0A93") ==
		    shard_hash("5d3e9a47-1c2b-4f6e-9a8d-2b7c4e1f0a93"));
	assert_int_equal(shard_of("5d3e9a47-1c2b-4f6e-9a8d-2b7c4e1f0a93", 1), 1);
	shard_scope_key(k1, sizeof(k1), &f);
	assert_string_equal(k1, "all");
	f.k = 2;
	f.n = 8;
	shard_scope_key(k1, sizeof(k1), &f);
	assert_string_equal(k1, "shard-2-of-8");
	/* the same subscription set in another order and case: the same scope */
	f.n = 0;
	f.subscriptions[f.nsubs++] = "5d3e9a47-1c2b-4f6e-9a8d-2b7c4e1f0a93";
	f.subscriptions[f.nsubs++] = "8c1f4b2a-6d3e-4a5b-9c7d-0e1f2a3b4c5d";
	g.subscriptions[g.nsubs++] = "8C1F4B2A-6D3E-4A5B-9C7D-0E1F2A3B4C5D";
	g.subscriptions[g.nsubs++] = "5d3e9a47-1c2b-4f6e-9a8d-2b7c4e1f0a93";
	shard_scope_key(k1, sizeof(k1), &f);
	shard_scope_key(k2, sizeof(k2), &g);
	assert_string_equal(k1, k2);
	assert_int_equal(strncmp(k1, "subs-", 5), 0);
	assert_true(shard_filter_owns(&g, "5D3E9A47-1c2b-4f6e-9a8d-2b7c4e1f0a93"));
	assert_false(shard_filter_owns(&g, "7a2b3c4d-5e6f-4a1b-8c9d-0e1f2a3b4c5d"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reconcile__durations),
		cmocka_unit_test(test_reconcile__lock_excludes_a_second_holder),
		cmocka_unit_test(test_reconcile__atomic_file_is_0600_even_over_a_0644_one),
		cmocka_unit_test(test_reconcile__metrics_text),
		cmocka_unit_test(test_reconcile__status_document),
		cmocka_unit_test(test_reconcile__metrics_endpoint_on_loopback_only),
		cmocka_unit_test(test_shard__hash_vectors_and_scope_keys),
	};
	int rc;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
