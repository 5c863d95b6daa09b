/*
 * reconcile.c - the reconcile loop (see reconcile.h).
 */
#include "reconciler/reconcile.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/log.h"
#include "common/time.h"
#include "planner/render.h"
#include "reconciler/converge.h"
#include "reconciler/live_azure.h"
#include "reconciler/opstate.h"
#include "reconciler/plan_input.h"
#include "reconciler/progress.h"
#include "reconciler/reconcile_state.h"
#include "reconciler/report.h"

typedef struct {
	const reconcile_opts *o;
	live_azure_conn conn;
	opstate *journal;
	reconcile_http *http;
	reconcile_stats st;
	char scope[128];
	uint64_t rng;
} reconcile_loop;

static double reconcile__now_s(void)
{
	return (double)cmk_time_mono_ms() / 1000.0;
}

/* xorshift64*: jitter only, no need for more */
static double reconcile__uniform(reconcile_loop *L)
{
	L->rng ^= L->rng >> 12;
	L->rng ^= L->rng << 25;
	L->rng ^= L->rng >> 27;
	return (double)((L->rng * 0x2545F4914F6CDD1DULL) >> 11) / (double)(1ULL << 53);
}

/* Status file, metrics file and endpoint from the current counters. A
 * failure to write them is logged, never fatal: the loop's work matters
 * more than its report. */
static void reconcile__publish(reconcile_loop *L)
{
	cmk_buf m = CMK_BUF_INIT;
	cJSON *status = NULL;
	char *text = NULL;
	arm_stats as;

	if (L->conn.client) {
		arm_client_stats(&as, L->conn.client);
		L->st.arm_requests = as.requests;
		L->st.arm_throttled = as.throttled;
		L->st.arm_retries = as.retries;
	}
	if (reconcile_metrics_render(&m, &L->st) < 0)
		goto out;
	if (L->o->metrics_path && reconcile_write_atomic(L->o->metrics_path, cmk_buf_cstr(&m), m.len) < 0)
		cmk_log_warn("metrics: %s", cmk_error_last());
	if (L->http && reconcile_http_publish(L->http, cmk_buf_cstr(&m)) < 0)
		cmk_log_warn("metrics: %s", cmk_error_last());
	if (L->o->status_path) {
		if (reconcile_status_json(&status, &L->st) < 0 || (text = cJSON_Print(status)) == NULL) {
			cmk_log_warn("status: %s", cmk_error_last());
			goto out;
		}
		if (reconcile_write_atomic(L->o->status_path, text, strlen(text)) < 0)
			cmk_log_warn("status: %s", cmk_error_last());
	}
out:
	free(text);
	cJSON_Delete(status);
	cmk_buf_free(&m);
}

static int reconcile__addr_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Resources that differ from the manifests: every resource the plan
 * changes and every resource a finding names, each once. */
static long reconcile__drift_count(const plan *p)
{
	size_t n = 0, uniq = 0;
	const char **addrs = calloc(p->resource_count + p->finding_count + 1, sizeof(*addrs));

	if (!addrs)
		return (long)(p->resource_count + p->finding_count);
	for (size_t i = 0; i < p->resource_count; i++)
		if (p->resources[i].action != PLAN_ACTION_NOOP)
			addrs[n++] = p->resources[i].address;
	for (size_t i = 0; i < p->finding_count; i++)
		addrs[n++] = p->findings[i].address;
	qsort(addrs, n, sizeof(*addrs), reconcile__addr_cmp);
	for (size_t i = 0; i < n; i++)
		if (i == 0 || strcmp(addrs[i], addrs[i - 1]) != 0)
			uniq++;
	free(addrs);
	return (long)uniq;
}

