/*
 * test_hostile.c - malformed and hostile ARM answers end in a clear error
 * or a bounded wait, never a hang or a crash.
 *
 * Each test points a custom cloud (ARM endpoint and Azure AD authority) at
 * the hostile server (hostile_server.h), drives the real provider code
 * (arm.h client, lro.h operations, adapters) with a client-secret
 * credential, and asserts the error code, the message, what was (not) sent,
 * and that the call finished within a bound measured on the monotonic
 * clock. The bounds are several times what the case needs, so a loaded
 * 2-core machine passes; what they catch is a hang or a busy loop.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "common/error.h"
#include "common/live.h"
#include "hostile_server.h"
#include "providers/adapter_cluster.h"
#include "providers/adapter_key.h"
#include "providers/adapter_util.h"
#include "providers/arm.h"
#include "providers/cloud.h"
#include "providers/lro.h"

#define SUB "5d3e9a47-1c2b-4f6e-9a8d-2b7c4e1f0a93"
#define CLUSTER "/subscriptions/" SUB "/resourceGroups/rg-monitor/providers/" \
		"Microsoft.OperationalInsights/clusters/la-hostile"
#define CLUSTER_BODY "{\"id\":\"" CLUSTER "\",\"name\":\"la-hostile\",\"location\":\"eastus\"," \
		     "\"properties\":{\"provisioningState\":\"Succeeded\"}}"
#define CREATING_BODY "{\"id\":\"" CLUSTER "\",\"properties\":{\"provisioningState\":\"Creating\"}}"

static hs_server *g_srv;
static arm_cloud *g_cloud;
static char g_url[256]; /* scratch for handlers: a URL on the server */

/* ---- helpers ---------------------------------------------------------------------- */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A client with short, test-sized limits: 3 attempts, 3 s per attempt,
 * Retry-After clamped to 300 ms, backoff of tens of milliseconds. */
static arm_client *client_with(size_t max_body, long request_timeout_ms)
{
	arm_client_opts o = { 0 };
	arm_client *c = NULL;

	o.cloud = g_cloud;
	o.credential = "client-secret";
	o.ca_file = hs_ca_file(g_srv);
	o.connect_timeout_ms = 3000;
	o.request_timeout_ms = request_timeout_ms ? request_timeout_ms : 3000;
	o.max_body = max_body;
	o.max_attempts = 3;
	o.max_retry_ms = 10000;
	o.backoff_base_ms = 20;
	o.backoff_cap_ms = 100;
	o.max_retry_after_ms = 300;
	o.seed = 7;
	if (arm_client_new(&c, &o) < 0)
		fail_msg("client: %s", cmk_error_last());
	return c;
}

static arm_client *client(void)
{
	return client_with(0, 0);
}

/* Polling fast enough for a test, never busy: 50 ms minimum. */
static const arm_op_wait_opts fast_wait = {
	.default_poll_ms = 100, .min_poll_ms = 50, .max_poll_ms = 300, .max_read_failures = 3,
};

static const adapter_cluster_spec create_spec = {
	.location = "eastus", .identity_type = "SystemAssigned", .capacity = 100,
	.double_encryption = -1, .availability_zones = -1,
};

static void assert_message_has(const char *needle)
{
	if (!strstr(cmk_error_last(), needle))
		fail_msg("message '%s' lacks '%s'", cmk_error_last(), needle);
}

static void assert_within(double t0, double max_s)
{
	double took = now_s() - t0;

	if (took > max_s)
		fail_msg("took %.2f s, bound %.2f s", took, max_s);
}

static bool is(const hs_request *r, const char *method, const char *path_prefix)
{
	return strcmp(r->method, method) == 0 && strncmp(r->path, path_prefix,
							  strlen(path_prefix)) == 0;
}

/* ---- fixture ---------------------------------------------------------------------- */

static int group_setup(void **state)
{
	static const char *const cleared[] = {
		"CMKCTL_CREDENTIAL", "AZURE_FEDERATED_TOKEN_FILE", "IDENTITY_ENDPOINT",
		"IDENTITY_HEADER", "MSI_ENDPOINT", "MSI_SECRET", "AZURE_AUTHORITY_HOST",
		"SSL_CERT_FILE", "CURL_CA_BUNDLE", NULL,
	};

	(void)state;
	for (int i = 0; cleared[i]; i++)
		unsetenv(cleared[i]);
	if ((g_srv = hs_start()) == NULL)
		return -1;
	return (g_cloud = hs_cloud(g_srv)) == NULL ? -1 : 0;
}

static int group_teardown(void **state)
{
	(void)state;
	hs_stop(g_srv);
	arm_cloud_free(g_cloud);
	return 0;
}

static int test_setup(void **state)
{
	(void)state;
	hs_set_handler(g_srv, NULL, NULL);
	hs_set_token_answer(g_srv, NULL);
	cmk_error_clear();
	return 0;
}

/* ---- malformed bodies ------------------------------------------------------------- */

static void truncated_json(hs_answer *a, void *ud, const hs_request *r, unsigned n)
{
	(void)ud; (void)r; (void)n;
	a->status = 200;
	a->body = "{\"id\":\"" CLUSTER "\",\"properties\":{\"provisioningState\":\"Succ";
}

static void test_hostile__truncated_json_is_invalid_not_retried(void **state)
{
	live_state live = { 0 };
	arm_client *c = client();
	double t0 = now_s();

	(void)state;
	hs_set_handler(g_srv, truncated_json, NULL);
	assert_int_equal(adapter_cluster_get(&live, c, CLUSTER), CMK_EINVALID);
	assert_message_has("not valid JSON");
	assert_int_equal(live.cluster_count, 0);
	assert_int_equal(hs_request_count(g_srv), 1);
	assert_within(t0, 10);
	live_state_free(&live);
	arm_client_free(c);
}

static void wrong_types(hs_answer *a, void *ud, const hs_request *r, unsigned n)
{
	(void)ud; (void)r;
	a->status = 200;
	/* first: not a resource at all (id is a number); then: every member of
	 * the wrong type around a good id */
	a->body = n == 0 ? "{\"id\":42,\"properties\":[],\"sku\":\"big\",\"identity\":7}"
			 : "{\"id\":\"" CLUSTER "\",\"name\":[],\"location\":{},"
			   "\"properties\":{\"provisioningState\":7,\"keyVaultProperties\":\"x\","
			   "\"billingType\":false,\"isDoubleEncryptionEnabled\":\"maybe\","
			   "\"capacityReservationProperties\":[]},"
			   "\"sku\":{\"name\":null,\"capacity\":\"lots\"},"
			   "\"identity\":{\"type\":[],\"userAssignedIdentities\":\"none\"},"
			   "\"tags\":[1,2]}";
}

