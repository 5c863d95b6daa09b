/*
 * test_provider_lro.c - long-running operations against armsim's Log
 * Analytics clusters: each polling form (Azure-AsyncOperation, Location
 * only, provisioningState only - the latter two by following the same real
 * operation through the header a more limited service would have sent),
 * final GET per final-state-via, Retry-After honoured, Failed, timeout and
 * resume from the saved JSON form without a second write, a status URL that
 * answers 404 mid-wait (record lost in a state reload) for a creation and a
 * deletion, many operations in one loop, the documented "busy" 400, cancellation, and tokens of two
 * seconds during a wait. Every test reads armsim's request log.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <unistd.h>

#include <cmocka.h>

#include "providers/arm.h"
#include "providers/lro.h"
#include "providers/paging.h"
#include "tests/integration/it_common.h"

#define SUB "5ab50000-0000-4000-8000-0000000000aa"
#define RG "/subscriptions/" SUB "/resourceGroups/rg-lro"
#define CLUSTERS RG "/providers/Microsoft.OperationalInsights/clusters/"
#define LA_API "2021-06-01"
/* virtual seconds a cluster creation takes in these tests (0.36 s real: long
 * enough to see it running under a loaded machine), and the Retry-After
 * armsim sends (its default, as seen in real traffic) */
#define CREATE_S 3600
#define RETRY_AFTER_S 20

static armsim *sim;

static int setup(void **state)
{
	armsim_opts o = { .fixture = IT_FIXTURES "/providers.json", .seed = 21,
			  .time_scale = IT_SCALE };
	arm_client *c;
	arm_response *resp = NULL;
	arm_request rg = { .method = "PUT", .url = "/subscriptions/" SUB "/resourcegroups/rg-lro",
			   .api_version = "2021-04-01", .body = "{\"location\":\"eastus\"}" };

	sim = it_start(&o);
	it_admin(sim, "PUT", "/_sim/settings", "{\"clusterCreateSeconds\":3600,"
		 "\"clusterUpdateSeconds\":300,\"maxClustersPerRegion\":10}");
	c = it_client(NULL, IT_SCALE);
	if (arm_send(&resp, c, &rg) < 0)
		fail_msg("resource group: %s", cmk_error_last());
	arm_response_free(resp);
	it_client_free(c);
	return 0;
}

static int teardown(void **state)
{
	armsim_stop(sim);
	return 0;
}

static int reset(void **state)
{
	armsim_setenv(sim);
	it_admin(sim, "DELETE", "/_sim/faults", NULL);
	return 0;
}

static void cluster_request(arm_request *req, char *path, size_t n, const char *name,
			    const char *location, char *body, size_t bn)
{
	snprintf(path, n, CLUSTERS "%s", name);
	snprintf(body, bn, "{\"location\":\"%s\",\"identity\":{\"type\":\"SystemAssigned\"},"
		 "\"sku\":{\"name\":\"CapacityReservation\",\"capacity\":1000},"
		 "\"properties\":{\"billingType\":\"Cluster\"}}", location);
	*req = (arm_request){ .method = "PUT", .url = path, .api_version = LA_API, .body = body };
}

/* The PUT that creates a cluster, as the raw response. */
static arm_response *create_cluster(arm_client *c, const char *name, const char *location)
{
	char path[256], body[512];
	arm_request req;
	arm_response *resp = NULL;

	cluster_request(&req, path, sizeof(path), name, location, body, sizeof(body));
	if (arm_send(&resp, c, &req) < 0)
		fail_msg("PUT %s: %s", name, cmk_error_last());
	assert_int_equal(resp->status, 202);
	return resp;
}

/* Remove a header from a response (the form a more limited service sends). */
static void drop_header(arm_response *r, const char *name)
{
	for (size_t i = 0; i < r->nheaders; i++)
		if (strcasecmp(r->headers[i].name, name) == 0)
			r->headers[i].name[0] = '\0';
}

static const char *state_of(const cJSON *res)
{
	return cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(res, "properties"),
							"provisioningState"));
}

static void test_lro__async_operation_url_then_final_get_on_location(void **state)
{
	arm_client *c = it_client(NULL, IT_SCALE);
	char path[256], body[512];
	arm_request req;
	arm_op *op = NULL;
	long since = it_last_seq(sim), gap;
	size_t polls;
	cJSON *log, *last;

	cluster_request(&req, path, sizeof(path), "la-async", "eastus", body, sizeof(body));
	if (arm_op_begin(&op, c, ARM_OP_CLUSTER_CREATE, &req, path, ARM_FINAL_LOCATION, NULL) < 0)
		fail_msg("begin: %s", cmk_error_last());
	assert_int_equal(op->mode, ARM_POLL_ASYNC_OPERATION);
	assert_non_null(strstr(op->async_url, "/operationstatuses/"));
	assert_non_null(strstr(op->async_url, "api-version=2015-11-01-preview"));
	assert_int_equal(op->retry_after_ms, RETRY_AFTER_S * 1000);
	assert_int_equal(arm_op_wait(c, op, NULL), 0);
	assert_int_equal(op->state, ARM_OP_SUCCEEDED);
	assert_string_equal(state_of(op->result), "Succeeded");
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(op->result, "name")),
			    "la-async");

	log = it_requests(sim, since);
	assert_int_equal(it_count(log, "PUT", "/clusters/la-async", 0), 1);
	/* polled after each Retry-After (20 s of armsim's clock), never sooner */
	gap = it_min_gap_ms(log, "GET", "/operationstatuses/", &polls);
	if (gap < RETRY_AFTER_S * 1000 || polls < 2 || polls > CREATE_S / RETRY_AFTER_S + 2)
		fail_msg("%zu status polls, %ld ms apart at least", polls, gap);
	assert_int_equal(op->polls, polls);
	/* final-state-via location: the last request is the Location URL */
	last = cJSON_GetArrayItem(cJSON_GetObjectItem(log, "requests"),
				  cJSON_GetArraySize(cJSON_GetObjectItem(log, "requests")) - 1);
	assert_non_null(strstr(cJSON_GetStringValue(cJSON_GetObjectItem(last, "path")),
			       "/clusters/la-async/operationresults/"));
	assert_int_equal((int)cJSON_GetNumberValue(cJSON_GetObjectItem(last, "status")), 200);
	cJSON_Delete(log);
	arm_op_free(op);
	it_client_free(c);
}