static void reconcile__print(const reconcile_loop *L, const plan *p, const report *r, const char *source_line,
			     const cJSON *src)
{
	const char *fmt = L->o->output;
	render_options ropts = RENDER_OPTIONS_INIT;
	cmk_buf out = CMK_BUF_INIT;
	int error = 0;

	if (strcmp(fmt, "none") == 0)
		return;
	ropts.source_line = source_line;
	if (strcmp(fmt, "json") == 0) {
		cJSON *line = cJSON_CreateObject(), *body = NULL;
		char *text = NULL;

		if (!line)
			return;
		cJSON_AddNumberToObject(line, "iteration", (double)L->st.iteration);
		cJSON_AddStringToObject(line, "result", L->st.last_result);
		if (L->st.last_error[0])
			cJSON_AddStringToObject(line, "error", L->st.last_error);
		if (r && p && report_render_json(&out, r, p, src) == 0)
			body = cJSON_Parse(cmk_buf_cstr(&out));
		else if (p && render_plan_json(&out, p) == 0)
			body = cJSON_Parse(cmk_buf_cstr(&out));
		if (body)
			cJSON_AddItemToObject(line, r ? "report" : "plan", body);
		if ((text = cJSON_PrintUnformatted(line)) != NULL)
			printf("%s\n", text);
		free(text);
		cJSON_Delete(line);
	} else {
		printf("--- iteration %ld: %s%s%s\n", L->st.iteration, L->st.last_result,
		       L->st.last_error[0] ? ": " : "", L->st.last_error);
		if (r && p)
			error = report_render_text(&out, r, p, source_line);
		else if (p) {
			ropts.mode = L->o->drift_only ? RENDER_DRIFT : RENDER_PLAN;
			error = render_plan_text(&out, p, &ropts);
		}
		if (error == 0)
			fwrite(cmk_buf_cstr(&out), 1, out.len, stdout);
	}
	fflush(stdout);
	cmk_buf_free(&out);
}

/* What the iteration's plan says, for the status and metrics. */
static void reconcile__record_plan(reconcile_loop *L, const converge_result *res)
{
	if (res->input_read) {
		const cJSON *c = cJSON_GetObjectItem(res->in.revision, "commit");

		cJSON_Delete(L->st.last_source);
		L->st.last_source = cJSON_Duplicate(res->in.revision, true);
		snprintf(L->st.commit, sizeof(L->st.commit), "%s", cJSON_IsString(c) ? c->valuestring : "");
	}
	if (res->plan && res->stage != CONVERGE_FAILED) {
		L->st.planned_steps = (long)res->plan->step_count;
		L->st.drift_resources = reconcile__drift_count(res->plan);
	}
}

/* The iteration's result and report from how far converge got. */
static void reconcile__conclude(reconcile_loop *L, const converge_result *res, report *r, int error)
{
	const plan *p = res->plan;
	const char *line = res->in.revision_line;

	switch (res->stage) {
	case CONVERGE_PLANNED:
		if (error < 0)
			break; /* failed before a write: no report */
		snprintf(L->st.last_result, sizeof(L->st.last_result), "%s", plan_has_drift(p) ? "drift" : "in-sync");
		reconcile__print(L, p, NULL, line, res->in.revision);
		break;
	case CONVERGE_BLOCKED:
		reconcile__print(L, p, NULL, line, res->in.revision);
		break;
	case CONVERGE_NO_CHANGES:
		snprintf(L->st.last_result, sizeof(L->st.last_result), "no-changes");
		reconcile__print(L, p, r, line, res->in.revision);
		break;
	case CONVERGE_EXECUTED:
		report_count(r);
		L->st.steps[0] += r->succeeded;
		L->st.steps[1] += r->failed;
		L->st.steps[2] += r->skipped;
		L->st.steps[3] += r->pending;
		L->st.steps[4] += r->running;
		if (error == 0)
			snprintf(L->st.last_result, sizeof(L->st.last_result), "succeeded");
		else if (error == CMK_ECANCELED || r->interrupted)
			snprintf(L->st.last_result, sizeof(L->st.last_result), "interrupted");
		if (error < 0 && !L->st.last_error[0])
			snprintf(L->st.last_error, sizeof(L->st.last_error), "%s",
				 r->error ? r->error : cmk_error_last());
		reconcile__print(L, p, r, line, res->in.revision);
		break;
	case CONVERGE_FAILED:
		break;
	}
}