static void test_hostile__wrong_types_read_as_absent_or_refused(void **state)
{
	live_state live = { 0 };
	arm_client *c = client();
	const live_la_cluster *cl;

	(void)state;
	hs_set_handler(g_srv, wrong_types, NULL);
	assert_int_equal(adapter_cluster_get(&live, c, CLUSTER), CMK_EINVALID);
	assert_message_has("no id");
	assert_int_equal(adapter_cluster_get(&live, c, CLUSTER), 0);
	assert_int_equal(live.cluster_count, 1);
	cl = &live.clusters[0];
	assert_string_equal(cl->id, CLUSTER);
	assert_null(cl->name);
	assert_null(cl->provisioning_state);
	assert_null(cl->billing_type);
	assert_null(cl->key.vault_uri);
	assert_null(cl->identity.type);
	assert_int_equal(cl->capacity, 0);
	assert_int_equal(cl->tags.count, 0);
	live_state_free(&live);
	arm_client_free(c);
}

static void huge_body(hs_answer *a, void *ud, const hs_request *r, unsigned n)
{
	(void)ud; (void)r; (void)n;
	a->status = 200;
	a->mode = HS_HUGE;
	a->huge_len = (size_t)8 << 20;
}

static void test_hostile__huge_body_cut_at_the_cap(void **state)
{
	live_state live = { 0 };
	arm_client *c = client_with((size_t)1 << 20, 0);
	double t0 = now_s();

	(void)state;
	hs_set_handler(g_srv, huge_body, NULL);
	assert_int_equal(adapter_cluster_get(&live, c, CLUSTER), CMK_EINVALID);
	assert_message_has("larger than the limit of 1048576 bytes");
	assert_int_equal(hs_request_count(g_srv), 1); /* not retried */
	assert_within(t0, 15);
	live_state_free(&live);
	arm_client_free(c);
}

static void html_list(hs_answer *a, void *ud, const hs_request *r, unsigned n)
{
	(void)ud; (void)r; (void)n;
	a->status = 200;
	a->headers[0] = "Content-Type: text/html";
	a->body = "<html><body>Service Unavailable</body></html>";
}

static void test_hostile__html_instead_of_a_list(void **state)
{
	live_state live = { 0 };
	arm_client *c = client();

	(void)state;
	hs_set_handler(g_srv, html_list, NULL);
	assert_int_equal(adapter_cluster_list(&live, c, SUB), CMK_EINVALID);
	assert_message_has("not valid JSON");
	assert_int_equal(live.cluster_count, 0);
	live_state_free(&live);
	arm_client_free(c);
}

static void page_not_a_list(hs_answer *a, void *ud, const hs_request *r, unsigned n)
{
	(void)ud; (void)r; (void)n;
	a->status = 200;
	a->body = "{\"value\":{\"id\":\"" CLUSTER "\"}}";
}

static void test_hostile__list_value_of_the_wrong_type(void **state)
{
	live_state live = { 0 };
	arm_client *c = client();

	(void)state;
	hs_set_handler(g_srv, page_not_a_list, NULL);
	assert_int_equal(adapter_cluster_list(&live, c, SUB), CMK_EINVALID);
	assert_message_has("has no \"value\" array");
	live_state_free(&live);
	arm_client_free(c);
}

static void cut_body(hs_answer *a, void *ud, const hs_request *r, unsigned n)
{
	(void)ud; (void)r; (void)n;
	a->status = 200;
	a->mode = HS_CUT;
	a->huge_len = 64 * 1024;
}

static void test_hostile__body_cut_on_the_wire_retried_then_fails(void **state)
{
	live_state live = { 0 };
	arm_client *c = client();
	double t0 = now_s();

	(void)state;
	hs_set_handler(g_srv, cut_body, NULL);
	assert_int_equal(adapter_cluster_get(&live, c, CLUSTER), CMK_ERROR);
	assert_message_has("after 3 attempts");
	assert_int_equal(hs_request_count(g_srv), 3);
	assert_int_equal(live.cluster_count, 0);
	assert_within(t0, 10);
	live_state_free(&live);
	arm_client_free(c);
}

static void key_wrong_types(hs_answer *a, void *ud, const hs_request *r, unsigned n)
{
	(void)ud; (void)n;
	a->status = 200;
	a->body = strncmp(r->host, "kvhostile.vault.localhost", 25) == 0
			  ? "{\"key\":{\"kid\":7,\"kty\":[],\"n\":\"!!not base64\"},"
			    "\"attributes\":{\"enabled\":\"maybe\",\"exp\":1e300}}"
			  : "{}";
}

static void test_hostile__key_bundle_of_wrong_types_reads_as_unknown(void **state)
{
	live_state live = { 0 };
	arm_client *c = client();
	char uri[128];

	(void)state;
	snprintf(uri, sizeof(uri), "https://kvhostile.vault.localhost:%u/", hs_port(g_srv));
	hs_set_handler(g_srv, key_wrong_types, NULL);
	assert_int_equal(adapter_key_get(&live, c, "/subscriptions/" SUB "/resourceGroups/rg/"
					 "providers/Microsoft.KeyVault/vaults/kvhostile", uri,
					 "la-cmk"), 0);
	assert_int_equal(hs_request_count(g_srv), 1);
	assert_int_equal(live.key_count, 1);
	assert_true(live.keys[0].exists);
	assert_null(live.keys[0].current_version);
	assert_null(live.keys[0].kty);
	assert_int_equal(live.keys[0].key_size, 0);
	assert_null(live.keys[0].expires);
	live_state_free(&live);
	arm_client_free(c);
}

static void test_hostile__key_vault_outside_the_cloud_suffix_refused(void **state)
{
	live_state live = { 0 };
	arm_client *c = client();
	char uri[128];

	(void)state;
	/* a vaultUri (from a hostile vault GET) on a host outside vault.localhost */
	snprintf(uri, sizeof(uri), "https://127.0.0.1:%u/", hs_port(g_srv));
	hs_set_handler(g_srv, key_wrong_types, NULL);
	assert_int_equal(adapter_key_get(&live, c, "/subscriptions/" SUB "/resourceGroups/rg/"
					 "providers/Microsoft.KeyVault/vaults/kvhostile", uri,
					 "la-cmk"), CMK_EAUTH);
	assert_message_has("refusing to send the Key Vault token");
	assert_int_equal(hs_request_count(g_srv), 0);
	live_state_free(&live);
	arm_client_free(c);
}

/* ---- loops ------------------------------------------------------------------------ */

static void nextlink_loop(hs_answer *a, void *ud, const hs_request *r, unsigned n)
{
	static char body[512];

	(void)ud; (void)r;
	/* page 0 -> A, A -> B, B -> A: a loop of two pages */
	snprintf(body, sizeof(body), "{\"value\":[{\"id\":\"" CLUSTER "\"}],\"nextLink\":"
		 "\"%s/subscriptions/" SUB "/providers/Microsoft.OperationalInsights/clusters"
		 "?api-version=2026-03-01&$skiptoken=%c\"}", hs_base_url(g_srv),
		 n % 2 ? 'B' : 'A');
	a->status = 200;
	a->body = body;
}