static void test_lro__location_only(void **state)
{
	arm_client *c = it_client(NULL, IT_SCALE);
	arm_response *resp = create_cluster(c, "la-location", "westus");
	arm_op *op = NULL;
	long since = it_last_seq(sim);
	cJSON *log;

	drop_header(resp, "Azure-AsyncOperation");
	assert_int_equal(arm_op_from_response(&op, ARM_OP_CLUSTER_CREATE, "PUT",
					      CLUSTERS "la-location", LA_API, NULL, resp,
					      ARM_FINAL_LOCATION), 0);
	assert_int_equal(op->mode, ARM_POLL_LOCATION);
	assert_int_equal(arm_op_wait(c, op, NULL), 0);
	assert_string_equal(state_of(op->result), "Succeeded");
	log = it_requests(sim, since);
	assert_int_equal(it_count(log, NULL, "/operationstatuses/", 0), 0);
	assert_true(it_count(log, "GET", "/clusters/la-location/operationresults/", 202) >= 2);
	assert_true(it_min_gap_ms(log, "GET", "/clusters/la-location/operationresults/", NULL) >=
		    RETRY_AFTER_S * 1000);
	assert_int_equal(it_count(log, "GET", "/clusters/la-location/operationresults/", 200), 1);
	cJSON_Delete(log);
	arm_op_free(op);
	arm_response_free(resp);
	it_client_free(c);
}

static void test_lro__provisioning_state_only(void **state)
{
	arm_client *c = it_client(NULL, IT_SCALE);
	arm_response *resp = create_cluster(c, "la-state", "northeurope");
	arm_op *op = NULL;
	long since = it_last_seq(sim), gap;
	size_t gets;
	cJSON *log;

	drop_header(resp, "Azure-AsyncOperation");
	drop_header(resp, "Location");
	drop_header(resp, "Retry-After");
	assert_int_equal(arm_op_from_response(&op, ARM_OP_CLUSTER_CREATE, "PUT",
					      CLUSTERS "la-state", LA_API, NULL, resp,
					      ARM_FINAL_LOCATION), 0);
	assert_int_equal(op->mode, ARM_POLL_RESOURCE);
	assert_int_equal(arm_op_wait(c, op, NULL), 0);
	assert_string_equal(state_of(op->result), "Succeeded");
	log = it_requests(sim, since);
	/* no Retry-After: the 30 s default between reads of the cluster */
	gap = it_min_gap_ms(log, "GET", "/clusters/la-state?api-version=" LA_API, &gets);
	if (gap < 30000 || gets < 2 || gets > CREATE_S / 30 + 2)
		fail_msg("%zu resource polls, %ld ms apart at least", gets, gap);
	assert_int_equal(it_count(log, NULL, "/operationresults/", 0), 0);
	cJSON_Delete(log);
	arm_op_free(op);
	arm_response_free(resp);
	it_client_free(c);
}

static void test_lro__synchronous_answers_to_long_running_writes_are_accepted(void **state)
{
	arm_client *c = it_client(NULL, IT_SCALE);
	arm_request del = { .method = "DELETE", .url = CLUSTERS "la-state", .api_version = LA_API };
	arm_op *op = NULL;
	long since = it_last_seq(sim);
	cJSON *log;

	/* a cluster without linked workspaces is deleted at once: 200, no headers,
	 * although the spec marks DELETE long-running */
	assert_int_equal(arm_op_begin(&op, c, ARM_OP_CLUSTER_DELETE, &del, CLUSTERS "la-state",
				      ARM_FINAL_LOCATION, NULL), 0);
	assert_int_equal(op->mode, ARM_POLL_NONE);
	assert_int_equal(op->state, ARM_OP_SUCCEEDED);
	assert_int_equal(arm_op_wait(c, op, NULL), 0);
	log = it_requests(sim, since);
	/* the DELETE, and no poll or read after it */
	assert_int_equal(it_count(log, "DELETE", "/clusters/la-state", 200), 1);
	assert_int_equal(it_count(log, NULL, "/clusters/", 0), 1);
	cJSON_Delete(log);
	arm_op_free(op);
	it_client_free(c);
}

