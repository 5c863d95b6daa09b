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

#include "cli/cli_common.h"
#include "cli/commands.h"
#include "cli/gha.h"
#include "cli/manifest_options.h"
#include "cli/plan_cmd.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/time.h"
#include "planner/plan.h"
#include "reconciler/converge.h"
#include "reconciler/executor.h"
#include "reconciler/live_azure.h"
#include "reconciler/opstate.h"
#include "reconciler/progress.h"
#include "reconciler/report.h"

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


/* What the command line asked for. */
typedef struct {
	source_spec spec;
	shard_filter shard;
	plan_options popts;
	const char *plan_path; /* PLAN.json: apply a saved plan */
	const char *state_dir; /* NULL: opstate_default_dir */
	const char *format;    /* report: text, json or markdown */
	bool auto_approve;
	unsigned parallelism;
} cmd_apply__args;

/* argv into `a`. Returns -1 to go on, else the exit code to return (help
 * printed, or a usage error reported). */
static int cmd_apply__parse(cmd_apply__args *a, int argc, char **argv)
{
	const char *v;

	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		bool missing = false;
		int taken;

		if (cli_is_help(arg)) {
			cmd_apply__usage(stdout);
			return CMK_EXIT_OK;
		}
		if ((taken = manifest_options_take(&a->spec, &a->shard, argc, argv, &i)) != 0) {
			if (taken < 0)
				return cli_usage_error("apply", "%s", cmk_error_last());
			continue;
		}
		if ((v = cli_option_value(argc, argv, &i, "--output", "-o", &missing)) != NULL) {
			a->format = v;
		} else if ((v = cli_option_value(argc, argv, &i, "--state-dir", NULL, &missing)) != NULL) {
			a->state_dir = v;
		} else if ((v = cli_option_value(argc, argv, &i, "--parallelism", NULL, &missing)) != NULL) {
			if (cli_parallelism_value(&a->parallelism, v) < 0)
				return cli_usage_error("apply", "%s", cmk_error_last());
		} else if (missing) {
			return cli_usage_error("apply", "option '%s' needs a value", arg);
		} else if (strcmp(arg, "--auto-approve") == 0) {
			a->auto_approve = true;
		} else if (plan_cmd_flag(&a->popts, arg)) {
			continue;
		} else if (arg[0] != '-' && !a->plan_path) {
			a->plan_path = arg;
		} else {
			return cli_usage_error("apply", arg[0] == '-' ? "unknown option '%s'" : "unexpected argument '%s'",
					       arg);
		}
	}
	if (strcmp(a->format, "text") != 0 && strcmp(a->format, "json") != 0 && strcmp(a->format, "markdown") != 0)
		return cli_usage_error("apply", "unknown output format '%s' (text, json or markdown)", a->format);
	return -1;
}

/* The approval asked before a fresh plan's steps run. */
static int cmd_apply__approve(const plan *p, void *ctx)
{
	(void)ctx;
	if (!isatty(STDIN_FILENO))
		return cmk_error_set(CMK_EINVALID, "not applied: no terminal to ask for approval "
				     "(give --auto-approve, or apply a reviewed plan file)");
	if (!cmd_apply__confirm(p->step_count))
		return cmk_error_set(CMK_ECANCELED, "not applied: not approved");
	return 0;
}

/* What one apply holds open: the connection, the journal, the report and
 * the progress lines. */
typedef struct {
	live_azure_conn conn;
	opstate *journal;
	report *r;
	progress *pg;
} cmd_apply__session;

static int cmd_apply__open(cmd_apply__session *s, const cmd_apply__args *a)
{
	live_azure_opts lopts = { 0 };
	progress_opts gopts = { 0 };
	const char *state_dir = a->state_dir;
	char dirbuf[4096];
	double scale;
	int error;

	/* a bad value is refused by live_azure_connect below, with its message */
	if (cmk_time_scale_env(&scale) < 0)
		scale = 1.0;
	lopts.cancel = &cmd_apply__cancel;
	lopts.max_parallel = a->parallelism;
	if ((error = report_new(&s->r, NULL)) < 0 || (error = live_azure_connect(&s->conn, &lopts)) < 0)
		return error;
	s->r->time_scale = scale;
	s->r->started_ms = arm_now_ms();
	if (!state_dir) {
		if ((error = opstate_default_dir(dirbuf, sizeof(dirbuf))) < 0)
			return error;
		state_dir = dirbuf;
	}
	if ((error = opstate_open(&s->journal, state_dir, s->conn.cloud->arm_endpoint)) < 0)
		return error;
	gopts.out = stderr;
	gopts.tty = isatty(STDERR_FILENO) && !(getenv("TERM") && strcmp(getenv("TERM"), "dumb") == 0);
	gopts.interval_s = cmd_apply__env_double("CMKCTL_PROGRESS_INTERVAL", 30.0);
	gopts.time_scale = scale;
	gopts.quiet = cli_common_get()->quiet;
	gopts.json = cli_log_json();
	return progress_new(&s->pg, &gopts);
}