static void test_hostile__nextlink_loop_ends_in_an_error(void **state)
{
	live_state live = { 0 };
	arm_client *c = client();
	double t0 = now_s();

	(void)state;
	hs_set_handler(g_srv, nextlink_loop, NULL);
	assert_int_equal(adapter_cluster_list(&live, c, SUB), CMK_ERROR);
	assert_message_has("nextLink loop");
	/* noticed when B points back to A, not at the 10000-page limit */
	assert_int_equal(hs_request_count(g_srv), 3);
	assert_within(t0, 60);
	live_state_free(&live);
	arm_client_free(c);
}

static void location_loop(hs_answer *a, void *ud, const hs_request *r, unsigned n)
{
	(void)ud; (void)n;
	snprintf(g_url, sizeof(g_url), "Location: %s/loop/1", hs_base_url(g_srv));
	a->status = 202;
	a->headers[0] = g_url;  /* the write and every poll: "go look at /loop/1" */
	a->headers[1] = "Retry-After: 0";
	if (is(r, "PUT", CLUSTER))
		a->body = NULL;
}

static void test_hostile__location_loop_times_out_on_time(void **state)
{
	arm_client *c = client();
	arm_op *op = NULL;
	double t0 = now_s(); /* before the write: the deadline counts from its answer */

	(void)state;
	hs_set_handler(g_srv, location_loop, NULL);
	assert_int_equal(adapter_cluster_create(&op, c, CLUSTER, &create_spec, NULL), 0);
	assert_int_equal(op->mode, ARM_POLL_LOCATION);
	op->timeout_s = 2;
	assert_int_equal(arm_op_wait(c, op, &fast_wait), CMK_ETIMEOUT);
	assert_int_equal(op->state, ARM_OP_TIMED_OUT);
	assert_message_has("did not finish within 2 s");
	assert_true(now_s() - t0 >= 1.95);
	assert_within(t0, 15);
	/* Retry-After 0 is clamped to the minimum: no busy polling */
	assert_true(op->polls >= 2);
	assert_true(op->polls <= 2.0 / 0.05 + 2);
	arm_op_free(op);
	arm_client_free(c);
}

/* ---- polling URLs ----------------------------------------------------------------- */

static void missing_headers(hs_answer *a, void *ud, const hs_request *r, unsigned n)
{
	int *visible_after = ud;

	(void)n;
	if (is(r, "PUT", CLUSTER)) {
		a->status = 202; /* no Location, no Azure-AsyncOperation, no body */
		return;
	}
	if (is(r, "GET", CLUSTER) && (*visible_after)-- > 0) {
		a->status = 404;
		a->body = "{\"error\":{\"code\":\"ResourceNotFound\",\"message\":\"not yet\"}}";
		return;
	}
	a->status = 200;
	a->body = CLUSTER_BODY;
}

static void test_hostile__missing_lro_headers_poll_the_resource(void **state)
{
	arm_client *c = client();
	int visible_after = 2;
	arm_op *op = NULL;
	double t0 = now_s();

	(void)state;
	hs_set_handler(g_srv, missing_headers, &visible_after);
	assert_int_equal(adapter_cluster_create(&op, c, CLUSTER, &create_spec, NULL), 0);
	assert_int_equal(op->mode, ARM_POLL_RESOURCE);
	assert_int_equal(arm_op_wait(c, op, &fast_wait), 0);
	assert_int_equal(op->state, ARM_OP_SUCCEEDED);
	assert_non_null(op->result);
	assert_int_equal(hs_requests_matching(g_srv, "/clusters/la-hostile"), 1 + 3);
	assert_within(t0, 10);
	arm_op_free(op);
	arm_client_free(c);
}

static void resource_not_an_object(hs_answer *a, void *ud, const hs_request *r, unsigned n)
{
	static const char *const bodies[] = { "[]", "null", "42", CLUSTER_BODY };
	unsigned *gets = ud;

	(void)n;
	if (is(r, "PUT", CLUSTER)) {
		a->status = 202;
		return;
	}
	a->status = 200;
	a->body = bodies[*gets < 3 ? (*gets)++ : 3];
}

static void test_hostile__resource_poll_answer_not_an_object_is_unreadable(void **state)
{
	arm_op_wait_opts w = fast_wait;
	arm_client *c = client();
	unsigned gets = 0;
	arm_op *op = NULL;

	(void)state;
	w.max_read_failures = 4; /* three unreadable answers in a row are tolerated */
	hs_set_handler(g_srv, resource_not_an_object, &gets);
	assert_int_equal(adapter_cluster_create(&op, c, CLUSTER, &create_spec, NULL), 0);
	assert_int_equal(op->mode, ARM_POLL_RESOURCE);
	assert_int_equal(arm_op_wait(c, op, &w), 0);
	/* [], null and 42 are no resource: not "Succeeded without provisioningState" */
	assert_int_equal(op->polls, 4);
	assert_true(cJSON_IsObject(op->result));
	arm_op_free(op);
	arm_client_free(c);
}

static void never_visible(hs_answer *a, void *ud, const hs_request *r, unsigned n)
{
	(void)ud; (void)n;
	a->status = is(r, "PUT", CLUSTER) ? 202 : 404;
	if (a->status == 404)
		a->body = "{\"error\":{\"code\":\"ResourceNotFound\",\"message\":\"not yet\"}}";
}

static void test_hostile__missing_lro_headers_and_no_resource_time_out(void **state)
{
	arm_client *c = client();
	arm_op *op = NULL;
	double t0;

	(void)state;
	hs_set_handler(g_srv, never_visible, NULL);
	assert_int_equal(adapter_cluster_create(&op, c, CLUSTER, &create_spec, NULL), 0);
	op->timeout_s = 1;
	t0 = now_s();
	assert_int_equal(arm_op_wait(c, op, &fast_wait), CMK_ETIMEOUT);
	assert_int_equal(op->state, ARM_OP_TIMED_OUT);
	assert_within(t0, 10);
	arm_op_free(op);
	arm_client_free(c);
}

static void other_host(hs_answer *a, void *ud, const hs_request *r, unsigned n)
{
	const char *which = ud;

	(void)n;
	if (is(r, "PUT", CLUSTER)) {
		/* same server, other host name: TLS would pass, the policy must not */
		snprintf(g_url, sizeof(g_url), "%s: https://127.0.0.1:%u/stolen/op", which,
			 hs_port(g_srv));
		a->status = 201;
		a->headers[0] = g_url;
		a->body = CREATING_BODY;
		return;
	}
	a->status = 200;
	a->body = "{\"status\":\"Succeeded\"}";
}