static void test_lro__kusto_running_status_and_a_raw_space_in_the_status_url(void **state)
{
	arm_client *c = it_client(NULL, IT_SCALE);
	arm_request put = { .method = "PUT", .api_version = "2024-04-13",
		.url = RG "/providers/Microsoft.Kusto/clusters/adxit",
		.body = "{\"location\":\"East US\",\"sku\":{\"name\":\"Standard_L16as_v3\","
			"\"capacity\":2,\"tier\":\"Standard\"},\"identity\":{\"type\":"
			"\"SystemAssigned\"},\"properties\":{\"enableDoubleEncryption\":false}}" };
	arm_op *op = NULL;
	long since = it_last_seq(sim);
	cJSON *log;

	if (arm_op_begin(&op, c, ARM_OP_KUSTO_CREATE, &put, put.url, ARM_FINAL_LOCATION, NULL) < 0)
		fail_msg("begin: %s", cmk_error_last());
	/* 201 with Azure-AsyncOperation only, its URL with a raw space, kept as is */
	assert_int_equal(op->mode, ARM_POLL_ASYNC_OPERATION);
	assert_null(op->location_url);
	assert_non_null(strstr(op->async_url, "/locations/East US/operationResults/"));
	assert_int_equal(arm_op_wait(c, op, NULL), 0);
	/* "Running" was not terminal: polled more than once, then the resource
	 * read back (no Location URL to follow) */
	assert_true(op->polls >= 2);
	assert_string_equal(state_of(op->result), "Succeeded");
	log = it_requests(sim, since);
	assert_int_equal(it_count(log, "GET", "/locations/East US/operationResults/", 200),
			 op->polls);
	assert_int_equal(it_count(log, "GET", "/Microsoft.Kusto/clusters/adxit?api-version="
				  "2024-04-13", 200), 1);
	cJSON_Delete(log);
	arm_op_free(op);
	it_client_free(c);
}

static void test_lro__an_unreadable_status_is_retried_not_failed(void **state)
{
	/* two attempts per request: five 500s in a row outlast a request's own
	 * retries, so the operation itself must carry on */
	arm_client *c = it_client_with(NULL, IT_SCALE, 2, 0);
	char path[256], body[512];
	arm_request req;
	arm_op *op = NULL;
	long since = it_last_seq(sim);
	cJSON *log;

	cluster_request(&req, path, sizeof(path), "la-flaky", "eastus", body, sizeof(body));
	assert_int_equal(arm_op_begin(&op, c, ARM_OP_CLUSTER_CREATE, &req, path,
				      ARM_FINAL_LOCATION, NULL), 0);
	it_admin(sim, "PUT", "/_sim/faults", "[{\"method\":\"GET\",\"resourceType\":\"*\","
		 "\"path\":\"/operationstatuses/\",\"fault\":\"500\",\"count\":5}]");
	assert_int_equal(arm_op_wait(c, op, NULL), 0);
	assert_string_equal(state_of(op->result), "Succeeded");
	log = it_requests(sim, since);
	assert_int_equal(it_count(log, "GET", "/operationstatuses/", 500), 5);
	assert_true(it_count(log, "GET", "/operationstatuses/", 200) >= 1);
	cJSON_Delete(log);
	arm_op_free(op);
	it_client_free(c);
}

static void test_lro__failed_operation_carries_arm_error(void **state)
{
	arm_client *c = it_client(NULL, IT_SCALE);
	char path[256], body[512];
	arm_request req;
	arm_op *op = NULL;
	char *line;

	it_admin(sim, "PUT", "/_sim/faults", "[{\"method\":\"*\",\"resourceType\":"
		 "\"Microsoft.OperationalInsights/clusters\",\"fault\":\"async_fail\",\"count\":1}]");
	cluster_request(&req, path, sizeof(path), "la-fails", "eastus2", body, sizeof(body));
	if (arm_op_begin(&op, c, ARM_OP_CLUSTER_CREATE, &req, path, ARM_FINAL_LOCATION, NULL) < 0)
		fail_msg("begin: %s", cmk_error_last());
	assert_int_equal(arm_op_wait(c, op, NULL), CMK_ERROR);
	assert_int_equal(op->state, ARM_OP_FAILED);
	assert_non_null(op->error);
	assert_non_null(op->error->arm_code);
	line = arm_error_line(op->error);
	assert_string_equal(cmk_error_last(), line);
	assert_non_null(strstr(line, "PUT " CLUSTERS "la-fails: operation failed ("));
	assert_string_equal(op->last_status, "Failed");
	free(line);
	arm_op_free(op);
	it_client_free(c);
}

static void test_lro__canceled_operation_is_reported_as_canceled(void **state)
{
	arm_client *c = it_client(NULL, IT_SCALE);
	char path[256], body[512], cancel[128];
	const char *id;
	size_t n;
	arm_request req;
	arm_op *op = NULL;

	cluster_request(&req, path, sizeof(path), "la-canceled", "eastus2", body, sizeof(body));
	assert_int_equal(arm_op_begin(&op, c, ARM_OP_CLUSTER_CREATE, &req, path,
				      ARM_FINAL_LOCATION, NULL), 0);
	/* someone cancels it in Azure (armsim's admin API plays that part) */
	id = strrchr(op->async_url, '/') + 1;
	n = strcspn(id, "?");
	snprintf(cancel, sizeof(cancel), "{\"id\":\"%.*s\"}", (int)n, id);
	it_admin(sim, "POST", "/_sim/operations/cancel", cancel);
	assert_int_equal(arm_op_wait(c, op, NULL), CMK_ECANCELED);
	assert_int_equal(op->state, ARM_OP_CANCELED);
	assert_string_equal(op->last_status, "Canceled");
	assert_non_null(op->error);
	assert_string_equal(op->error->arm_code, "OperationCanceled");
	assert_non_null(strstr(cmk_error_last(), "PUT " CLUSTERS "la-canceled: operation canceled "
					       "(OperationCanceled): The operation was canceled."));
	arm_op_free(op);
	it_client_free(c);
}

