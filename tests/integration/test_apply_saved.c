/*
 * test_apply_saved.c - a saved plan runs only as it was reviewed.
 *
 * `plan --out` records the steps' fingerprint and the options the plan was
 * built with; `apply PLAN.json` checks the fingerprint on load and rebuilds
 * the plan from the manifests and the live state. A plan file edited after
 * review (a cluster's capacity raised to 5000 and a tag `owned:
 * by-attacker` added; a step removed) is refused with the step and field
 * named, and armsim sees no write. With a plan key (CMKCTL_PLAN_KEY) the
 * plan is signed, and apply takes only a plan signed with that key.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "planner/plan.h"
#include "tests/integration/cli_common.h"

#define CREATE_STEP "cluster.create:LogAnalyticsCluster/"

static cJSON *read_json(const char *path)
{
	cmk_buf b = CMK_BUF_INIT;
	cJSON *j;

	cmk_buf_init(&b, 64 << 20);
	assert_int_equal(cmk_buf_read_file(&b, path), 0);
	assert_non_null(j = cJSON_ParseWithLength(b.ptr, b.len));
	cmk_buf_free(&b);
	return j;
}

static void write_json(const char *path, const cJSON *j)
{
	char *text = cJSON_PrintUnformatted(j);
	FILE *f = fopen(path, "w");

	assert_non_null(text);
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	free(text);
}

/* The first cluster.create step of a saved plan. */
static cJSON *create_step(cJSON *plan_json)
{
	cJSON *s;

	cJSON_ArrayForEach(s, cJSON_GetObjectItem(plan_json, "steps")) {
		const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(s, "id"));

		if (id && strncmp(id, CREATE_STEP, strlen(CREATE_STEP)) == 0)
			return s;
	}
	fail_msg("no %s step in the saved plan", CREATE_STEP);
	return NULL;
}

/* capacity -> 5000 and a tag owned: by-attacker on the first cluster create. */
static void tamper_capacity_and_tags(cJSON *plan_json)
{
	cJSON *params = cJSON_GetObjectItem(create_step(plan_json), "params");
	const char *tags = cJSON_GetStringValue(cJSON_GetObjectItem(params, "tags"));
	cJSON *t;

	assert_non_null(cJSON_GetObjectItem(params, "capacity"));
	assert_non_null(cJSON_ReplaceItemInObject(params, "capacity", cJSON_CreateString("5000")) ? params : NULL);
	assert_non_null(tags);
	assert_non_null(t = cJSON_Parse(tags));
	cJSON_AddStringToObject(t, "owned", "by-attacker");
	tags = cJSON_PrintUnformatted(t);
	cJSON_ReplaceItemInObject(params, "tags", cJSON_CreateString(tags));
	free((char *)tags);
	cJSON_Delete(t);
}

/* What an attacker who knows the format does next: recompute the steps
 * fingerprint of the edited plan and write it back. */
static void refingerprint(cJSON *plan_json)
{
	char *text, fp[65];
	plan *p = NULL;

	cJSON_DeleteItemFromObject(plan_json, "steps_fingerprint");
	assert_non_null(text = cJSON_PrintUnformatted(plan_json));
	assert_int_equal(plan_load_buffer(&p, text, strlen(text)), 0);
	assert_int_equal(plan_steps_fingerprint(fp, p), 0);
	cJSON_AddStringToObject(plan_json, "steps_fingerprint", fp);
	plan_free(p);
	free(text);
}

typedef struct {
	cli_ctx x;
	char path[300];
	const char *apply[5];
	int plan_run; /* the run of `plan --out`, for cli_output */
	long mark;
} saved_ctx;

/* armsim from empty and a reviewed plan of the examples in s->path. */
static void saved_start(saved_ctx *s)
{
	const char *plan_argv[] = { "plan", "-f", CLI_EXAMPLES, "--out", s->path, NULL };

	cli_start(&s->x, IT_SCALE);
	snprintf(s->path, sizeof(s->path), "%s/plan.json", s->x.dir);
	assert_int_equal(cli_run(&s->x, &s->plan_run, plan_argv), 0);
	s->apply[0] = "apply";
	s->apply[1] = s->path;
	s->apply[2] = "--state-dir";
	s->apply[3] = s->x.state;
	s->apply[4] = NULL;
	s->mark = it_last_seq(s->x.sim);
}

/* apply exits 1 with every string of `want` in its stderr, and no write. */
static void saved_refused(saved_ctx *s, const char *const *want)
{
	char *err;
	int run;

	assert_int_equal(cli_run(&s->x, &run, s->apply), 1);
	err = cli_output(&s->x, run, ".err");
	for (; *want; want++)
		if (!strstr(err, *want))
			fail_msg("'%s' not in: %s", *want, err);
	free(err);
	assert_int_equal(cli_writes_since(&s->x, s->mark), 0);
	cli_stop(&s->x);
}