static void other_host_case(const char *header)
{
	arm_client *c = client();
	arm_op *op = NULL;
	double t0 = now_s();

	hs_set_handler(g_srv, other_host, (void *)header);
	assert_int_equal(adapter_cluster_create(&op, c, CLUSTER, &create_spec, NULL), 0);
	assert_int_equal(arm_op_wait(c, op, &fast_wait), CMK_EAUTH);
	assert_int_equal(op->state, ARM_OP_ERROR);
	assert_message_has("127.0.0.1");
	assert_message_has("refusing to send the ARM token");
	assert_int_equal(hs_requests_matching(g_srv, "/stolen"), 0);
	assert_within(t0, 10);
	arm_op_free(op);
	arm_client_free(c);
}

static void test_hostile__async_operation_on_another_host_refused(void **state)
{
	(void)state;
	other_host_case("Azure-AsyncOperation");
}

static void test_hostile__location_on_another_host_refused(void **state)
{
	(void)state;
	other_host_case("Location");
}

static void polling_url_given(hs_answer *a, void *ud, const hs_request *r, unsigned n)
{
	(void)n;
	if (is(r, "PUT", CLUSTER)) {
		a->status = 201;
		a->headers[0] = ud;
		a->body = CREATING_BODY;
		return;
	}
	a->status = 200;
	a->body = "{\"status\":\"Succeeded\"}";
}

static void test_hostile__disguised_polling_urls_refused(void **state)
{
	unsigned port = hs_port(g_srv), other = port == 65535 ? 1 : port + 1;
	char headers[4][256];

	(void)state;
	/* userinfo: the host is what follows '@' */
	snprintf(headers[0], sizeof(headers[0]), "Azure-AsyncOperation: https://localhost:%u@"
		 "127.0.0.1:%u/stolen/1", port, port);
	/* plain http to a loopback host, but not the ARM host */
	snprintf(headers[1], sizeof(headers[1]), "Azure-AsyncOperation: http://127.0.0.1:%u/"
		 "stolen/2", port);
	/* the ARM host on another port */
	snprintf(headers[2], sizeof(headers[2]), "Azure-AsyncOperation: https://localhost:%u/"
		 "stolen/3", other);
	/* a look-alike name, over plain http */
	snprintf(headers[3], sizeof(headers[3]), "Location: http://localhost.evil.example:%u/"
		 "stolen/4", port);
	for (size_t i = 0; i < 4; i++) {
		arm_client *c = client();
		arm_op *op = NULL;
		double t0 = now_s();

		hs_set_handler(g_srv, polling_url_given, headers[i]);
		assert_int_equal(adapter_cluster_create(&op, c, CLUSTER, &create_spec, NULL), 0);
		if (arm_op_wait(c, op, &fast_wait) != CMK_EAUTH)
			fail_msg("%s: not refused (%s)", headers[i], cmk_error_last());
		assert_int_equal(op->state, ARM_OP_ERROR);
		assert_message_has("refusing to send");
		assert_int_equal(hs_requests_matching(g_srv, "/stolen"), 0);
		assert_within(t0, 10);
		arm_op_free(op);
		arm_client_free(c);
	}
}

static void status_then(hs_answer *a, void *ud, const hs_request *r, unsigned n,
			const char *retry_after)
{
	unsigned *running = ud;

	(void)n;
	if (is(r, "PUT", CLUSTER)) {
		snprintf(g_url, sizeof(g_url), "Azure-AsyncOperation: %s/ops/1?api-version=x",
			 hs_base_url(g_srv));
		a->status = 201;
		a->headers[0] = g_url;
		a->headers[1] = retry_after;
		a->body = CREATING_BODY;
	} else if (is(r, "GET", "/ops/1")) {
		a->status = 200;
		a->headers[0] = retry_after;
		a->body = (*running)-- > 0 ? "{\"status\":\"InProgress\"}" : "{\"status\":\"Succeeded\"}";
	} else {
		a->status = 200;
		a->body = CLUSTER_BODY;
	}
}

static void retry_after_year(hs_answer *a, void *ud, const hs_request *r, unsigned n)
{
	status_then(a, ud, r, n, (n & 1) ? "Retry-After: 31536000000"
					 : "Retry-After: Fri, 31 Dec 9999 23:59:59 GMT");
}

static void test_hostile__absurd_retry_after_is_clamped(void **state)
{
	arm_client *c = client();
	unsigned running = 3;
	arm_op *op = NULL;
	double t0 = now_s();

	(void)state;
	hs_set_handler(g_srv, retry_after_year, &running);
	assert_int_equal(adapter_cluster_create(&op, c, CLUSTER, &create_spec, NULL), 0);
	assert_int_equal(arm_op_wait(c, op, &fast_wait), 0);
	assert_int_equal(op->state, ARM_OP_SUCCEEDED);
	assert_int_equal(op->polls, 4);
	assert_int_equal(hs_requests_matching(g_srv, "/ops/1"), 4);
	/* four waits of at most max_poll (300 ms), not a year */
	assert_within(t0, 10);
	arm_op_free(op);
	arm_client_free(c);
}

static void retry_after_negative(hs_answer *a, void *ud, const hs_request *r, unsigned n)
{
	status_then(a, ud, r, n, (n & 1) ? "Retry-After: -30" : "Retry-After: -0.5");
}

static void test_hostile__negative_retry_after_never_busy_polls(void **state)
{
	arm_op_wait_opts w = fast_wait;
	arm_client *c = client();
	unsigned running = 4;
	arm_op *op = NULL;
	double t0;

	(void)state;
	w.min_poll_ms = 200;
	hs_set_handler(g_srv, retry_after_negative, &running);
	assert_int_equal(adapter_cluster_create(&op, c, CLUSTER, &create_spec, NULL), 0);
	t0 = now_s();
	assert_int_equal(arm_op_wait(c, op, &w), 0);
	assert_int_equal(op->polls, 5);
	/* 5 polls each after at least the 200 ms minimum (minus scheduling slack) */
	assert_true(now_s() - t0 >= 4 * 0.2);
	assert_within(t0, 10);
	arm_op_free(op);
	arm_client_free(c);
}

static void status_malformed(hs_answer *a, void *ud, const hs_request *r, unsigned n)
{
	static const char *const bodies[] = { "{\"status\":\"InProg", "{\"status\":5}", "[]",
					      "{\"status\":\"\"}" };
	unsigned *polls = ud;

	(void)n;
	if (is(r, "PUT", CLUSTER)) {
		snprintf(g_url, sizeof(g_url), "Azure-AsyncOperation: %s/ops/bad?api-version=x",
			 hs_base_url(g_srv));
		a->status = 201;
		a->headers[0] = g_url;
		a->body = CREATING_BODY;
		return;
	}
	a->status = 200;
	a->body = bodies[(*polls)++ % 4];
}