static void test_lro__timeout_then_resume_from_the_saved_operation(void **state)
{
	arm_client *c = it_client(NULL, IT_SCALE);
	char path[256], body[512], *saved;
	arm_request req;
	arm_op *op = NULL, *resumed = NULL;
	cJSON *j = NULL, *log;
	long since = it_last_seq(sim);

	cluster_request(&req, path, sizeof(path), "la-resume", "eastus", body, sizeof(body));
	assert_int_equal(arm_op_begin(&op, c, ARM_OP_CLUSTER_CREATE, &req, path,
				      ARM_FINAL_LOCATION, NULL), 0);
	op->timeout_s = 120; /* the creation takes 3600 */
	assert_int_equal(arm_op_wait(c, op, NULL), CMK_ETIMEOUT);
	assert_int_equal(op->state, ARM_OP_TIMED_OUT);
	assert_non_null(strstr(cmk_error_last(), "cluster.create did not finish within 120 s (last "
					       "status InProgress)"));

	/* what an interrupted apply writes down, and a later run reads back */
	assert_int_equal(arm_op_to_json(&j, op), 0);
	saved = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	arm_op_free(op);
	it_client_free(c);
	c = it_client(NULL, IT_SCALE);
	j = cJSON_Parse(saved);
	cJSON_ReplaceItemInObject(j, "timeoutSeconds", cJSON_CreateNumber(6 * 3600));
	assert_int_equal(arm_op_from_json(&resumed, j), 0);
	assert_int_equal(arm_op_wait(c, resumed, NULL), 0);
	assert_string_equal(state_of(resumed->result), "Succeeded");

	log = it_requests(sim, since);
	assert_int_equal(it_count(log, "PUT", "/clusters/la-resume", 0), 1); /* written once */
	cJSON_Delete(log);
	cJSON_Delete(j);
	free(saved);
	arm_op_free(resumed);
	it_client_free(c);
}

static void test_lro__many_operations_are_polled_in_one_loop(void **state)
{
	arm_client *c = it_client(NULL, IT_SCALE);
	const char *names[] = { "la-m1", "la-m2", "la-m3", "la-m4" };
	char paths[4][256], bodies[4][512];
	arm_request reqs[4];
	arm_op *ops[4];
	long since = it_last_seq(sim), first_end = 0, last_start = 0;
	cJSON *log, *r;
	int64_t t0;

	for (int i = 0; i < 4; i++) {
		cluster_request(&reqs[i], paths[i], sizeof(paths[i]), names[i], "uksouth",
				bodies[i], sizeof(bodies[i]));
		assert_int_equal(arm_op_begin(&ops[i], c, ARM_OP_CLUSTER_CREATE, &reqs[i], paths[i],
					      ARM_FINAL_LOCATION, NULL), 0);
	}
	t0 = arm_now_ms();
	assert_int_equal(arm_op_wait_all(c, ops, 4, NULL), 0);
	/* four one-hour creations in parallel take about one: 0.36 s real, not 1.44 */
	assert_true(arm_now_ms() - t0 < 4 * CREATE_S * 1000 / IT_SCALE);
	log = it_requests(sim, since);
	/* the polls interleave: op 4 was polled before op 1's last poll */
	cJSON_ArrayForEach(r, cJSON_GetObjectItem(log, "requests")) {
		const char *p = cJSON_GetStringValue(cJSON_GetObjectItem(r, "path"));
		long seq = (long)cJSON_GetNumberValue(cJSON_GetObjectItem(r, "seq"));
		if (strstr(p, "/clusters/la-m1/operationresults/"))
			first_end = seq;
		if (strstr(p, "/operationstatuses/") && !last_start)
			last_start = seq;
	}
	assert_true(last_start < first_end);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(ops[i]->state, ARM_OP_SUCCEEDED);
		arm_op_free(ops[i]);
	}
	cJSON_Delete(log);
	it_client_free(c);
}

static void test_lro__busy_cluster_answer_means_wait_then_retry(void **state)
{
	arm_client *c = it_client(NULL, IT_SCALE);
	arm_request patch = { .method = "PATCH", .url = CLUSTERS "la-async", .api_version = LA_API,
			      .body = "{\"sku\":{\"name\":\"CapacityReservation\",\"capacity\":1100}}" };
	arm_request again = patch;
	arm_op *op = NULL, *second = NULL;
	arm_error *err = NULL;

	again.body = "{\"sku\":{\"name\":\"CapacityReservation\",\"capacity\":1200}}";
	assert_int_equal(arm_op_begin(&op, c, ARM_OP_CLUSTER_UPDATE, &patch, CLUSTERS "la-async",
				      ARM_FINAL_LOCATION, NULL), 0);
	assert_int_equal(op->state, ARM_OP_POLL_WAIT);
	/* a second write while the first runs: the documented 400 */
	assert_int_equal(arm_op_begin(&second, c, ARM_OP_CLUSTER_UPDATE, &again,
				      CLUSTERS "la-async", ARM_FINAL_LOCATION, &err), CMK_EINVALID);
	assert_non_null(err);
	assert_int_equal(err->klass, ARM_ERROR_WAIT_RUNNING);
	assert_non_null(strstr(err->message, "Operation cannot be executed now"));
	arm_error_free(err);
	err = NULL;
	/* so: wait for the running one, then send the same request again */
	assert_int_equal(arm_op_wait(c, op, NULL), 0);
	assert_int_equal(arm_op_begin(&second, c, ARM_OP_CLUSTER_UPDATE, &again,
				      CLUSTERS "la-async", ARM_FINAL_LOCATION, &err), 0);
	assert_int_equal(arm_op_wait(c, second, NULL), 0);
	assert_int_equal((int)cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetObjectItem(
		second->result, "sku"), "capacity")), 1200);
	arm_op_free(op);
	arm_op_free(second);
	it_client_free(c);
}