static void test_apply_saved__untouched_plan_applies(void **state)
{
	saved_ctx s;
	int run;

	(void)state;
	saved_start(&s);
	assert_int_equal(cli_run(&s.x, &run, s.apply), 0);
	assert_true(cli_writes_since(&s.x, s.mark) > 0);
	assert_int_equal(cli_hazards(&s.x), 0);
	cli_stop(&s.x);
}

/* An edit applied to the saved plan (then its steps fingerprint recomputed,
 * as an attacker who knows the format would, when `refp`); apply must
 * refuse naming every string of `want`, with no write. */
static void edited_refused(void (*edit)(cJSON *plan_json), bool refp, const char *const *want)
{
	saved_ctx s;
	cJSON *j;

	saved_start(&s);
	j = read_json(s.path);
	edit(j);
	if (refp)
		refingerprint(j);
	write_json(s.path, j);
	cJSON_Delete(j);
	saved_refused(&s, want);
}

/* The cluster create's tags edited, its capacity left as reviewed. */
static void edit_tags_only(cJSON *plan_json)
{
	cJSON *params = cJSON_GetObjectItem(create_step(plan_json), "params");
	char *cap = strdup(cJSON_GetStringValue(cJSON_GetObjectItem(params, "capacity")));

	assert_non_null(cap);
	tamper_capacity_and_tags(plan_json);
	cJSON_ReplaceItemInObject(params, "capacity", cJSON_CreateString(cap));
	free(cap);
}

/* The last step removed: nothing depends on it, so the file stays consistent. */
static void edit_remove_last_step(cJSON *plan_json)
{
	cJSON *steps = cJSON_GetObjectItem(plan_json, "steps");
	int n = cJSON_GetArraySize(steps);

	assert_true(n > 1);
	cJSON_DeleteItemFromArray(steps, n - 1);
}

/* What a plan saved by an older cmkctl looks like. */
static void edit_drop_steps_fingerprint(cJSON *plan_json)
{
	cJSON_DeleteItemFromObject(plan_json, "steps_fingerprint");
}

static void edit_target(cJSON *plan_json)
{
	cJSON *step = create_step(plan_json);
	char *other = strdup(cJSON_GetStringValue(cJSON_GetObjectItem(step, "target")));

	assert_non_null(other);
	strcpy(other + strlen(other) - 2, "zz");
	cJSON_ReplaceItemInObject(step, "target", cJSON_CreateString(other));
	free(other);
}

/* The first step with a dependency loses it. */
static void edit_drop_dependency(cJSON *plan_json)
{
	cJSON *s;

	cJSON_ArrayForEach(s, cJSON_GetObjectItem(plan_json, "steps")) {
		if (cJSON_GetArraySize(cJSON_GetObjectItem(s, "depends_on")) > 0) {
			cJSON_ReplaceItemInObject(s, "depends_on", cJSON_CreateArray());
			return;
		}
	}
	fail_msg("no step with a dependency in the saved plan");
}

/* A step the review never saw: the last step again, under another id. */
static void edit_add_step(cJSON *plan_json)
{
	cJSON *steps = cJSON_GetObjectItem(plan_json, "steps");
	cJSON *copy = cJSON_Duplicate(cJSON_GetArrayItem(steps, cJSON_GetArraySize(steps) - 1), 1);
	char id[600];

	assert_non_null(copy);
	snprintf(id, sizeof(id), "%s#2", cJSON_GetStringValue(cJSON_GetObjectItem(copy, "id")));
	cJSON_ReplaceItemInObject(copy, "id", cJSON_CreateString(id));
	cJSON_AddItemToArray(steps, copy);
}

static void test_apply_saved__edited_steps_fail_their_fingerprint(void **state)
{
	const char *want[] = { "steps do not match its steps_fingerprint", NULL };

	(void)state;
	edited_refused(tamper_capacity_and_tags, false, want);
}

static void test_apply_saved__edited_steps_with_a_new_fingerprint_differ_when_rebuilt(void **state)
{
	const char *want[] = { "step " CREATE_STEP, "param capacity is 5000 in the saved plan", "nothing was applied",
			       NULL };

	(void)state;
	edited_refused(tamper_capacity_and_tags, true, want);
}

static void test_apply_saved__tags_alone_edited_are_named(void **state)
{
	const char *want[] = { "param tags is", "by-attacker", NULL };

	(void)state;
	edited_refused(edit_tags_only, true, want);
}

static void test_apply_saved__a_removed_step_is_named(void **state)
{
	const char *want[] = { "the step is absent in the saved plan, present when rebuilt", NULL };

	(void)state;
	edited_refused(edit_remove_last_step, true, want);
}

static void test_apply_saved__a_plan_without_steps_fingerprint_is_refused(void **state)
{
	const char *want[] = { "has no steps fingerprint", "plan again", NULL };

	(void)state;
	edited_refused(edit_drop_steps_fingerprint, false, want);
}

