/*
 * test_apply_busy.c - a cluster busy with an operation cmkctl did not start.
 *
 * 1. Seen by the plan: apply waits for it (a cluster.wait step) and only
 *    then writes; not one 400 in armsim's log and no hazard.
 * 2. A race the plan could not see (the operation starts between plan and
 *    write): ARM answers 400 "Operation cannot be executed now"; the step
 *    waits for the running operation and sends the same request again,
 *    once, and succeeds - the report notes it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "planner/plan.h"
#include "reconciler/executor.h"
#include "reconciler/live_azure.h"
#include "reconciler/plan_input.h"
#include "reconciler/report.h"
#include "tests/integration/cli_common.h"

/* A slower clock than IT_SCALE: the foreign update (3600 s) must still run
 * when cmkctl, started as a process on a loaded machine, reads the cluster
 * (1.4 s real here; 0.36 s at IT_SCALE was missed under load). */
#define BUSY_SCALE (IT_SCALE / 4)

#define SHARED "/subscriptions/5d3e9a47-1c2b-4f6e-9a8d-2b7c4e1f0a93/resourceGroups/rg-monitor-eus/providers/" \
	       "Microsoft.OperationalInsights/clusters/la-shared-eus"

static const char *const example_files[] = { "00-keys.yaml", "10-identities.yaml", "20-clusters.yaml",
					     "30-workspace-links.yaml", "40-linked-storage.yaml", "50-kusto.yaml",
					     "60-appinsights-legacy.yaml" };

/* The examples in `dst` with the shared cluster's capacity 500 -> 2000. */
static void write_examples_bigger(const char *dst)
{
	for (size_t i = 0; i < sizeof(example_files) / sizeof(example_files[0]); i++) {
		char src[512], out[512], *at;
		cmk_buf b = CMK_BUF_INIT;
		FILE *f;

		snprintf(src, sizeof(src), "%s/%s", CLI_EXAMPLES, example_files[i]);
		snprintf(out, sizeof(out), "%s/%s", dst, example_files[i]);
		cmk_buf_init(&b, 1 << 20);
		assert_int_equal(cmk_buf_read_file(&b, src), 0);
		assert_non_null(f = fopen(out, "w"));
		if ((at = strstr(b.ptr, "capacity: 500")) != NULL) {
			fwrite(b.ptr, 1, (size_t)(at - b.ptr), f);
			fputs("capacity: 2000", f);
			fputs(at + 13, f);
		} else {
			fwrite(b.ptr, 1, b.len, f);
		}
		fclose(f);
		cmk_buf_free(&b);
	}
}

/* Someone else's sku update on the shared cluster (armsim: Updating for
 * clusterUpdateSeconds, fixed when the operation starts). */
static void start_foreign_update(cli_ctx *x)
{
	armsim_http_resp resp;

	assert_int_equal(armsim_arm(&resp, x->sim, "PATCH", SHARED "?api-version=2026-03-01",
				    "{\"sku\":{\"name\":\"CapacityReservation\",\"capacity\":1000}}"), 0);
	assert_int_equal(resp.status, 202);
	armsim_http_free(&resp);
}

static void test_apply__busy_cluster_in_the_plan_is_waited_for(void **state)
{
	char dir[400];
	const char *argv[] = { "apply", "-f", dir, "--auto-approve", "-o", "json", "--state-dir", NULL, NULL };
	const cJSON *s;
	cli_ctx x;
	cJSON *rep;
	long mark;
	int run;

	(void)state;
	cli_start(&x, BUSY_SCALE);
	assert_int_equal(cli_apply_examples(&x, &run), 0);
	snprintf(dir, sizeof(dir), "%s/manifests", x.dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	write_examples_bigger(dir);
	argv[7] = x.state;
	/* an update an hour long, started by someone else */
	it_admin(x.sim, "PUT", "/_sim/settings", "{\"clusterUpdateSeconds\":3600}");
	mark = it_last_seq(x.sim);
	start_foreign_update(&x);
	/* cmkctl's own update shorter: one as long as cluster.update's 3600 s
	 * deadline ends on it, and times out on a loaded machine */
	it_admin(x.sim, "PUT", "/_sim/settings", "{\"clusterUpdateSeconds\":600}");
	assert_int_equal(cli_run(&x, &run, argv), 0);
	rep = cli_json(&x, run);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(rep, "result")), "succeeded");
	s = cJSON_GetArrayItem(cJSON_GetObjectItem(rep, "steps"), 0);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(s, "kind")), "cluster.wait");
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(s, "status")), "succeeded");
	cJSON_Delete(rep);
	/* waited, then one write: no busy answer, no hazard */
	rep = it_requests(x.sim, mark);
	assert_int_equal(it_count(rep, "PATCH", "/clusters/la-shared-eus", 0), 2); /* theirs, ours */
	cJSON_Delete(rep);
	assert_int_equal(cli_busy_errors(&x), 0);
	assert_int_equal(cli_hazards(&x), 0);
	cli_stop(&x);
}