static void test_hostile__malformed_status_bodies_give_up(void **state)
{
	arm_op_wait_opts w = fast_wait;
	arm_client *c = client();
	unsigned polls = 0;
	arm_op *op = NULL;
	double t0 = now_s();

	(void)state;
	w.max_read_failures = 4;
	hs_set_handler(g_srv, status_malformed, &polls);
	assert_int_equal(adapter_cluster_create(&op, c, CLUSTER, &create_spec, NULL), 0);
	assert_int_equal(arm_op_wait(c, op, &w), CMK_EINVALID);
	assert_int_equal(op->state, ARM_OP_ERROR);
	assert_message_has("could not be read 4 times in a row");
	assert_int_equal(polls, 4); /* each read once: a 200 is not retried */
	assert_within(t0, 10);
	arm_op_free(op);
	arm_client_free(c);
}

static void status_huge(hs_answer *a, void *ud, const hs_request *r, unsigned n)
{
	(void)ud; (void)n;
	if (is(r, "PUT", CLUSTER)) {
		snprintf(g_url, sizeof(g_url), "Azure-AsyncOperation: %s/ops/huge?api-version=x",
			 hs_base_url(g_srv));
		a->status = 201;
		a->headers[0] = g_url;
		a->body = CREATING_BODY;
		return;
	}
	a->status = 200;
	a->mode = HS_HUGE;
	a->huge_len = (size_t)4 << 20;
}

static void test_hostile__huge_status_body_ends_the_wait(void **state)
{
	arm_client *c = client_with((size_t)256 << 10, 0);
	arm_op *op = NULL;
	double t0 = now_s();

	(void)state;
	hs_set_handler(g_srv, status_huge, NULL);
	assert_int_equal(adapter_cluster_create(&op, c, CLUSTER, &create_spec, NULL), 0);
	assert_int_equal(arm_op_wait(c, op, &fast_wait), CMK_EINVALID);
	assert_int_equal(op->state, ARM_OP_ERROR);
	assert_message_has("larger than the limit");
	assert_int_equal(hs_requests_matching(g_srv, "/ops/huge"), 1);
	assert_within(t0, 10);
	arm_op_free(op);
	arm_client_free(c);
}

static void delete_no_headers(hs_answer *a, void *ud, const hs_request *r, unsigned n)
{
	(void)ud; (void)n;
	if (is(r, "DELETE", CLUSTER)) {
		a->status = 202; /* accepted, and nothing to follow */
		return;
	}
	a->status = 404;
	a->body = "{\"error\":{\"code\":\"ResourceNotFound\",\"message\":\"gone\"}}";
}

static void test_hostile__delete_without_headers_ends_when_the_resource_is_gone(void **state)
{
	arm_client *c = client();
	arm_op *op = NULL;

	(void)state;
	hs_set_handler(g_srv, delete_no_headers, NULL);
	assert_int_equal(adapter_cluster_delete(&op, c, CLUSTER, NULL), 0);
	assert_int_equal(op->mode, ARM_POLL_RESOURCE);
	assert_int_equal(arm_op_wait(c, op, &fast_wait), 0);
	assert_int_equal(op->state, ARM_OP_SUCCEEDED);
	assert_int_equal(hs_request_count(g_srv), 2);
	arm_op_free(op);
	arm_client_free(c);
}

static void status_500(hs_answer *a, void *ud, const hs_request *r, unsigned n)
{
	(void)ud; (void)n;
	if (is(r, "PUT", CLUSTER)) {
		snprintf(g_url, sizeof(g_url), "Azure-AsyncOperation: %s/ops/500?api-version=x",
			 hs_base_url(g_srv));
		a->status = 201;
		a->headers[0] = g_url;
		a->body = CREATING_BODY;
		return;
	}
	a->status = 500;
	a->headers[0] = "Content-Type: text/html";
	a->body = "<html>Internal Server Error</html>";
}

static void test_hostile__status_url_failing_forever_gives_up(void **state)
{
	arm_client *c = client();
	arm_op *op = NULL;
	double t0 = now_s();

	(void)state;
	hs_set_handler(g_srv, status_500, NULL);
	assert_int_equal(adapter_cluster_create(&op, c, CLUSTER, &create_spec, NULL), 0);
	assert_int_equal(arm_op_wait(c, op, &fast_wait), CMK_ERROR);
	assert_int_equal(op->state, ARM_OP_ERROR);
	assert_message_has("could not be read 3 times in a row");
	assert_message_has("500");
	/* 3 unreadable polls, each retried by the client: 3 attempts */
	assert_int_equal(hs_requests_matching(g_srv, "/ops/500"), 3 * 3);
	assert_within(t0, 15);
	arm_op_free(op);
	arm_client_free(c);
}

/* Requests with this method whose path contains `needle`. */
static unsigned requests_of(const char *method, const char *needle)
{
	unsigned n = 0;
	hs_request r;

	for (unsigned i = 0; hs_request_get(g_srv, i, &r); i++)
		n += strcmp(r.method, method) == 0 && strstr(r.path, needle) != NULL;
	return n;
}

/* An operation record that disappears mid-wait: the status URL answers
 * `running` times InProgress (202 for a Location), then `gone` for ever; the
 * resource answers `busy` times its running state, then its final answer. */
typedef struct {
	const char *write;   /* "PUT" or "DELETE" */
	bool location;       /* Location instead of Azure-AsyncOperation */
	unsigned gone;       /* 404 or 410 */
	int running, busy;
	const char *final;   /* the resource's last answer; NULL: 404 */
} record_gone;

static void status_record_gone(hs_answer *a, void *ud, const hs_request *r, unsigned n)
{
	record_gone *g = ud;
	bool deleting = strcmp(g->write, "DELETE") == 0;

	(void)n;
	if (is(r, g->write, CLUSTER)) {
		snprintf(g_url, sizeof(g_url), "%s: %s/ops/gone?api-version=x",
			 g->location ? "Location" : "Azure-AsyncOperation", hs_base_url(g_srv));
		a->status = deleting ? 202 : 201;
		a->headers[0] = g_url;
		a->headers[1] = "Retry-After: 1";
		a->body = deleting ? NULL : CREATING_BODY;
	} else if (is(r, "GET", "/ops/gone")) {
		if (g->running-- > 0) {
			a->status = g->location ? 202 : 200;
			a->body = g->location ? NULL : "{\"status\":\"InProgress\"}";
		} else {
			a->status = g->gone;
			a->body = "{\"error\":{\"code\":\"OperationNotFound\",\"message\":\"no such operation\"}}";
		}
	} else if (is(r, "GET", CLUSTER) && g->busy-- > 0) {
		a->status = 200;
		a->body = deleting ? "{\"id\":\"" CLUSTER "\",\"properties\":{\"provisioningState\":\"Deleting\"}}"
				   : CREATING_BODY;
	} else if (is(r, "GET", CLUSTER) && g->final) {
		a->status = 200;
		a->body = g->final;
	} else {
		a->status = 404;
		a->body = "{\"error\":{\"code\":\"ResourceNotFound\",\"message\":\"gone\"}}";
	}
}

