/*
 * cmd_apply.c - `cmkctl apply`: converge Azure to the manifests.
 *
 *   cmkctl apply -f PATH [...] --auto-approve     plan now, then apply
 *   cmkctl apply PLAN.json [-f PATH ...]          apply a saved plan (refused
 *                                                 when stale or made from
 *                                                 another source revision;
 *                                                 without -f, the plan's own
 *                                                 source is read)
 *
 * Before anything is read, operations an interrupted apply left running
 * (the journal in the state directory) are waited for, so a re-run never
 * writes to a busy cluster or writes twice. Logs and progress go to
 * stderr, the report to stdout (text, json or markdown).
 *
 * Exit codes: 0 converged (or nothing to do), 1 a step failed or the plan
 * cannot be applied (blocked, stale, not approved), 64 usage, 130
 * interrupted (SIGINT/SIGTERM: no new step starts, running operations stay
 * in the journal for the next run).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/error.h"
#include "common/log.h"
#include "planner/diff.h"
#include "planner/plan.h"
#include "planner/render.h"
#include "cli/cli_common.h"
#include "cli/commands.h"
#include "cli/manifest_options.h"
#include "cli/gha.h"
#include "reconciler/executor.h"
#include "reconciler/live_azure.h"
#include "reconciler/opstate.h"
#include "reconciler/plan_input.h"
#include "reconciler/progress.h"
#include "reconciler/report.h"
#include "reconciler/shard.h"
#include "sources/source.h"

#define CMD_APPLY_EXIT_INTERRUPTED 130

static volatile sig_atomic_t cmd_apply__cancel;

static void cmd_apply__on_signal(int sig)
{
	(void)sig;
	if (cmd_apply__cancel) {
		/* a second signal: the user means it (the journal is on disk) */
		_exit(CMD_APPLY_EXIT_INTERRUPTED);
	}
	cmd_apply__cancel = 1;
}

static void cmd_apply__usage(FILE *out)
{
	fprintf(out,
		"usage: cmkctl apply -f PATH [...] [--auto-approve] [options]\n"
		"       cmkctl apply PLAN.json [-f PATH ...] [options]\n"
		"\n"
		"Plan (or load a saved plan) and run its steps against Azure: ready steps\n"
		"run concurrently, every long-running operation is waited for and every\n"
		"change is verified by reading it back. Operations an interrupted apply\n"
		"left running are waited for first.\n"
		"\n"
		"options:\n"
		"%s%s"
		"  --auto-approve       apply without asking (required without a terminal)\n"
		"  --parallelism N      writes sent at once (default %d)\n"
		"  --state-dir DIR      journal of running operations (default\n"
		"                       $XDG_STATE_HOME/cmkctl or ~/.local/state/cmkctl)\n"
		"  -o, --output FORMAT  report as text (default), json or markdown\n"
		"  --allow-destroy      delete clusters removed from the manifests\n"
		"                       (only those created with deletionPolicy: Delete)\n"
		"  --allow-unlink       unlink workspaces linked to managed clusters but in\n"
		"                       no manifest, and move workspaces between clusters\n"
		"  --no-grant           never grant key access; missing access blocks\n"
		"  -h, --help           show this help\n"
		"\n"
		"A saved plan (cmkctl plan --out FILE) is applied only when the live state\n"
		"still has its fingerprint and the manifests are the same source revision\n"
		"(without -f/--git-url, the directory or git commit the plan was made from).\n"
		"Cloud and credentials come from the environment (README 'Connecting to\n"
		"Azure'), never from the command line.\n"
		"Exit codes: 0 converged, 1 error/failed step, 64 usage, 130 interrupted.\n",
		source_options_help(), shard_options_help(), EXECUTOR_DEFAULT_PARALLELISM);
}

static int cmd_apply__usage_error(const char *msg)
{
	fprintf(stderr, "cmkctl apply: %s\nRun 'cmkctl apply --help' for usage.\n", msg);
	return CMK_EXIT_USAGE;
}

static double cmd_apply__env_double(const char *name, double dflt)
{
	const char *v = getenv(name);
	char *end = NULL;
	double d;

	if (!v || !*v)
		return dflt;
	d = strtod(v, &end);
	return end && !*end && d > 0 ? d : dflt;
}

/* Ask on the terminal; true only for "yes". */
static bool cmd_apply__confirm(size_t steps)
{
	char line[64];

	fprintf(stderr, "\nApply these %zu step%s to Azure? Only 'yes' is accepted: ", steps, steps == 1 ? "" : "s");
	fflush(stderr);
	if (!fgets(line, sizeof(line), stdin))
		return false;
	line[strcspn(line, "\r\n")] = '\0';
	return strcmp(line, "yes") == 0;
}