static void test_apply__busy_answer_after_planning_waits_and_sends_again(void **state)
{
	char dir[400];
	source_spec spec = SOURCE_SPEC_INIT;
	plan_options popts = PLAN_OPTIONS_INIT;
	live_azure_conn conn = { 0 };
	plan_input in;
	plan *p = NULL;
	report *r = NULL;
	cli_ctx x;
	cJSON *log;
	long mark;
	size_t i;
	int run, rc;

	(void)state;
	memset(&in, 0, sizeof(in));
	cli_start(&x, BUSY_SCALE);
	assert_int_equal(cli_apply_examples(&x, &run), 0);
	snprintf(dir, sizeof(dir), "%s/manifests", x.dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	write_examples_bigger(dir);
	it_admin(x.sim, "PUT", "/_sim/settings", "{\"clusterUpdateSeconds\":3600}");
	mark = it_last_seq(x.sim);

	/* plan while the cluster is idle ... */
	spec.files[spec.nfiles++] = dir;
	assert_int_equal(live_azure_connect(&conn, NULL), 0);
	in.client = conn.client;
	assert_int_equal(plan_input_open(&in, &spec, NULL, stderr), 0);
	assert_int_equal(plan_build(&p, in.set, &in.live, &popts), 0);
	assert_int_equal(p->step_count, 1);
	assert_int_equal(p->steps[0].kind, PLAN_STEP_CLUSTER_UPDATE);
	/* ... someone starts an update before the write ... */
	start_foreign_update(&x);
	/* cmkctl's own update shorter: one as long as cluster.update's 3600 s
	 * deadline ends on it, and times out on a loaded machine */
	it_admin(x.sim, "PUT", "/_sim/settings", "{\"clusterUpdateSeconds\":600}");
	/* ... and the write meets it */
	assert_int_equal(report_new(&r, p), 0);
	rc = executor_run(r, conn.client, p, NULL);
	if (rc != 0) /* say why before failing: this race is timing-sensitive */
		fprintf(stderr, "executor_run: %d: %s; step: %s; run: %s\n", rc, cmk_error_last(),
			r->steps[0].error ? r->steps[0].error : "(no error)", r->error ? r->error : "(none)");
	assert_int_equal(rc, 0);
	i = 0;
	assert_int_equal(r->steps[i].status, REPORT_SUCCEEDED);
	assert_int_equal(r->steps[i].writes, 2);
	assert_non_null(r->steps[i].note);
	assert_non_null(strstr(r->steps[i].note, "waited for a running operation"));

	log = it_requests(x.sim, mark);
	assert_int_equal(it_count(log, "PATCH", "/clusters/la-shared-eus", 400), 1);
	assert_int_equal(it_count(log, "PATCH", "/clusters/la-shared-eus", 202), 2);
	cJSON_Delete(log);
	/* the one busy answer was the race, recorded as such by armsim */
	assert_int_equal(cli_hazards(&x), 1);

	report_free(r);
	plan_free(p);
	plan_input_close(&in);
	live_azure_disconnect(&conn);
	cli_stop(&x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_apply__busy_cluster_in_the_plan_is_waited_for),
		cmocka_unit_test(test_apply__busy_answer_after_planning_waits_and_sends_again),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