static void test_hostile__status_url_404_mid_create_follows_the_resource(void **state)
{
	record_gone g = { .write = "PUT", .gone = 404, .running = 2, .busy = 2,
			  .final = CLUSTER_BODY };
	arm_client *c = client();
	arm_op *op = NULL, *back = NULL;
	cJSON *j = NULL;
	double t0 = now_s();

	(void)state;
	hs_set_handler(g_srv, status_record_gone, &g);
	assert_int_equal(adapter_cluster_create(&op, c, CLUSTER, &create_spec, NULL), 0);
	assert_int_equal(op->mode, ARM_POLL_ASYNC_OPERATION);
	assert_int_equal(arm_op_wait(c, op, &fast_wait), 0);
	assert_int_equal(op->state, ARM_OP_SUCCEEDED);
	assert_int_equal(op->mode, ARM_POLL_RESOURCE);
	assert_non_null(op->result);
	assert_string_equal(op->last_status, "Succeeded");
	/* 2 InProgress, one 404 (never retried), then Creating twice, Succeeded */
	assert_int_equal(requests_of("GET", "/ops/gone"), 3);
	assert_int_equal(requests_of("GET", "/clusters/la-hostile"), 3);
	assert_int_equal(requests_of("PUT", "/clusters/la-hostile"), 1);
	assert_int_equal(hs_request_count(g_srv), 1 + 3 + 3);
	/* what a journal would keep: version 1, the resource as the way to follow it */
	assert_int_equal(arm_op_to_json(&j, op), 0);
	assert_string_equal(cJSON_GetObjectItem(j, "pollMode")->valuestring, "provisioning-state");
	assert_int_equal(cJSON_GetObjectItem(j, "version")->valueint, 1);
	assert_int_equal(arm_op_from_json(&back, j), 0);
	assert_int_equal(back->mode, ARM_POLL_RESOURCE);
	assert_int_equal(back->final_via, ARM_FINAL_NONE);
	assert_within(t0, 10);
	arm_op_free(back);
	cJSON_Delete(j);
	arm_op_free(op);
	arm_client_free(c);
}

static void test_hostile__status_url_gone_then_the_resource_failed(void **state)
{
	record_gone g = { .write = "PUT", .location = true, .gone = 410, .running = 1, .busy = 1,
			  .final = "{\"id\":\"" CLUSTER "\",\"properties\":{\"provisioningState\":\"Failed\"}}" };
	arm_client *c = client();
	arm_op *op = NULL;

	(void)state;
	hs_set_handler(g_srv, status_record_gone, &g);
	assert_int_equal(adapter_cluster_create(&op, c, CLUSTER, &create_spec, NULL), 0);
	assert_int_equal(op->mode, ARM_POLL_LOCATION);
	assert_int_equal(arm_op_wait(c, op, &fast_wait), CMK_ERROR);
	assert_int_equal(op->state, ARM_OP_FAILED);
	assert_message_has("provisioningState is Failed");
	assert_int_equal(requests_of("GET", "/ops/gone"), 2);
	assert_int_equal(requests_of("GET", "/clusters/la-hostile"), 2);
	assert_int_equal(requests_of("PUT", "/clusters/la-hostile"), 1);
	arm_op_free(op);
	arm_client_free(c);
}

static void test_hostile__status_url_404_mid_delete_ends_when_the_resource_404s(void **state)
{
	record_gone g = { .write = "DELETE", .gone = 404, .running = 1, .busy = 2, .final = NULL };
	arm_client *c = client();
	arm_op *op = NULL;
	double t0 = now_s();

	(void)state;
	hs_set_handler(g_srv, status_record_gone, &g);
	assert_int_equal(adapter_cluster_delete(&op, c, CLUSTER, NULL), 0);
	assert_int_equal(op->mode, ARM_POLL_ASYNC_OPERATION);
	assert_int_equal(arm_op_wait(c, op, &fast_wait), 0);
	assert_int_equal(op->state, ARM_OP_SUCCEEDED);
	assert_int_equal(op->mode, ARM_POLL_RESOURCE);
	/* 1 InProgress, one 404; then Deleting twice, then the resource's 404 */
	assert_int_equal(requests_of("GET", "/ops/gone"), 2);
	assert_int_equal(requests_of("GET", "/clusters/la-hostile"), 3);
	assert_int_equal(requests_of("DELETE", "/clusters/la-hostile"), 1);
	assert_within(t0, 10);
	arm_op_free(op);
	arm_client_free(c);
}

static void unavailable(hs_answer *a, void *ud, const hs_request *r, unsigned n)
{
	(void)ud; (void)r; (void)n;
	a->status = 503;
	a->headers[0] = "Retry-After: 86400";
	a->body = "{\"error\":{\"code\":\"ServiceUnavailable\",\"message\":\"come back tomorrow\"}}";
}

static void throttled_negative(hs_answer *a, void *ud, const hs_request *r, unsigned n)
{
	(void)ud; (void)r; (void)n;
	a->status = 429;
	a->headers[0] = "Retry-After: -5";
	a->body = "{\"error\":{\"code\":\"TooManyRequests\",\"message\":\"slow down\"}}";
}

static void test_hostile__retry_after_on_errors_is_bounded(void **state)
{
	arm_client *c = client();
	arm_response *resp = NULL;
	arm_request req = { .method = "GET", .url = CLUSTER, .api_version = ADAPTER_API_LA };
	double t0 = now_s();

	(void)state;
	hs_set_handler(g_srv, unavailable, NULL);
	assert_int_equal(arm_send(&resp, c, &req), CMK_ERROR);
	assert_message_has("503");
	assert_message_has("come back tomorrow");
	assert_non_null(resp);
	assert_int_equal(resp->attempts, 3);
	assert_int_equal(resp->error->klass, ARM_ERROR_RETRYABLE);
	arm_response_free(resp);
	assert_within(t0, 10);

	t0 = now_s();
	hs_set_handler(g_srv, throttled_negative, NULL);
	assert_int_equal(arm_send(&resp, c, &req), CMK_ETHROTTLED);
	assert_int_equal(resp->attempts, 3);
	arm_response_free(resp);
	assert_within(t0, 10);
	arm_client_free(c);
}

/* ---- many operations, every answer garbage ---------------------------------------- */

#define GARBAGE_OPS 30

static unsigned g_garbage_count[GARBAGE_OPS][4]; /* per op: PUT, resource, ops, loc */

/* A deterministic pick per (operation, kind of URL, n-th request of it), so
 * an operation sees the same answers whatever the interleaving. */