static int cmd_apply__print_report(const report *r, const plan *p, const char *format, const cJSON *src,
				   const char *source_line)
{
	cmk_buf out = CMK_BUF_INIT;
	int error;

	if (strcmp(format, "json") == 0)
		error = report_render_json(&out, r, p, src);
	else if (strcmp(format, "markdown") == 0)
		error = report_render_markdown(&out, r, p, source_line);
	else
		error = report_render_text(&out, r, p, source_line);
	if (error == 0) {
		fwrite(cmk_buf_cstr(&out), 1, out.len, stdout);
		fflush(stdout);
	}
	cmk_buf_free(&out);
	if (error == 0 && gha_active()) {
		/* in GitHub Actions: the report on the job's summary page too */
		if ((error = report_render_markdown(&out, r, p, source_line)) == 0)
			error = gha_step_summary_append(cmk_buf_cstr(&out));
		cmk_buf_free(&out);
	}
	return error;
}

static const char *cmd_apply__str(const cJSON *o, const char *name)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, name));
}

/* Two source revision records name the same manifests: a directory by its
 * paths, a git folder by URL, commit and path (however the ref was asked). */
static bool cmd_apply__same_source(const cJSON *a, const cJSON *b)
{
	static const char *const git_keys[] = { "kind", "url", "commit", "path" };
	const char *ka = cmd_apply__str(a, "kind");

	if (!ka || !cmd_apply__str(b, "kind") || strcmp(ka, cmd_apply__str(b, "kind")) != 0)
		return false;
	if (strcmp(ka, "git") != 0)
		return cJSON_Compare(a, b, true);
	for (size_t i = 0; i < sizeof(git_keys) / sizeof(git_keys[0]); i++) {
		const char *x = cmd_apply__str(a, git_keys[i]), *y = cmd_apply__str(b, git_keys[i]);

		if (!x != !y || (x && strcmp(x, y) != 0))
			return false;
	}
	return true;
}

/* The source a saved plan was made from, as -f paths (a directory source;
 * *paths holds their storage, freed by the caller) or the git URL pinned
 * to the plan's commit. Borrowed strings point into p->source. */
static int cmd_apply__source_from_plan(source_spec *spec, char **paths, const plan *p)
{
	const char *kind = cmd_apply__str(p->source, "kind"), *path = cmd_apply__str(p->source, "path");

	if (kind && strcmp(kind, "git") == 0 && cmd_apply__str(p->source, "url") &&
	    cmd_apply__str(p->source, "commit")) {
		spec->git_url = cmd_apply__str(p->source, "url");
		spec->git_ref = spec->git_commit = cmd_apply__str(p->source, "commit");
		spec->git_path = path && *path ? path : NULL;
		return 0;
	}
	if (!kind || strcmp(kind, "dir") != 0 || !path || !*path)
		return cmk_error_set(CMK_EUSAGE, "the plan names no manifest source: give -f PATH or --git-url");
	if ((*paths = strdup(path)) == NULL)
		return cmk_error_oom();
	/* "a, b": the paths as given, joined by ", " (source.h) */
	for (char *at = *paths; at && *at && spec->nfiles < SOURCE_MAX_FILES;) {
		char *sep = strstr(at, ", ");

		if (sep)
			*sep = '\0';
		spec->files[spec->nfiles++] = at;
		at = sep ? sep + 2 : NULL;
	}
	return 0;
}

