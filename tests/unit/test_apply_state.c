/*
 * test_apply_state.c - the pieces of `cmkctl apply` that need no Azure: the
 * journal of in-flight operations (0600, atomic, round trip, locked against
 * a second apply, a corrupt file named), the apply report (what failed with
 * its error, what was skipped because of what, JSON and markdown forms) and
 * the progress lines of a CI log.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "common/buf.h"
#include "planner/plan.h"
#include "providers/lro.h"
#include "reconciler/opstate.h"
#include "reconciler/progress.h"
#include "reconciler/report.h"

#define OP_JSON "{\"version\":1,\"kind\":\"cluster.create\",\"method\":\"PUT\",\"resourceId\":" \
		"\"/subscriptions/s/resourceGroups/rg/providers/Microsoft.OperationalInsights/clusters/c1\"," \
		"\"resourceUrl\":\"/subscriptions/s/resourceGroups/rg/providers/Microsoft.OperationalInsights/clusters/c1\"," \
		"\"apiVersion\":\"2026-03-01\",\"asyncOperation\":\"https://arm/op/1\",\"pollMode\":\"async-operation\"," \
		"\"finalStateVia\":\"location\",\"startedAt\":\"2026-01-01T00:00:00Z\",\"timeoutSeconds\":21600}"

static arm_op *op_new(void)
{
	cJSON *j = cJSON_Parse(OP_JSON);
	arm_op *op = NULL;

	assert_non_null(j);
	assert_int_equal(arm_op_from_json(&op, j), 0);
	cJSON_Delete(j);
	return op;
}

static void tmpdir(char *out, size_t size)
{
	snprintf(out, size, "/tmp/cmkctl-opstate-XXXXXX");
	assert_non_null(mkdtemp(out));
}

static void rmtree(const char *dir)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static void test_opstate__saved_0600_and_resumed_then_removed(void **state)
{
	char dir[64], sub[128];
	opstate *j = NULL;
	arm_op *op = op_new(), *back = NULL;
	const char *step = NULL;
	struct stat st;

	(void)state;
	tmpdir(dir, sizeof(dir));
	/* the directory is made (0700) when missing */
	snprintf(sub, sizeof(sub), "%s/state/cmkctl", dir);
	assert_int_equal(opstate_open(&j, sub, "https://management.azure.com"), 0);
	assert_int_equal(opstate_count(j), 0);
	assert_int_equal(opstate_add(j, "cluster.create:LogAnalyticsCluster/c1", op), 0);
	/* the same resource again replaces, never duplicates */
	assert_int_equal(opstate_add(j, "cluster.create:LogAnalyticsCluster/c1", op), 0);
	assert_int_equal(opstate_count(j), 1);
	assert_int_equal(opstate_save(j), 0);
	assert_int_equal(stat(opstate_path(j), &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(stat(sub, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	opstate_free(j);

	/* a later run finds it, ready to wait on */
	assert_int_equal(opstate_open(&j, sub, "https://management.azure.com"), 0);
	assert_int_equal(opstate_count(j), 1);
	assert_int_equal(opstate_get(&back, &step, j, 0), 0);
	assert_string_equal(step, "cluster.create:LogAnalyticsCluster/c1");
	assert_string_equal(back->resource_id, op->resource_id);
	assert_string_equal(back->async_url, "https://arm/op/1");
	assert_int_equal(back->state, ARM_OP_POLL_WAIT);
	/* ids compare without case */
	opstate_remove(j, "/SUBSCRIPTIONS/s/resourcegroups/rg/providers/Microsoft.OperationalInsights/clusters/C1");
	assert_int_equal(opstate_count(j), 0);
	assert_int_equal(opstate_save(j), 0);
	assert_int_not_equal(access(opstate_path(j), F_OK), 0); /* nothing running: no file */
	opstate_free(j);
	arm_op_free(back);
	arm_op_free(op);
	rmtree(dir);
}

static void test_opstate__a_second_apply_is_refused_while_one_runs(void **state)
{
	char dir[64];
	opstate *a = NULL, *b = NULL, *other = NULL;

	(void)state;
	tmpdir(dir, sizeof(dir));
	assert_int_equal(opstate_open(&a, dir, "https://management.azure.com"), 0);
	assert_int_equal(opstate_open(&b, dir, "https://management.azure.com"), CMK_ECONFLICT);
	assert_null(b);
	assert_non_null(strstr(cmk_error_last(), "another cmkctl apply"));
	/* another cloud has its own journal */
	assert_int_equal(opstate_open(&other, dir, "https://management.usgovcloudapi.net"), 0);
	opstate_free(other);
	opstate_free(a);
	assert_int_equal(opstate_open(&b, dir, "https://management.azure.com"), 0);
	opstate_free(b);
	rmtree(dir);
}

static void test_opstate__corrupt_journal_names_the_file(void **state)
{
	char dir[64], path[512];
	opstate *j = NULL;
	FILE *f;

	(void)state;
	tmpdir(dir, sizeof(dir));
	assert_int_equal(opstate_open(&j, dir, "https://arm"), 0);
	snprintf(path, sizeof(path), "%s", opstate_path(j));
	opstate_free(j);
	assert_non_null(f = fopen(path, "w"));
	fputs("{\"version\":1,\"operations\":[{\"step\":\"x\",\"operation\":{\"version\":1}}]}", f);
	fclose(f);
	assert_int_equal(opstate_open(&j, dir, "https://arm"), CMK_EINVALID);
	assert_non_null(strstr(cmk_error_last(), path));
	assert_non_null(f = fopen(path, "w"));
	fputs("{not json", f);
	fclose(f);
	assert_int_equal(opstate_open(&j, dir, "https://arm"), CMK_EINVALID);
	assert_non_null(strstr(cmk_error_last(), "move it away"));
	rmtree(dir);
}

static void test_opstate__default_dir_follows_xdg(void **state)
{
	char out[512];
	char *old_xdg = getenv("XDG_STATE_HOME") ? strdup(getenv("XDG_STATE_HOME")) : NULL;
	char *old_home = getenv("HOME") ? strdup(getenv("HOME")) : NULL;

	(void)state;
	setenv("XDG_STATE_HOME", "/var/lib/ci-state", 1);
	assert_int_equal(opstate_default_dir(out, sizeof(out)), 0);
	assert_string_equal(out, "/var/lib/ci-state/cmkctl");
	unsetenv("XDG_STATE_HOME");
	setenv("HOME", "/home/ci", 1);
	assert_int_equal(opstate_default_dir(out, sizeof(out)), 0);
	assert_string_equal(out, "/home/ci/.local/state/cmkctl");
	if (old_xdg)
		setenv("XDG_STATE_HOME", old_xdg, 1);
	if (old_home)
		setenv("HOME", old_home, 1);
	free(old_xdg);
	free(old_home);
}

/* A three-step plan: create -> key, and an independent link. */
static void plan_fixture(plan *p, plan_step *steps, size_t *dep)
{
	memset(p, 0, sizeof(*p));
	memset(steps, 0, 3 * sizeof(*steps));
	steps[0] = (plan_step){ .id = "cluster.create:LogAnalyticsCluster/a", .kind = PLAN_STEP_CLUSTER_CREATE,
				.target = "/subscriptions/s/x/clusters/a" };
	steps[1] = (plan_step){ .id = "cluster.key:LogAnalyticsCluster/a", .kind = PLAN_STEP_CLUSTER_KEY_UPDATE,
				.target = "/subscriptions/s/x/clusters/a", .depends_on = dep, .dep_count = 1 };
	steps[2] = (plan_step){ .id = "workspace.link:WorkspaceLink/w/ws1", .kind = PLAN_STEP_WORKSPACE_LINK,
				.target = "/subscriptions/s/x/workspaces/ws1" };
	dep[0] = 0;
	p->steps = steps;
	p->step_count = 3;
}

static void test_report__says_what_failed_was_skipped_and_done(void **state)
{
	plan p;
	plan_step steps[3];
	size_t dep[1];
	report *r = NULL;
	cmk_buf out = CMK_BUF_INIT;
	cJSON *doc;
	const cJSON *s;

	(void)state;
	plan_fixture(&p, steps, dep);
	assert_int_equal(report_new(&r, &p), 0);
	r->started_ms = 1000;
	r->ended_ms = 61000;
	r->steps[0].status = REPORT_FAILED;
	assert_int_equal(report_step_set_error(&r->steps[0], "PUT /subscriptions/s/x/clusters/a: 400 BadRequest: "
					       "The max number of cluster per region and subscription is 2."), 0);
	r->steps[1].status = REPORT_SKIPPED;
	r->steps[1].skipped_because = strdup(steps[0].id);
	r->steps[2].status = REPORT_SUCCEEDED;
	r->steps[2].started_ms = 1000;
	r->steps[2].ended_ms = 31000;
	report_count(r);
	assert_false(report_ok(r));

	assert_int_equal(report_render_text(&out, r, &p, "dir manifests"), 0);
	assert_non_null(strstr(cmk_buf_cstr(&out), "Apply failed: 3 steps: 1 succeeded, 1 failed, 1 skipped"));
	assert_non_null(strstr(cmk_buf_cstr(&out), "FAILED   cluster.create:LogAnalyticsCluster/a"));
	assert_non_null(strstr(cmk_buf_cstr(&out), "max number of cluster per region"));
	assert_non_null(strstr(cmk_buf_cstr(&out), "skipped  cluster.key:LogAnalyticsCluster/a: it depends on "
				"cluster.create:LogAnalyticsCluster/a"));
	/* what needs attention comes before what went well */
	assert_true(strstr(cmk_buf_cstr(&out), "FAILED") < strstr(cmk_buf_cstr(&out), "ok       workspace.link"));
	assert_non_null(strstr(cmk_buf_cstr(&out), "(30s)"));

	cmk_buf_clear(&out);
	assert_int_equal(report_render_json(&out, r, &p, NULL), 0);
	assert_non_null(doc = cJSON_Parse(cmk_buf_cstr(&out)));
	assert_int_equal(cJSON_GetNumberValue(cJSON_GetObjectItem(doc, "format_version")), 1);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(doc, "result")), "failed");
	s = cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "steps"), 1);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(s, "status")), "skipped");
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(s, "skippedBecause")), steps[0].id);
	assert_int_equal(cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "summary"), "failed")), 1);
	cJSON_Delete(doc);

	cmk_buf_clear(&out);
	assert_int_equal(report_render_markdown(&out, r, &p, NULL), 0);
	assert_non_null(strstr(cmk_buf_cstr(&out), ":x: `cluster.create:LogAnalyticsCluster/a`"));
	assert_non_null(strstr(cmk_buf_cstr(&out), "<details>"));
	cmk_buf_free(&out);
	report_free(r);
}