/* One iteration; fills L->st.last_*. Returns 0 when it succeeded (drift
 * found in drift mode counts as success), else negative. */
static int reconcile__iterate(reconcile_loop *L)
{
	const reconcile_opts *o = L->o;
	converge_opts co = { 0 };
	converge_result res;
	report *r = NULL;
	progress *pg = NULL;
	progress_opts gopts = { 0 };
	double t0 = reconcile__now_s();
	int error;

	converge_result_init(&res);
	L->st.last_error[0] = '\0';
	snprintf(L->st.last_result, sizeof(L->st.last_result), "failed");
	gopts.out = stderr;
	gopts.interval_s = 30;
	gopts.quiet = o->ui->quiet;
	gopts.json = o->ui->log_json;
	if (cmk_time_scale_env(&gopts.time_scale) < 0)
		gopts.time_scale = 1; /* not reached: the connection refused it already */
	if ((error = progress_new(&pg, &gopts)) < 0 || (error = report_new(&r, NULL)) < 0)
		goto out;
	r->time_scale = gopts.time_scale;
	r->started_ms = arm_now_ms();

	co.cmd = "reconcile";
	co.ui = o->ui;
	co.spec = o->spec;
	co.shard = o->shard;
	co.popts = &o->popts;
	co.client = L->conn.client;
	co.journal = L->journal;
	co.progress = pg;
	co.parallelism = o->parallelism;
	co.drift_only = o->drift_only;
	co.blocked_hint = " (run 'cmkctl plan' to see why)";
	error = converge_run(&res, r, &co);
	reconcile__record_plan(L, &res);
	reconcile__conclude(L, &res, r, error);
out:
	if (error < 0) {
		if (!L->st.last_error[0])
			snprintf(L->st.last_error, sizeof(L->st.last_error), "%s", cmk_error_last());
		if (error == CMK_ECANCELED || (o->stop && *o->stop))
			snprintf(L->st.last_result, sizeof(L->st.last_result), "interrupted");
		if (!res.plan)
			reconcile__print(L, NULL, NULL, NULL, NULL);
	}
	progress_finish(pg);
	L->st.last_duration_s = reconcile__now_s() - t0;
	L->st.last_run = time(NULL);
	if (error == 0) {
		L->st.iterations_ok++;
		L->st.last_success = L->st.last_run;
		o->ui->note("reconcile", "iteration %ld %s in %.1f s (%ld planned step%s, %ld resource%s drifted)",
			    L->st.iteration, L->st.last_result, L->st.last_duration_s, L->st.planned_steps,
			    L->st.planned_steps == 1 ? "" : "s", L->st.drift_resources,
			    L->st.drift_resources == 1 ? "" : "s");
	} else {
		L->st.iterations_failed++;
		o->ui->error("reconcile", "iteration %ld %s: %s", L->st.iteration, L->st.last_result,
			     L->st.last_error);
	}
	converge_result_free(&res);
	report_free(r);
	progress_free(pg);
	return error;
}

/* Sleep until `seconds` passed or *stop is raised. */
static void reconcile__wait(const reconcile_opts *o, double seconds)
{
	double end = reconcile__now_s() + seconds;

	while (!(o->stop && *o->stop)) {
		double left = end - reconcile__now_s();
		struct timespec ts;

		if (left <= 0)
			break;
		if (left > 0.1)
			left = 0.1;
		ts.tv_sec = 0;
		ts.tv_nsec = (long)(left * 1e9);
		nanosleep(&ts, NULL); /* EINTR from the signal: the loop checks *stop */
	}
}