int cmd_apply(int argc, char **argv)
{
	source_spec spec = SOURCE_SPEC_INIT;
	shard_filter shard = SHARD_FILTER_INIT;
	plan_options popts = PLAN_OPTIONS_INIT;
	render_options ropts = RENDER_OPTIONS_INIT;
	live_azure_opts lopts = { 0 };
	executor_opts eopts = { 0 };
	progress_opts gopts = { 0 };
	live_azure_conn conn = { 0 };
	plan_input in;
	plan *p = NULL, empty = { 0 };
	report *r = NULL;
	opstate *journal = NULL;
	progress *pg = NULL;
	cmk_buf text = CMK_BUF_INIT;
	const char *plan_path = NULL, *state_dir = NULL, *format = "text", *v;
	char *src_paths = NULL;
	char dirbuf[4096], msg[512];
	bool auto_approve = false;
	unsigned parallelism = EXECUTOR_DEFAULT_PARALLELISM;
	struct sigaction sa, old_int, old_term;
	int rc = CMK_EXIT_ERROR, error;
	double scale;

	memset(&in, 0, sizeof(in));
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool missing = false;
		int taken;

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			cmd_apply__usage(stdout);
			return CMK_EXIT_OK;
		}
		if ((taken = source_options_take(&spec, argc, argv, &i)) != 0) {
			if (taken < 0)
				return cmd_apply__usage_error(cmk_error_last());
			continue;
		}
		if ((taken = shard_options_take(&shard, argc, argv, &i)) != 0) {
			if (taken < 0)
				return cmd_apply__usage_error(cmk_error_last());
			continue;
		}
		if ((v = cli_option_value(argc, argv, &i, "--output", "-o", &missing)) != NULL) {
			format = v;
		} else if ((v = cli_option_value(argc, argv, &i, "--state-dir", NULL, &missing)) != NULL) {
			state_dir = v;
		} else if ((v = cli_option_value(argc, argv, &i, "--parallelism", NULL, &missing)) != NULL) {
			char *end = NULL;
			long n = strtol(v, &end, 10);

			if (!end || *end || n < 1 || n > 256)
				return cmd_apply__usage_error("--parallelism: expected a number from 1 to 256");
			parallelism = (unsigned)n;
		} else if (missing) {
			snprintf(msg, sizeof(msg), "option '%s' needs a value", a);
			return cmd_apply__usage_error(msg);
		} else if (strcmp(a, "--auto-approve") == 0) {
			auto_approve = true;
		} else if (strcmp(a, "--allow-destroy") == 0) {
			popts.allow_destroy = true;
		} else if (strcmp(a, "--allow-unlink") == 0) {
			popts.allow_unlink = true;
		} else if (strcmp(a, "--no-grant") == 0) {
			popts.no_grant = true;
		} else if (a[0] != '-' && !plan_path) {
			plan_path = a;
		} else {
			snprintf(msg, sizeof(msg), a[0] == '-' ? "unknown option '%s'" : "unexpected argument '%s'", a);
			return cmd_apply__usage_error(msg);
		}
	}
	if (strcmp(format, "text") != 0 && strcmp(format, "json") != 0 && strcmp(format, "markdown") != 0) {
		snprintf(msg, sizeof(msg), "unknown output format '%s' (text, json or markdown)", format);
		return cmd_apply__usage_error(msg);
	}
	if (plan_path) {
		if (plan_load(&p, plan_path) < 0) {
			cli_error("apply", "%s", cmk_error_last());
			return CMK_EXIT_ERROR;
		}
		/* without -f / --git-url: the manifests the plan names */
		if (spec.nfiles == 0 && !spec.git_url && cmd_apply__source_from_plan(&spec, &src_paths, p) < 0) {
			plan_free(p);
			return cmd_apply__usage_error(cmk_error_last());
		}
	}
	if (spec.nfiles == 0 && !spec.git_url)
		return cmd_apply__usage_error("no manifests given: use -f PATH");
	if (source_spec_check(&spec) < 0) {
		plan_free(p);
		free(src_paths);
		return cmd_apply__usage_error(cmk_error_last());
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = cmd_apply__on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	cmd_apply__cancel = 0;

	scale = cmd_apply__env_double("CMKCTL_TIME_SCALE", 1.0);
	lopts.cancel = &cmd_apply__cancel;
	lopts.max_parallel = parallelism;
	if ((error = report_new(&r, NULL)) < 0 || (error = live_azure_connect(&conn, &lopts)) < 0)
		goto fail;
	r->time_scale = scale;
	r->started_ms = arm_now_ms();
	if (!state_dir) {
		if ((error = opstate_default_dir(dirbuf, sizeof(dirbuf))) < 0)
			goto fail;
		state_dir = dirbuf;
	}
	if ((error = opstate_open(&journal, state_dir, conn.cloud->arm_endpoint)) < 0)
		goto fail;
	gopts.out = stderr;
	gopts.tty = isatty(STDERR_FILENO) && !(getenv("TERM") && strcmp(getenv("TERM"), "dumb") == 0);
	gopts.interval_s = cmd_apply__env_double("CMKCTL_PROGRESS_INTERVAL", 30.0);
	gopts.time_scale = scale;
	gopts.quiet = cli_common_get()->quiet;
	gopts.json = cli_log_json();
	if ((error = progress_new(&pg, &gopts)) < 0)
		goto fail;

	/* 1. what an interrupted run left running */
	if ((error = executor_resume(r, conn.client, journal, pg, 0)) < 0)
		goto fail_report;

	/* 2. the plan */
	in.client = conn.client;
	in.shard = &shard;
	if ((error = plan_input_open(&in, &spec, NULL, cli_diag_stream())) < 0) {
		cli_report_diags("apply", &in.diags);
		goto fail_report;
	}
	if (plan_path) {
		if (!p->source || !in.revision || !cmd_apply__same_source(p->source, in.revision)) {
			char *was = p->source ? cJSON_PrintUnformatted(p->source) : NULL;

			error = cmk_error_set(CMK_ECONFLICT, "%s was made from source %s, but the manifests given are "
					      "%s: plan again", plan_path, was ? was : "(none)", in.revision_line);
			free(was);
			goto fail_report;
		}
		if ((error = plan_check_fresh(p, &in.live)) < 0)
			goto fail_report;
	} else {
		if ((error = plan_build(&p, in.set, &in.live, &popts)) < 0 ||
		    (error = plan_set_source(p, in.revision)) < 0)
			goto fail_report;
	}
	ropts.source_line = in.revision_line;
	if ((error = render_plan_text(&text, p, &ropts)) < 0)
		goto fail_report;
	if (!cli_log_json() && !cli_common_get()->quiet)
		fwrite(cmk_buf_cstr(&text), 1, text.len, stderr);
	fflush(stderr);
	if (!plan_is_applicable(p)) {
		error = cmk_error_set(CMK_EINVALID, "%zu step%s blocked: nothing was applied",
				      p->summary.blocked_steps, p->summary.blocked_steps == 1 ? " is" : "s are");
		goto fail_report;
	}
	if ((error = report_set_plan(r, p)) < 0)
		goto fail_report;
	if (!plan_has_changes(p)) {
		cli_note("apply", "no changes: Azure matches the manifests");
		r->ended_ms = arm_now_ms();
		if ((error = cmd_apply__print_report(r, p, format, in.revision, in.revision_line)) < 0)
			goto fail;
		rc = CMK_EXIT_OK;
		goto out;
	}
	if (!auto_approve && !plan_path) {
		if (!isatty(STDIN_FILENO)) {
			error = cmk_error_set(CMK_EINVALID, "not applied: no terminal to ask for approval "
					      "(give --auto-approve, or apply a reviewed plan file)");
			goto fail_report;
		}
		if (!cmd_apply__confirm(p->step_count)) {
			error = cmk_error_set(CMK_ECANCELED, "not applied: not approved");
			goto fail_report;
		}
	}

	/* 3. the steps */
	eopts.parallelism = parallelism;
	eopts.journal = journal;
	eopts.progress = pg;
	error = executor_run(r, conn.client, p, &eopts);
	progress_finish(pg);
	if (cmd_apply__print_report(r, p, format, in.revision, in.revision_line) < 0)
		goto fail;
	if (error == CMK_ECANCELED || r->interrupted) {
		cli_error("apply", "interrupted; running operations are recorded in %s and the next "
			"apply waits for them", opstate_path(journal));
		rc = CMD_APPLY_EXIT_INTERRUPTED;
	} else if (error < 0) {
		cli_error("apply", "%s", cmk_error_last());
		rc = CMK_EXIT_ERROR;
	} else {
		rc = CMK_EXIT_OK;
	}
	goto out;

fail_report:
	/* a report even when nothing ran: what the earlier run's operations did */
	progress_finish(pg);
	{
		char *why = strdup(cmk_error_last());

		if (r && !r->error)
			r->error = why ? strdup(why) : NULL;
		if (r) {
			r->interrupted = cmd_apply__cancel != 0;
			r->ended_ms = arm_now_ms();
			report_count(r);
			(void)cmd_apply__print_report(r, p ? p : &empty, format, in.revision, in.revision_line);
		}
		cli_error("apply", "%s", why ? why : "failed");
		free(why);
		rc = cmd_apply__cancel ? CMD_APPLY_EXIT_INTERRUPTED : CMK_EXIT_ERROR;
	}
	goto out;
fail:
	cli_error("apply", "%s", cmk_error_last());
	rc = cmd_apply__cancel ? CMD_APPLY_EXIT_INTERRUPTED : CMK_EXIT_ERROR;
out:
	cmk_buf_free(&text);
	plan_input_close(&in);
	plan_free(p);
	free(src_paths);
	report_free(r);
	progress_free(pg);
	opstate_free(journal);
	live_azure_disconnect(&conn);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	return rc;
}