#define WS_API "2022-10-01"
#define WS_LIST "/subscriptions/" SUB "/providers/Microsoft.OperationalInsights/workspaces"

typedef struct {
	int rounds;
	char cluster_id[256];
} link_observer;

/* One list call observes every link: a workspace whose
 * features.clusterResourceId names the cluster is linked. */
static int observe_links(void *ud, arm_client *c, arm_op **ops, size_t n)
{
	link_observer *lo = ud;
	cJSON *list = NULL, *ws;
	int error;

	lo->rounds++;
	if ((error = arm_list_all(&list, c, WS_LIST, WS_API, 0, NULL)) < 0)
		return error;
	for (size_t i = 0; i < n; i++) {
		size_t len = strcspn(ops[i]->resource_id, "");
		const char *cut = strcasestr(ops[i]->resource_id, "/linkedServices/");
		if (cut)
			len = (size_t)(cut - ops[i]->resource_id);
		cJSON_ArrayForEach(ws, list) {
			const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(ws, "id"));
			const char *linked = cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(
				cJSON_GetObjectItem(ws, "properties"), "features"), "clusterResourceId"));
			if (id && strlen(id) == len && strncasecmp(id, ops[i]->resource_id, len) == 0 &&
			    linked && strcasecmp(linked, lo->cluster_id) == 0) {
				arm_op_complete(ops[i], cJSON_Duplicate(ws, 1));
				break;
			}
		}
	}
	cJSON_Delete(list);
	return 0;
}

static void test_lro__links_observed_with_one_list_call_per_round(void **state)
{
	arm_client *c = it_client(NULL, IT_SCALE);
	arm_op *cluster = NULL, *ops[4], *again = NULL;
	arm_error *err = NULL, *errs[4];
	int rcs[4];
	char path[256], body[512], paths[4][256], bodies[3][512];
	arm_request req, links[4];
	link_observer lo = { 0 };
	arm_op_wait_opts wo = { .observe = observe_links, .observe_ud = &lo,
				.observe_ms = 300 * 1000 };
	long since;
	size_t lists;
	cJSON *log;

	cluster_request(&req, path, sizeof(path), "la-links", "eastus", body, sizeof(body));
	assert_int_equal(arm_op_begin(&cluster, c, ARM_OP_CLUSTER_CREATE, &req, path,
				      ARM_FINAL_LOCATION, NULL), 0);
	assert_int_equal(arm_op_wait(c, cluster, NULL), 0);
	snprintf(lo.cluster_id, sizeof(lo.cluster_id), "%s",
		 cJSON_GetStringValue(cJSON_GetObjectItem(cluster->result, "id")));
	for (int i = 0; i < 3; i++) {
		arm_op *ws = NULL;
		arm_request put = { .method = "PUT", .url = paths[i], .api_version = WS_API,
				    .body = "{\"location\":\"eastus\",\"properties\":{\"sku\":"
					    "{\"name\":\"PerGB2018\"}}}" };
		snprintf(paths[i], sizeof(paths[i]), RG "/providers/Microsoft.OperationalInsights/"
			 "workspaces/ws-link-%d", i);
		assert_int_equal(arm_op_begin(&ws, c, ARM_OP_WORKSPACE_CREATE, &put, paths[i],
					      ARM_FINAL_LOCATION, NULL), 0);
		assert_int_equal(arm_op_wait(c, ws, NULL), 0);
		arm_op_free(ws);
		strcat(paths[i], "/linkedServices/cluster");
		snprintf(bodies[i], sizeof(bodies[i]), "{\"properties\":{\"writeAccessResourceId\":"
			 "\"%s\"}}", lo.cluster_id);
		links[i] = (arm_request){ .method = "PUT", .url = paths[i], .api_version = "2020-08-01",
					  .body = bodies[i] };
	}
	since = it_last_seq(sim);
	/* the writes go out together; one names a workspace that does not exist */
	snprintf(paths[3], sizeof(paths[3]), RG "/providers/Microsoft.OperationalInsights/"
		 "workspaces/ws-missing/linkedServices/cluster");
	links[3] = links[0];
	links[3].url = paths[3];
	assert_int_equal(arm_op_begin_all(ops, rcs, errs, c, ARM_OP_WORKSPACE_LINK, links, NULL, 4,
					  ARM_FINAL_LOCATION), CMK_ENOTFOUND);
	assert_int_equal(rcs[3], CMK_ENOTFOUND);
	assert_null(ops[3]);
	assert_non_null(errs[3]);
	assert_int_equal(errs[3]->http_status, 404);
	arm_error_free(errs[3]);
	for (int i = 0; i < 3; i++) {
		assert_null(errs[i]);
		assert_int_equal(rcs[i], 0);
		assert_int_equal(ops[i]->mode, ARM_POLL_ASYNC_OPERATION);
		ops[i]->observed = 1;
	}
	/* linking again while the link runs: the documented 409, "wait" */
	assert_int_equal(arm_send(NULL, c, &links[0]), CMK_ECONFLICT);
	assert_non_null(strstr(cmk_error_last(), "409 Conflict"));
	assert_non_null(strstr(cmk_error_last(), "Workspace link or unlink operation in process."));
	assert_int_equal(arm_op_begin(&again, c, ARM_OP_WORKSPACE_LINK, &links[0], paths[0],
				      ARM_FINAL_LOCATION, &err), CMK_ECONFLICT);
	assert_null(again);
	assert_int_equal(err->klass, ARM_ERROR_WAIT_RUNNING);
	arm_error_free(err);

	assert_int_equal(arm_op_wait_all(c, ops, 3, &wo), 0);
	log = it_requests(sim, since);
	assert_int_equal(it_count(log, "GET", "/operationstatuses/", 0), 0);
	assert_int_equal(it_count(log, "GET", "/operationresults/", 0), 0);
	lists = it_count(log, "GET", "/providers/Microsoft.OperationalInsights/workspaces?", 200);
	assert_int_equal(lists, (size_t)lo.rounds);
	/* 30 min links seen every 5 min: about 7 rounds for all three together */
	assert_true(lo.rounds >= 2 && lo.rounds <= 9);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(ops[i]->state, ARM_OP_SUCCEEDED);
		assert_non_null(ops[i]->result);
		arm_op_free(ops[i]);
	}
	cJSON_Delete(log);
	arm_op_free(cluster);
	it_client_free(c);
}