static void test_apply_saved__a_changed_target_is_named(void **state)
{
	const char *want[] = { "step " CREATE_STEP, "target is", NULL };

	(void)state;
	edited_refused(edit_target, true, want);
}

static void test_apply_saved__a_dropped_dependency_is_named(void **state)
{
	const char *want[] = { "a dependency is", "in the saved plan", NULL };

	(void)state;
	edited_refused(edit_drop_dependency, true, want);
}

static void test_apply_saved__an_added_step_is_named(void **state)
{
	const char *want[] = { "#2: the step is present in the saved plan, absent when rebuilt", NULL };

	(void)state;
	edited_refused(edit_add_step, true, want);
}

#define KEY_A "a-plan-key-of-the-plan-job-0123456789"
#define KEY_B "another-key-of-somebody-else-987654321"

/* A plan saved with KEY_A set; the key never appears in what cmkctl printed. */
static void signed_start(saved_ctx *s)
{
	char *out;

	setenv("CMKCTL_PLAN_KEY", KEY_A, 1);
	saved_start(s);
	unsetenv("CMKCTL_PLAN_KEY");
	out = cli_output(&s->x, s->plan_run, ".err");
	assert_null(strstr(out, KEY_A));
	free(out);
	out = cli_output(&s->x, s->plan_run, ".out");
	assert_null(strstr(out, KEY_A));
	free(out);
}

static void test_apply_saved__signed_plan_applies_with_its_key(void **state)
{
	saved_ctx s;
	cJSON *j;
	int run;

	(void)state;
	signed_start(&s);
	j = read_json(s.path);
	assert_non_null(cJSON_GetStringValue(cJSON_GetObjectItem(j, "signature")));
	assert_null(strstr(cJSON_GetStringValue(cJSON_GetObjectItem(j, "signature")), KEY_A));
	cJSON_Delete(j);
	setenv("CMKCTL_PLAN_KEY", KEY_A, 1);
	assert_int_equal(cli_run(&s.x, &run, s.apply), 0);
	unsetenv("CMKCTL_PLAN_KEY");
	assert_true(cli_writes_since(&s.x, s.mark) > 0);
	cli_stop(&s.x);
}

static void test_apply_saved__signed_plan_with_another_key_is_refused(void **state)
{
	const char *want[] = { "signature does not match", NULL };
	saved_ctx s;

	(void)state;
	signed_start(&s);
	setenv("CMKCTL_PLAN_KEY", KEY_B, 1);
	saved_refused(&s, want);
	unsetenv("CMKCTL_PLAN_KEY");
}

static void test_apply_saved__signed_then_edited_and_refingerprinted_is_refused(void **state)
{
	const char *want[] = { "signature does not match", NULL };
	saved_ctx s;
	cJSON *j;

	(void)state;
	signed_start(&s);
	j = read_json(s.path);
	tamper_capacity_and_tags(j);
	refingerprint(j);
	write_json(s.path, j);
	cJSON_Delete(j);
	setenv("CMKCTL_PLAN_KEY", KEY_A, 1);
	saved_refused(&s, want);
	unsetenv("CMKCTL_PLAN_KEY");
}

static void test_apply_saved__signed_plan_without_a_key_is_refused(void **state)
{
	const char *want[] = { "the plan is signed, but no plan key is set", NULL };
	saved_ctx s;

	(void)state;
	signed_start(&s);
	saved_refused(&s, want);
}

static void test_apply_saved__unsigned_plan_with_a_key_set_is_refused(void **state)
{
	const char *want[] = { "the plan is not signed", NULL };
	saved_ctx s;

	(void)state;
	saved_start(&s);
	setenv("CMKCTL_PLAN_KEY", KEY_A, 1);
	saved_refused(&s, want);
	unsetenv("CMKCTL_PLAN_KEY");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_apply_saved__untouched_plan_applies),
		cmocka_unit_test(test_apply_saved__edited_steps_fail_their_fingerprint),
		cmocka_unit_test(test_apply_saved__edited_steps_with_a_new_fingerprint_differ_when_rebuilt),
		cmocka_unit_test(test_apply_saved__tags_alone_edited_are_named),
		cmocka_unit_test(test_apply_saved__a_removed_step_is_named),
		cmocka_unit_test(test_apply_saved__a_plan_without_steps_fingerprint_is_refused),
		cmocka_unit_test(test_apply_saved__a_changed_target_is_named),
		cmocka_unit_test(test_apply_saved__a_dropped_dependency_is_named),
		cmocka_unit_test(test_apply_saved__an_added_step_is_named),
		cmocka_unit_test(test_apply_saved__signed_plan_applies_with_its_key),
		cmocka_unit_test(test_apply_saved__signed_plan_with_another_key_is_refused),
		cmocka_unit_test(test_apply_saved__signed_then_edited_and_refingerprinted_is_refused),
		cmocka_unit_test(test_apply_saved__signed_plan_without_a_key_is_refused),
		cmocka_unit_test(test_apply_saved__unsigned_plan_with_a_key_set_is_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