static uint64_t garbage_pick(unsigned k, unsigned what)
{
	uint64_t x = ((uint64_t)k + 1) * 0x9E3779B97F4A7C15ull ^
		     ((uint64_t)__atomic_fetch_add(&g_garbage_count[k][what], 1, __ATOMIC_SEQ_CST) +
		      1) * 0xC2B2AE3D27D4EB4Full ^ (uint64_t)what << 56;

	x ^= x >> 31;
	x *= 0xBF58476D1CE4E5B9ull;
	return x ^ (x >> 29);
}

static void garbage(hs_answer *a, void *ud, const hs_request *r, unsigned n)
{
	static const char *const bodies[] = {
		"{\"status\":\"InProgress\"}", "{\"status\":\"Succeeded\"}",
		"{\"status\":\"Failed\",\"error\":{\"code\":\"Boom\",\"message\":\"it broke\"}}",
		"{\"status\":\"Canceled\"}", "{\"status\":7}", "", "null", "[", "<html>",
		"{\"status\":\"Succeeded\",\"properties\":5}", "{\"status\":\"\"}",
		"{\"properties\":{\"provisioningState\":\"Updating\"}}",
		"{\"id\":\"x\",\"properties\":{\"provisioningState\":\"Succeeded\"}}",
		"{\"properties\":{\"provisioningState\":\"Failed\"}}",
		"{\"error\":{\"code\":\"Conflict\",\"message\":\"Operation cannot be executed now\"}}",
	};
	static const unsigned statuses[] = { 200, 200, 200, 200, 201, 202, 204, 400, 404, 409,
					     429, 500, 503, 302 };
	static const char *const retry_after[] = {
		"Retry-After: 0", "Retry-After: -1", "Retry-After: 1e9", "Retry-After: abc",
		"Retry-After: Fri, 31 Dec 9999 23:59:59 GMT", "Retry-After: ",
	};
	static __thread char loc[160];
	unsigned k = 0, what;
	uint64_t x;
	char kind;

	(void)ud; (void)n;
	if (sscanf(r->path, "/ops/%u", &k) == 1)
		what = 2;
	else if (sscanf(r->path, "/loc/%u", &k) == 1)
		what = 3;
	else if (strstr(r->path, "/clusters/g") &&
		 sscanf(strstr(r->path, "/clusters/g"), "/clusters/g%u", &k) == 1)
		what = strcmp(r->method, "PUT") == 0 ? 0 : 1;
	else
		return; /* the default 404 */
	k %= GARBAGE_OPS;
	if (what == 0) {
		/* the write: follow by Azure-AsyncOperation, Location, or nothing */
		kind = "aln"[k % 3];
		a->status = kind == 'n' ? 202 : 201;
		if (kind == 'a')
			snprintf(loc, sizeof(loc), "Azure-AsyncOperation: %s/ops/%u?api-version=x",
				 hs_base_url(g_srv), k);
		else
			snprintf(loc, sizeof(loc), "Location: %s/loc/%u", hs_base_url(g_srv), k);
		if (kind != 'n')
			a->headers[0] = loc;
		a->body = kind == 'n' ? NULL : CREATING_BODY;
		return;
	}
	x = garbage_pick(k, what);
	a->status = statuses[x % (sizeof(statuses) / sizeof(statuses[0]))];
	a->body = bodies[(x >> 8) % (sizeof(bodies) / sizeof(bodies[0]))];
	a->headers[0] = retry_after[(x >> 16) % (sizeof(retry_after) / sizeof(retry_after[0]))];
	if ((x >> 24) % 4 == 0) {
		/* a Location that points here, elsewhere, or nowhere */
		snprintf(loc, sizeof(loc), "Location: %s",
			 (x >> 26) % 3 == 0 ? "https://127.0.0.1:1/elsewhere"
			 : (x >> 26) % 3 == 1 ? "::::" : "/loc/0");
		a->headers[1] = loc;
	}
}

static void test_hostile__thirty_operations_of_garbage_all_end(void **state)
{
	arm_op_wait_opts w = fast_wait;
	arm_op *ops[GARBAGE_OPS] = { 0 };
	arm_client *c = client_with(0, 1000);
	unsigned ended[ARM_OP_ERROR + 1] = { 0 };
	char id[256];
	double t0;
	int rc;

	(void)state;
	memset(g_garbage_count, 0, sizeof(g_garbage_count));
	hs_set_handler(g_srv, garbage, NULL);
	for (unsigned k = 0; k < GARBAGE_OPS; k++) {
		snprintf(id, sizeof(id), "/subscriptions/" SUB "/resourceGroups/rg-monitor/providers/"
			 "Microsoft.OperationalInsights/clusters/g%u", k);
		assert_int_equal(adapter_cluster_create(&ops[k], c, id, &create_spec, NULL), 0);
		ops[k]->timeout_s = 2;
	}
	t0 = now_s();
	rc = arm_op_wait_all(c, ops, GARBAGE_OPS, &w);
	/* every operation ended one way or another, with a reason when not done */
	for (unsigned k = 0; k < GARBAGE_OPS; k++) {
		arm_op *op = ops[k];

		assert_true(op->state == ARM_OP_SUCCEEDED || op->state == ARM_OP_FAILED ||
			    op->state == ARM_OP_CANCELED || op->state == ARM_OP_TIMED_OUT ||
			    op->state == ARM_OP_ERROR);
		if (op->state != ARM_OP_SUCCEEDED) {
			assert_non_null(op->error);
			assert_non_null(op->error->message);
		}
		ended[op->state]++;
		arm_op_free(op);
	}
	/* 0 exactly when every one succeeded */
	assert_true((rc == 0) == (ended[ARM_OP_SUCCEEDED] == GARBAGE_OPS));
	assert_true(rc <= 0);
	/* the deadline (2 s) plus a poll and its retries, not more */
	assert_within(t0, 30);
	print_message("garbage: %u succeeded, %u failed, %u canceled, %u timed out, %u error "
		      "in %.1f s\n", ended[ARM_OP_SUCCEEDED], ended[ARM_OP_FAILED],
		      ended[ARM_OP_CANCELED], ended[ARM_OP_TIMED_OUT], ended[ARM_OP_ERROR],
		      now_s() - t0);
	arm_client_free(c);
}

/* ---- bodies that never end, redirects, tokens -------------------------------------- */

static void slowloris(hs_answer *a, void *ud, const hs_request *r, unsigned n)
{
	(void)ud; (void)r; (void)n;
	a->status = 200;
	a->mode = HS_SLOWLORIS;
	a->drip_ms = 100;
}