static volatile sig_atomic_t cancel_flag;

static void *raise_cancel(void *arg)
{
	usleep(300 * 1000);
	cancel_flag = 1;
	return arg;
}

static void test_lro__cancel_flag_stops_the_wait_and_leaves_it_resumable(void **state)
{
	arm_cloud *cloud = NULL;
	arm_client *c = NULL;
	arm_client_opts o = { 0 };
	char path[256], body[512];
	arm_request req;
	arm_op *op = NULL;
	pthread_t t;
	int64_t t0;
	cJSON *j = NULL;

	assert_int_equal(arm_cloud_resolve(&cloud, NULL), 0);
	o.cloud = cloud;
	o.time_scale = 1.0; /* real time: the creation would take 10 minutes */
	o.cancel = &cancel_flag;
	assert_int_equal(arm_client_new(&c, &o), 0);
	cluster_request(&req, path, sizeof(path), "la-cancel", "japaneast", body, sizeof(body));
	assert_int_equal(arm_op_begin(&op, c, ARM_OP_CLUSTER_CREATE, &req, path,
				      ARM_FINAL_LOCATION, NULL), 0);
	op->poll_now = 1; /* poll at once, then wait 20 s */
	assert_int_equal(pthread_create(&t, NULL, raise_cancel, NULL), 0);
	t0 = arm_now_ms();
	assert_int_equal(arm_op_wait(c, op, NULL), CMK_ECANCELED);
	assert_true(arm_now_ms() - t0 < 2500);
	pthread_join(t, NULL);
	assert_int_equal(op->state, ARM_OP_ERROR);
	assert_int_equal(op->error->code, CMK_ECANCELED);
	assert_int_equal(arm_op_to_json(&j, op), 0);
	cJSON_Delete(j);
	arm_op_free(op);
	arm_client_free(c);
	arm_cloud_free(cloud);
	cancel_flag = 0;
}

/* A front-end restart that loses the record of a running cluster creation,
 * played on armsim from a second thread while the client waits: once the
 * status URL has answered InProgress twice, the state is reloaded without the
 * operation (its URL answers 404 OperationNotFound, the cluster stays in
 * provisioning); once the client has read the cluster itself, the cluster
 * is made Succeeded. */
typedef struct {
	const char *id;   /* the cluster */
	const char *part; /* its path as the request log shows it */
	int del;          /* a deletion: at last the cluster is removed, not Succeeded */
	long since;       /* request log sequence before the write */
	char failed[256]; /* what went wrong in the thread, or "" */
} record_loss;

/* Wait (10 s real at most) until `need` logged requests match. */
static int loss__await(record_loss *l, const char *method, const char *part, int status,
		       size_t need)
{
	for (int i = 0; i < 1000; i++) {
		cJSON *log = it_requests(sim, l->since);
		size_t n = it_count(log, method, part, status);

		cJSON_Delete(log);
		if (n >= need)
			return 0;
		usleep(10 * 1000);
	}
	snprintf(l->failed, sizeof(l->failed), "never saw %zu %s %s (%d)", need, method, part,
		 status);
	return -1;
}

enum { LOSS_DROP_OPERATION, LOSS_SETTLE, LOSS_LINK };

/* Reload armsim's state with the cluster's operations dropped, or the
 * cluster's provisioningState set to Succeeded (removed: l->del), or a linked
 * workspace recorded on it (so that its deletion is a long-running one). */