static void test_report__interrupted_run_is_not_ok(void **state)
{
	plan p;
	plan_step steps[3];
	size_t dep[1];
	report *r = NULL;
	cmk_buf out = CMK_BUF_INIT;

	(void)state;
	plan_fixture(&p, steps, dep);
	assert_int_equal(report_new(&r, &p), 0);
	r->steps[0].status = REPORT_RUNNING;
	r->interrupted = true;
	report_count(r);
	assert_false(report_ok(r));
	assert_int_equal(report_add_resumed(r, "x", "/subscriptions/s/x", "workspace.link", "succeeded"), 0);
	assert_int_equal(report_render_text(&out, r, &p, NULL), 0);
	assert_non_null(strstr(cmk_buf_cstr(&out), "Apply interrupted"));
	assert_non_null(strstr(cmk_buf_cstr(&out), "still running in Azure"));
	assert_non_null(strstr(cmk_buf_cstr(&out), "Operations of an earlier run"));
	cmk_buf_free(&out);
	report_free(r);
}

static void test_report__markdown_of_many_steps_stays_under_the_limit(void **state)
{
	enum { N = 3000 };
	plan p;
	plan_step *steps = calloc(N, sizeof(*steps));
	char (*ids)[96] = calloc(N, sizeof(*ids));
	report *r = NULL;
	cmk_buf out = CMK_BUF_INIT;

	(void)state;
	assert_non_null(steps);
	assert_non_null(ids);
	memset(&p, 0, sizeof(p));
	for (size_t i = 0; i < N; i++) {
		snprintf(ids[i], sizeof(ids[i]), "workspace.link:WorkspaceLink/many/law-%05zu", i);
		steps[i] = (plan_step){ .id = ids[i], .kind = PLAN_STEP_WORKSPACE_LINK, .target = ids[i] };
	}
	p.steps = steps;
	p.step_count = N;
	assert_int_equal(report_new(&r, &p), 0);
	for (size_t i = 0; i < N; i++)
		r->steps[i].status = REPORT_SUCCEEDED;
	report_count(r);
	assert_int_equal(report_render_markdown(&out, r, &p, NULL), 0);
	assert_true(out.len < REPORT_MARKDOWN_MAX);
	assert_non_null(strstr(cmk_buf_cstr(&out), "more steps not shown"));
	assert_non_null(strstr(cmk_buf_cstr(&out), "</details>"));
	cmk_buf_free(&out);
	report_free(r);
	free(steps);
	free(ids);
}