static void cmd_apply__close(cmd_apply__session *s)
{
	report_free(s->r);
	progress_free(s->pg);
	opstate_free(s->journal);
	live_azure_disconnect(&s->conn);
}

/* Nothing was applied: a report even so (what an earlier run's operations
 * did), then the error. */
static int cmd_apply__refused(const converge_result *res, cmd_apply__session *s, const char *format)
{
	plan empty = { 0 };
	char *why;

	progress_finish(s->pg);
	why = strdup(cmk_error_last());
	if (!s->r->error)
		s->r->error = why ? strdup(why) : NULL;
	s->r->interrupted = cmd_apply__cancel != 0;
	s->r->ended_ms = arm_now_ms();
	report_count(s->r);
	(void)cmd_apply__print_report(s->r, res->plan ? res->plan : &empty, format, res->in.revision,
				      res->in.revision_line);
	cli_error("apply", "%s", why ? why : "failed");
	free(why);
	return cmd_apply__cancel ? CMD_APPLY_EXIT_INTERRUPTED : CMK_EXIT_ERROR;
}

static int cmd_apply__failed(void)
{
	cli_error("apply", "%s", cmk_error_last());
	return cmd_apply__cancel ? CMD_APPLY_EXIT_INTERRUPTED : CMK_EXIT_ERROR;
}

/* The report and the exit code of a converge that got to a plan. */
static int cmd_apply__finish(const converge_result *res, int error, cmd_apply__session *s, const char *format)
{
	if (error == 0 && res->stage == CONVERGE_NO_CHANGES) {
		cli_note("apply", "no changes: Azure matches the manifests");
		if (cmd_apply__print_report(s->r, res->plan, format, res->in.revision, res->in.revision_line) < 0)
			return cmd_apply__failed();
		return CMK_EXIT_OK;
	}
	if (res->stage != CONVERGE_EXECUTED)
		return cmd_apply__refused(res, s, format);
	if (cmd_apply__print_report(s->r, res->plan, format, res->in.revision, res->in.revision_line) < 0)
		return cmd_apply__failed();
	if (error == CMK_ECANCELED || s->r->interrupted) {
		cli_error("apply", "interrupted; running operations are recorded in %s and the next "
			"apply waits for them", opstate_path(s->journal));
		return CMD_APPLY_EXIT_INTERRUPTED;
	}
	if (error < 0) {
		cli_error("apply", "%s", cmk_error_last());
		return CMK_EXIT_ERROR;
	}
	return CMK_EXIT_OK;
}

/* Converge with the command's options; `res` holds the saved plan if any. */
static int cmd_apply__run(converge_result *res, const cmd_apply__args *a)
{
	cmd_apply__session s = { 0 };
	converge_opts co = { 0 };
	int rc, error;

	if (cmd_apply__open(&s, a) < 0) {
		rc = cmd_apply__failed();
		goto out;
	}
	co.cmd = "apply";
	co.ui = cli_ui();
	co.spec = &a->spec;
	co.shard = &a->shard;
	co.popts = &a->popts;
	co.client = s.conn.client;
	co.journal = s.journal;
	co.progress = s.pg;
	co.parallelism = a->parallelism;
	co.show_plan = true;
	co.blocked_hint = "";
	co.saved_path = a->plan_path;
	if (!a->auto_approve && !a->plan_path)
		co.approve = cmd_apply__approve;
	error = converge_run(res, s.r, &co);
	rc = cmd_apply__finish(res, error, &s, a->format);
out:
	converge_result_free(res); /* the plan input borrows the connection */
	cmd_apply__close(&s);
	return rc;
}

int cmd_apply(int argc, char **argv)
{
	cmd_apply__args a = { .spec = SOURCE_SPEC_INIT, .shard = SHARD_FILTER_INIT, .popts = PLAN_OPTIONS_INIT,
			      .format = "text", .parallelism = EXECUTOR_DEFAULT_PARALLELISM };
	converge_result res;
	char *src_paths = NULL;
	struct sigaction sa, old_int, old_term;
	int rc;

	converge_result_init(&res);
	if ((rc = cmd_apply__parse(&a, argc, argv)) >= 0)
		return rc;
	if (a.plan_path) {
		if (plan_load(&res.plan, a.plan_path) < 0) {
			cli_error("apply", "%s", cmk_error_last());
			return CMK_EXIT_ERROR;
		}
		/* without -f / --git-url: the manifests the plan names */
		if (a.spec.nfiles == 0 && !a.spec.git_url &&
		    cmd_apply__source_from_plan(&a.spec, &src_paths, res.plan) < 0) {
			rc = cli_usage_error("apply", "%s", cmk_error_last());
			goto out;
		}
	}
	if (manifest_options_check(&a.spec) < 0) {
		rc = cli_usage_error("apply", "%s", cmk_error_last());
		goto out;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = cmd_apply__on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	cmd_apply__cancel = 0;
	rc = cmd_apply__run(&res, &a);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
out:
	converge_result_free(&res);
	free(src_paths);
	return rc;
}