int reconcile_run(int *exit_code, const reconcile_opts *o)
{
	reconcile_loop L;
	reconcile_lock *lock = NULL;
	live_azure_opts lopts = { 0 };
	char journal_dir[PATH_MAX];
	int error, last = 0;

	memset(&L, 0, sizeof(L));
	*exit_code = 1;
	L.o = o;
	L.rng = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32) ^ 0x9E3779B97F4A7C15ULL;
	shard_scope_key(L.scope, sizeof(L.scope), o->shard);
	L.st.scope = L.scope;
	L.st.mode = o->drift_only ? "drift" : "apply";
	L.st.drift_resources = -1;
	snprintf(L.st.state, sizeof(L.st.state), "starting");

	/* first what a typo can break (CMK_EUSAGE: a non-loopback address) */
	if (o->metrics_listen) {
		if ((error = reconcile_http_start(&L.http, o->metrics_listen)) < 0)
			goto out;
		snprintf(L.st.metrics_listen, sizeof(L.st.metrics_listen), "%s", reconcile_http_address(L.http));
		o->ui->note("reconcile", "metrics on http://%s/metrics", L.st.metrics_listen);
	}
	if ((error = reconcile_lock_acquire(&lock, o->state_dir, L.scope)) < 0)
		goto out;
	lopts.cancel = o->stop;
	lopts.max_parallel = o->parallelism;
	if ((error = live_azure_connect(&L.conn, &lopts)) < 0)
		goto out;
	if (!o->drift_only) {
		/* the whole estate shares `cmkctl apply`'s journal (and its
		 * lock); a shard keeps its own next to it */
		if (strcmp(L.scope, "all") == 0)
			snprintf(journal_dir, sizeof(journal_dir), "%s", o->state_dir);
		else
			snprintf(journal_dir, sizeof(journal_dir), "%s/%s", o->state_dir, L.scope);
		if ((error = opstate_open(&L.journal, journal_dir, L.conn.cloud->arm_endpoint)) < 0)
			goto out;
	}
	o->ui->note("reconcile", "scope %s, mode %s, every %gs (jitter %g%%)%s", L.scope, L.st.mode, o->interval_s,
		 o->jitter * 100, o->iterations ? "" : ", until stopped");
	reconcile__publish(&L);

	for (long it = 1; !(o->stop && *o->stop); it++) {
		double wait;

		L.st.iteration = it;
		L.st.next_run = 0;
		snprintf(L.st.state, sizeof(L.st.state), "running");
		reconcile__publish(&L);
		last = reconcile__iterate(&L);
		if (o->stop && *o->stop)
			break;
		if (o->iterations && it >= o->iterations)
			break;
		wait = o->interval_s * (1.0 + o->jitter * (2.0 * reconcile__uniform(&L) - 1.0));
		L.st.next_run = time(NULL) + (time_t)(wait + 0.5);
		snprintf(L.st.state, sizeof(L.st.state), "waiting");
		reconcile__publish(&L);
		reconcile__wait(o, wait);
	}
	snprintf(L.st.state, sizeof(L.st.state), "stopped");
	L.st.next_run = 0;
	reconcile__publish(&L);
	if (o->stop && *o->stop) {
		if (L.journal && opstate_count(L.journal))
			o->ui->note("reconcile", "stopped; %zu running operation%s recorded in %s: the next run waits "
				 "for them", opstate_count(L.journal), opstate_count(L.journal) == 1 ? "" : "s",
				 opstate_path(L.journal));
		else
			o->ui->note("reconcile", "stopped");
		*exit_code = 0;
	} else if (last < 0) {
		*exit_code = 1;
	} else {
		*exit_code = o->drift_only && strcmp(L.st.last_result, "drift") == 0 ? 2 : 0;
	}
	error = 0;
out:
	reconcile_http_stop(L.http);
	opstate_free(L.journal);
	live_azure_disconnect(&L.conn);
	reconcile_lock_release(lock);
	cJSON_Delete(L.st.last_source);
	return error;
}