static int loss__reload(record_loss *l, int what)
{
	int drop = what == LOSS_DROP_OPERATION;
	cJSON *st = NULL, *x, *arr;
	char *text;
	int rc, i;

	if (armsim_admin(sim, "GET", "/_sim/state", NULL, &st) != 200 || !st) {
		snprintf(l->failed, sizeof(l->failed), "GET /_sim/state failed");
		cJSON_Delete(st);
		return -1;
	}
	arr = cJSON_GetObjectItem(st, drop ? "operations" : "resources");
	for (i = cJSON_GetArraySize(arr) - 1; i >= 0; i--) {
		x = cJSON_GetArrayItem(arr, i);
		const char *rid = cJSON_GetStringValue(cJSON_GetObjectItem(x, drop ? "resourceId" : "id"));

		if (!rid || strcasecmp(rid, l->id) != 0)
			continue;
		if (what == LOSS_LINK)
			cJSON_AddItemToObject(cJSON_GetObjectItem(x, "properties"), "associatedWorkspaces",
					      cJSON_Parse("[{\"workspaceId\":\"00000000-0000-4000-8000-00000000ab01\","
							  "\"workspaceName\":\"ws-lost\",\"resourceId\":\"" RG
							  "/providers/Microsoft.OperationalInsights/workspaces/ws-lost\"}]"));
		else if (drop || l->del)
			cJSON_DeleteItemFromArray(arr, i);
		else
			cJSON_ReplaceItemInObject(cJSON_GetObjectItem(x, "properties"), "provisioningState",
						  cJSON_CreateString("Succeeded"));
	}
	text = cJSON_PrintUnformatted(st);
	rc = armsim_admin(sim, "PUT", "/_sim/state", text, NULL);
	free(text);
	cJSON_Delete(st);
	if (rc < 200 || rc > 299) {
		snprintf(l->failed, sizeof(l->failed), "PUT /_sim/state: %d", rc);
		return -1;
	}
	return 0;
}

static void *lose_the_record(void *arg)
{
	record_loss *l = arg;

	if (loss__await(l, "GET", "/operationstatuses/", 200, 2) == 0 &&
	    loss__reload(l, LOSS_DROP_OPERATION) == 0 &&
	    loss__await(l, "GET", "/operationstatuses/", 404, 1) == 0 &&
	    loss__await(l, "GET", l->part, 200, 1) == 0)
		(void)loss__reload(l, LOSS_SETTLE);
	return NULL;
}

static void test_lro__status_url_404_mid_wait_follows_the_resource(void **state)
{
	arm_client *c = it_client(NULL, IT_SCALE);
	/* 200 virtual seconds apart: 20 ms real, a short request log */
	arm_op_wait_opts w = { .default_poll_ms = 200000, .min_poll_ms = 200000,
			       .max_poll_ms = 200000 };
	char path[256], body[512];
	record_loss l = { .part = "/clusters/la-gone", .since = it_last_seq(sim) };
	arm_request req;
	arm_op *op = NULL;
	pthread_t t;
	cJSON *log;

	/* long enough that only the reload can end it */
	it_admin(sim, "PUT", "/_sim/settings", "{\"clusterCreateSeconds\":36000000}");
	cluster_request(&req, path, sizeof(path), "la-gone", "eastus", body, sizeof(body));
	l.id = path;
	if (arm_op_begin(&op, c, ARM_OP_CLUSTER_CREATE, &req, path, ARM_FINAL_LOCATION, NULL) < 0)
		fail_msg("begin: %s", cmk_error_last());
	assert_int_equal(op->mode, ARM_POLL_ASYNC_OPERATION);
	assert_int_equal(pthread_create(&t, NULL, lose_the_record, &l), 0);
	assert_int_equal(arm_op_wait(c, op, &w), 0);
	pthread_join(t, NULL);
	it_admin(sim, "PUT", "/_sim/settings", "{\"clusterCreateSeconds\":3600}");
	if (l.failed[0])
		fail_msg("%s", l.failed);
	assert_int_equal(op->state, ARM_OP_SUCCEEDED);
	assert_int_equal(op->mode, ARM_POLL_RESOURCE);
	assert_string_equal(state_of(op->result), "Succeeded");
	log = it_requests(sim, l.since);
	assert_int_equal(it_count(log, "PUT", "/clusters/la-gone", 0), 1); /* no write re-sent */
	assert_int_equal(it_count(log, "GET", "/operationstatuses/", 404), 1); /* not re-read */
	assert_true(it_count(log, "GET", "/clusters/la-gone", 200) >= 2);
	cJSON_Delete(log);
	arm_op_free(op);
	it_client_free(c);
}