static void test_hostile__slowloris_body_cut_at_the_request_timeout(void **state)
{
	live_state live = { 0 };
	arm_client *c = client_with(0, 1000);
	double t0 = now_s();

	(void)state;
	hs_set_handler(g_srv, slowloris, NULL);
	assert_int_equal(adapter_cluster_get(&live, c, CLUSTER), CMK_ETIMEOUT);
	assert_message_has("after 3 attempts");
	assert_int_equal(hs_request_count(g_srv), 3);
	assert_true(now_s() - t0 >= 3 * 0.9);
	assert_within(t0, 20);
	live_state_free(&live);
	arm_client_free(c);
}

static void redirect(hs_answer *a, void *ud, const hs_request *r, unsigned n)
{
	(void)ud; (void)n;
	if (strncmp(r->path, "/elsewhere", 10) == 0) {
		a->status = 200;
		a->body = CLUSTER_BODY;
		return;
	}
	snprintf(g_url, sizeof(g_url), "Location: https://127.0.0.1:%u/elsewhere", hs_port(g_srv));
	a->status = 307;
	a->headers[0] = g_url;
	a->body = NULL;
}

static void test_hostile__redirect_not_followed(void **state)
{
	live_state live = { 0 };
	arm_client *c = client();
	arm_error *err = NULL;
	arm_op *op = NULL;
	double t0 = now_s();

	(void)state;
	hs_set_handler(g_srv, redirect, NULL);
	assert_int_equal(adapter_cluster_get(&live, c, CLUSTER), CMK_ERROR);
	assert_message_has("307");
	assert_int_equal(live.cluster_count, 0);
	/* a write answered with a redirect is not a write that succeeded */
	assert_int_equal(adapter_cluster_create(&op, c, CLUSTER, &create_spec, &err), CMK_ERROR);
	assert_null(op);
	assert_non_null(err);
	assert_int_equal(err->http_status, 307);
	assert_int_equal(hs_requests_matching(g_srv, "/elsewhere"), 0);
	assert_within(t0, 10);
	arm_error_free(err);
	live_state_free(&live);
	arm_client_free(c);
}

static void cluster_ok(hs_answer *a, void *ud, const hs_request *r, unsigned n)
{
	(void)ud; (void)r; (void)n;
	a->status = 200;
	a->body = CLUSTER_BODY;
}

static void token_case(const hs_answer *token, const char *needle)
{
	live_state live = { 0 };
	arm_client *c = client();
	double t0 = now_s();

	hs_set_handler(g_srv, cluster_ok, NULL);
	hs_set_token_answer(g_srv, token);
	assert_int_equal(adapter_cluster_get(&live, c, CLUSTER), CMK_EAUTH);
	assert_message_has(needle);
	assert_int_equal(hs_request_count(g_srv), 0); /* nothing sent without a token */
	assert_within(t0, 15);
	live_state_free(&live);
	arm_client_free(c);
}

static void test_hostile__truncated_token_response(void **state)
{
	hs_answer a = { .status = 200, .body = "{\"token_type\":\"Bearer\",\"access_tok" };

	(void)state;
	token_case(&a, "not JSON");
}

static void test_hostile__token_without_expiry(void **state)
{
	hs_answer a = { .status = 200, .body = "{\"access_token\":\"abc.def.ghi\",\"expires_in\":\"-1\"}" };

	(void)state;
	token_case(&a, "expires_in");
}

static void test_hostile__token_endpoint_never_ends(void **state)
{
	hs_answer a = { .status = 200, .mode = HS_SLOWLORIS, .drip_ms = 100 };

	(void)state;
	token_case(&a, "token");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_hostile__truncated_json_is_invalid_not_retried, test_setup),
		cmocka_unit_test_setup(test_hostile__wrong_types_read_as_absent_or_refused, test_setup),
		cmocka_unit_test_setup(test_hostile__huge_body_cut_at_the_cap, test_setup),
		cmocka_unit_test_setup(test_hostile__html_instead_of_a_list, test_setup),
		cmocka_unit_test_setup(test_hostile__list_value_of_the_wrong_type, test_setup),
		cmocka_unit_test_setup(test_hostile__body_cut_on_the_wire_retried_then_fails,
				       test_setup),
		cmocka_unit_test_setup(test_hostile__key_bundle_of_wrong_types_reads_as_unknown,
				       test_setup),
		cmocka_unit_test_setup(test_hostile__key_vault_outside_the_cloud_suffix_refused,
				       test_setup),
		cmocka_unit_test_setup(test_hostile__nextlink_loop_ends_in_an_error, test_setup),
		cmocka_unit_test_setup(test_hostile__location_loop_times_out_on_time, test_setup),
		cmocka_unit_test_setup(test_hostile__missing_lro_headers_poll_the_resource, test_setup),
		cmocka_unit_test_setup(
			test_hostile__resource_poll_answer_not_an_object_is_unreadable, test_setup),
		cmocka_unit_test_setup(test_hostile__missing_lro_headers_and_no_resource_time_out,
				       test_setup),
		cmocka_unit_test_setup(test_hostile__async_operation_on_another_host_refused,
				       test_setup),
		cmocka_unit_test_setup(test_hostile__location_on_another_host_refused, test_setup),
		cmocka_unit_test_setup(test_hostile__disguised_polling_urls_refused, test_setup),
		cmocka_unit_test_setup(test_hostile__absurd_retry_after_is_clamped, test_setup),
		cmocka_unit_test_setup(test_hostile__negative_retry_after_never_busy_polls, test_setup),
		cmocka_unit_test_setup(test_hostile__malformed_status_bodies_give_up, test_setup),
		cmocka_unit_test_setup(test_hostile__huge_status_body_ends_the_wait, test_setup),
		cmocka_unit_test_setup(
			test_hostile__delete_without_headers_ends_when_the_resource_is_gone,
			test_setup),
		cmocka_unit_test_setup(test_hostile__status_url_failing_forever_gives_up, test_setup),
		cmocka_unit_test_setup(test_hostile__retry_after_on_errors_is_bounded, test_setup),
		cmocka_unit_test_setup(test_hostile__thirty_operations_of_garbage_all_end,
				       test_setup),
		cmocka_unit_test_setup(test_hostile__slowloris_body_cut_at_the_request_timeout,
				       test_setup),
		cmocka_unit_test_setup(test_hostile__redirect_not_followed, test_setup),
		cmocka_unit_test_setup(test_hostile__status_url_404_mid_create_follows_the_resource,
				       test_setup),
		cmocka_unit_test_setup(test_hostile__status_url_gone_then_the_resource_failed,
				       test_setup),
		cmocka_unit_test_setup(test_hostile__status_url_404_mid_delete_ends_when_the_resource_404s,
				       test_setup),
		cmocka_unit_test_setup(test_hostile__truncated_token_response, test_setup),
		cmocka_unit_test_setup(test_hostile__token_without_expiry, test_setup),
		cmocka_unit_test_setup(test_hostile__token_endpoint_never_ends, test_setup),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