static void test_progress__ci_lines_and_still_waiting(void **state)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	progress_opts o = { .out = f, .tty = false, .interval_s = 0.01, .time_scale = 60 };
	progress *p = NULL;

	(void)state;
	assert_int_equal(progress_new(&p, &o), 0);
	progress_event(p, "cluster.create:LogAnalyticsCluster/a", "started");
	progress_status(p, "cluster.create:LogAnalyticsCluster/a", "Updating");
	usleep(20000);
	progress_tick(p);
	progress_event(p, "cluster.create:LogAnalyticsCluster/a", "succeeded");
	progress_tick(p); /* nothing runs: no waiting line */
	progress_free(p);
	fclose(f);
	assert_non_null(strstr(text, "cluster.create:LogAnalyticsCluster/a started\n"));
	assert_non_null(strstr(text, "still waiting on cluster.create:LogAnalyticsCluster/a (Updating, "));
	assert_non_null(strstr(text, "cluster.create:LogAnalyticsCluster/a succeeded ("));
	assert_null(strstr(text, "\033[")); /* no terminal codes in a log */
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_opstate__saved_0600_and_resumed_then_removed),
		cmocka_unit_test(test_opstate__a_second_apply_is_refused_while_one_runs),
		cmocka_unit_test(test_opstate__corrupt_journal_names_the_file),
		cmocka_unit_test(test_opstate__default_dir_follows_xdg),
		cmocka_unit_test(test_report__says_what_failed_was_skipped_and_done),
		cmocka_unit_test(test_report__interrupted_run_is_not_ok),
		cmocka_unit_test(test_report__markdown_of_many_steps_stays_under_the_limit),
		cmocka_unit_test(test_progress__ci_lines_and_still_waiting),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