static void test_lro__status_url_404_mid_delete_ends_when_the_resource_404s(void **state)
{
	arm_client *c = it_client(NULL, IT_SCALE);
	arm_op_wait_opts w = { .default_poll_ms = 200000, .min_poll_ms = 200000,
			       .max_poll_ms = 200000 };
	char path[256], body[512];
	record_loss l = { .part = "/clusters/la-lost", .del = 1 };
	arm_request req;
	arm_op *op = NULL;
	pthread_t t;
	cJSON *log;

	cluster_request(&req, path, sizeof(path), "la-lost", "eastus", body, sizeof(body));
	l.id = path;
	if (arm_op_begin(&op, c, ARM_OP_CLUSTER_CREATE, &req, path, ARM_FINAL_LOCATION, NULL) < 0)
		fail_msg("begin: %s", cmk_error_last());
	assert_int_equal(arm_op_wait(c, op, NULL), 0);
	arm_op_free(op);
	op = NULL;
	/* a deletion that only the reload can end: with a workspace linked it
	 * takes unlinkSeconds */
	it_admin(sim, "PUT", "/_sim/settings", "{\"unlinkSeconds\":36000000}");
	if (loss__reload(&l, LOSS_LINK) < 0)
		fail_msg("%s", l.failed);
	l.since = it_last_seq(sim);
	req = (arm_request){ .method = "DELETE", .url = path, .api_version = LA_API };
	if (arm_op_begin(&op, c, ARM_OP_CLUSTER_DELETE, &req, path, ARM_FINAL_DEFAULT, NULL) < 0)
		fail_msg("delete: %s", cmk_error_last());
	assert_int_equal(op->mode, ARM_POLL_ASYNC_OPERATION);
	assert_int_equal(pthread_create(&t, NULL, lose_the_record, &l), 0);
	assert_int_equal(arm_op_wait(c, op, &w), 0);
	pthread_join(t, NULL);
	it_admin(sim, "PUT", "/_sim/settings", "{\"unlinkSeconds\":1800}");
	if (l.failed[0])
		fail_msg("%s", l.failed);
	assert_int_equal(op->state, ARM_OP_SUCCEEDED);
	assert_int_equal(op->mode, ARM_POLL_RESOURCE);
	log = it_requests(sim, l.since);
	assert_int_equal(it_count(log, "DELETE", "/clusters/la-lost", 0), 1);
	assert_int_equal(it_count(log, "GET", "/operationstatuses/", 404), 1);
	assert_true(it_count(log, "GET", "/clusters/la-lost", 200) >= 1); /* Deleting */
	assert_int_equal(it_count(log, "GET", "/clusters/la-lost", 404), 1); /* then gone */
	cJSON_Delete(log);
	arm_op_free(op);
	it_client_free(c);
}

static void test_lro__two_second_tokens_during_a_long_wait(void **state)
{
	armsim_opts o = { .fixture = IT_FIXTURES "/providers.json", .seed = 22,
			  .time_scale = 120.0, .token_lifetime = 2 };
	armsim *brief = it_start(&o);
	arm_client *c = it_client(NULL, 120.0);
	arm_response *resp = NULL;
	arm_request rg = { .method = "PUT", .url = "/subscriptions/" SUB "/resourcegroups/rg-lro",
			   .api_version = "2021-04-01", .body = "{\"location\":\"eastus\"}" };
	char path[256], body[512];
	arm_request req;
	arm_op *op = NULL;
	cJSON *log = NULL;
	int64_t t0;

	it_admin(brief, "PUT", "/_sim/settings", "{\"clusterCreateSeconds\":600}");
	assert_int_equal(arm_send(&resp, c, &rg), 0);
	arm_response_free(resp);
	cluster_request(&req, path, sizeof(path), "la-tokens", "eastus", body, sizeof(body));
	assert_int_equal(arm_op_begin(&op, c, ARM_OP_CLUSTER_CREATE, &req, path,
				      ARM_FINAL_LOCATION, NULL), 0);
	/* 600 virtual seconds at 120x: a 5 s wait, more than two token lifetimes */
	t0 = arm_now_ms();
	assert_int_equal(arm_op_wait(c, op, NULL), 0);
	assert_true(arm_now_ms() - t0 >= 4000);
	assert_int_equal(armsim_admin(brief, "GET", "/_sim/requests?since=0", NULL, &log), 200);
	assert_true(it_count(log, "POST", "/oauth2/v2.0/token", 200) >= 3);
	assert_int_equal(it_count(log, NULL, NULL, 401), 0);
	assert_true(it_count(log, "GET", "/operationstatuses/", 200) >= 10);
	cJSON_Delete(log);
	arm_op_free(op);
	it_client_free(c);
	armsim_stop(brief);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_lro__async_operation_url_then_final_get_on_location, reset),
		cmocka_unit_test_setup(test_lro__location_only, reset),
		cmocka_unit_test_setup(test_lro__provisioning_state_only, reset),
		cmocka_unit_test_setup(test_lro__synchronous_answers_to_long_running_writes_are_accepted, reset),
		cmocka_unit_test_setup(test_lro__kusto_running_status_and_a_raw_space_in_the_status_url, reset),
		cmocka_unit_test_setup(test_lro__an_unreadable_status_is_retried_not_failed, reset),
		cmocka_unit_test_setup(test_lro__failed_operation_carries_arm_error, reset),
		cmocka_unit_test_setup(test_lro__canceled_operation_is_reported_as_canceled, reset),
		cmocka_unit_test_setup(test_lro__timeout_then_resume_from_the_saved_operation, reset),
		cmocka_unit_test_setup(test_lro__many_operations_are_polled_in_one_loop, reset),
		cmocka_unit_test_setup(test_lro__busy_cluster_answer_means_wait_then_retry, reset),
		cmocka_unit_test_setup(test_lro__links_observed_with_one_list_call_per_round, reset),
		cmocka_unit_test_setup(test_lro__cancel_flag_stops_the_wait_and_leaves_it_resumable, reset),
		cmocka_unit_test_setup(test_lro__status_url_404_mid_wait_follows_the_resource, reset),
		cmocka_unit_test_setup(test_lro__status_url_404_mid_delete_ends_when_the_resource_404s, reset),
		cmocka_unit_test_setup(test_lro__two_second_tokens_during_a_long_wait, reset),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
