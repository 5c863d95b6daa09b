/*
 * converge.c - the pipeline `apply` and the reconcile loop share (see
 * converge.h).
 */
#include "reconciler/converge.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/time.h"
#include "planner/render.h"
#include "reconciler/executor.h"
#include "reconciler/plan_key.h"

void converge_result_init(converge_result *res)
{
	memset(res, 0, sizeof(*res));
}

void converge_result_free(converge_result *res)
{
	plan_free(res->plan);
	res->plan = NULL;
	plan_input_close(&res->in);
}

static const char *converge__str(const cJSON *o, const char *name)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, name));
}

bool converge_same_source(const cJSON *a, const cJSON *b)
{
	static const char *const git_keys[] = { "kind", "url", "commit", "path" };
	const char *ka = converge__str(a, "kind");

	if (!ka || !converge__str(b, "kind") || strcmp(ka, converge__str(b, "kind")) != 0)
		return false;
	if (strcmp(ka, "git") != 0)
		return cJSON_Compare(a, b, true);
	for (size_t i = 0; i < sizeof(git_keys) / sizeof(git_keys[0]); i++) {
		const char *x = converge__str(a, git_keys[i]), *y = converge__str(b, git_keys[i]);

		if (!x != !y || (x && strcmp(x, y) != 0))
			return false;
	}
	return true;
}

/* The saved plan's steps are the ones its manifests and live state give
 * now, built with the same options and clock: an edit made to the file
 * after review (its steps fingerprint recomputed or not) is refused. */
static int converge__check_steps(const converge_result *res, const converge_opts *o)
{
	const plan *saved = res->plan;
	plan_options popts = PLAN_OPTIONS_INIT;
	plan *rebuilt = NULL;
	int error;

	if (!saved->steps_fingerprint)
		return cmk_error_set(CMK_EINVALID, "%s has no steps fingerprint (saved by an older cmkctl): make and "
				     "review the plan again", o->saved_path ? o->saved_path : "the plan");
	popts.allow_destroy = saved->allow_destroy;
	popts.allow_unlink = saved->allow_unlink;
	popts.no_grant = saved->no_grant;
	if (!saved->now || cmk_time_parse(&popts.now, saved->now) < 0)
		return cmk_error_set(CMK_EINVALID, "%s: 'now' is not a time", o->saved_path ? o->saved_path : "the plan");
	if ((error = plan_build(&rebuilt, res->in.set, &res->in.live, &popts)) == 0)
		error = plan_compare_steps(saved, rebuilt);
	plan_free(rebuilt);
	return error;
}

/* A saved plan is applied only to the manifests it was made from, to a
 * live state that still has its fingerprint, and with the steps those
 * give. */
static int converge__check_saved(const converge_result *res, const converge_opts *o)
{
	const plan *p = res->plan;
	cmk_buf key = CMK_BUF_INIT;
	int error;

	cmk_buf_init(&key, 1 << 16);
	if ((error = plan_key_load(&key)) == 0)
		error = plan_check_signature(p, key.len ? (const unsigned char *)key.ptr : NULL, key.len);
	cmk_buf_free(&key);
	if (error < 0)
		return error;
	if (!p->source || !res->in.revision || !converge_same_source(p->source, res->in.revision)) {
		char *was = p->source ? cJSON_PrintUnformatted(p->source) : NULL;
		error = cmk_error_set(CMK_ECONFLICT, "%s was made from source %s, but the manifests given are "
					  "%s: plan again", o->saved_path ? o->saved_path : "the plan",
					  was ? was : "(none)", res->in.revision_line);

		free(was);
		return error;
	}
	if ((error = plan_check_fresh(p, &res->in.live)) < 0)
		return error;
	return converge__check_steps(res, o);
}

/* The plan as text on stderr, for the person about to approve it. */
static int converge__show_plan(const converge_result *res, const converge_opts *o)
{
	render_options ropts = RENDER_OPTIONS_INIT;
	cmk_buf text = CMK_BUF_INIT;
	int error;

	ropts.source_line = res->in.revision_line;
	if ((error = render_plan_text(&text, res->plan, &ropts)) == 0 && !o->ui->log_json && !o->ui->quiet)
		fwrite(cmk_buf_cstr(&text), 1, text.len, stderr);
	if (error == 0)
		fflush(stderr);
	cmk_buf_free(&text);
	return error;
}

/* Steps 1-3: resume, plan input, and the plan (built or checked). */
static int converge__plan(converge_result *res, report *r, const converge_opts *o)
{
	int error;

	if (o->journal && opstate_count(o->journal) &&
	    (error = executor_resume(r, o->client, o->journal, o->progress, 0)) < 0)
		return error;
	res->in.client = o->client;
	res->in.shard = o->shard;
	if ((error = plan_input_open(&res->in, o->spec, NULL, o->ui->diag_stream())) < 0) {
		o->ui->report_diags(o->cmd, &res->in.diags);
		return error;
	}
	res->input_read = true;
	if (res->plan)
		return converge__check_saved(res, o);
	if ((error = plan_build(&res->plan, res->in.set, &res->in.live, o->popts)) < 0)
		return error;
	return plan_set_source(res->plan, res->in.revision);
}

int converge_run(converge_result *res, report *r, const converge_opts *o)
{
	executor_opts eopts = { 0 };
	const plan *p;
	int error;

	res->stage = CONVERGE_FAILED;
	if ((error = converge__plan(res, r, o)) < 0)
		return error;
	res->stage = CONVERGE_PLANNED;
	if (o->show_plan && (error = converge__show_plan(res, o)) < 0)
		return error;
	p = res->plan;
	if (o->drift_only)
		return 0;
	if (!plan_is_applicable(p)) {
		res->stage = CONVERGE_BLOCKED;
		return cmk_error_set(CMK_EINVALID, "%zu step%s blocked: nothing was applied%s",
				     p->summary.blocked_steps, p->summary.blocked_steps == 1 ? " is" : "s are",
				     o->blocked_hint ? o->blocked_hint : "");
	}
	if ((error = report_set_plan(r, p)) < 0)
		return error;
	if (!plan_has_changes(p)) {
		res->stage = CONVERGE_NO_CHANGES;
		r->ended_ms = arm_now_ms();
		return 0;
	}
	if (o->approve && (error = o->approve(p, o->approve_ctx)) < 0)
		return error;

	eopts.parallelism = o->parallelism;
	eopts.journal = o->journal;
	eopts.progress = o->progress;
	res->stage = CONVERGE_EXECUTED;
	error = executor_run(r, o->client, p, &eopts);
	progress_finish(o->progress);
	return error;
}
