/*
 * cmd_plan.c - `cmkctl plan`: load and validate the manifests, read the
 * live state, print what apply would do (text, JSON or markdown), and
 * optionally save the plan for `apply FILE`.
 *
 * Exit codes: 0 success (with --detailed-exitcode: no changes), 2 changes
 * (--detailed-exitcode), 1 error or a plan with blocked steps (it cannot
 * be applied: CI must notice), 64 usage error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/error.h"
#include "planner/diff.h"
#include "planner/plan.h"
#include "planner/render.h"
#include "cli/cli_common.h"
#include "cli/commands.h"
#include "cli/manifest_options.h"
#include "cli/gha.h"
#include "reconciler/plan_input.h"
#include "reconciler/shard.h"
#include "sources/source.h"

static void cmd_plan__usage(FILE *out)
{
	fprintf(out,
		"usage: cmkctl plan -f PATH [...] [options]\n"
		"       cmkctl plan --git-url URL [--git-ref REF] [...] [options]\n"
		"\n"
		"Compare the manifests with Azure and print the steps apply would run, in the\n"
		"documented order, with every problem that can be predicted before a write\n"
		"(blocked steps). Nothing is written to Azure.\n"
		"\n"
		"options:\n"
		"%s%s"
		"  --live-state FILE    read the live state from a JSON file (fixture form)\n"
		"                       instead of Azure (cloud and credential come from the\n"
		"                       environment: see README 'Connecting to Azure')\n"
		"  -o, --output FORMAT  text (default), json or markdown (pull-request comment)\n"
		"  --out FILE           save the plan (mode 0600) for 'cmkctl apply FILE'\n"
		"  --detailed-exitcode  exit 0 without changes, 2 with changes, 1 on error\n"
		"  --allow-destroy      plan deletes of clusters removed from the manifests\n"
		"                       (only those created with deletionPolicy: Delete)\n"
		"  --allow-unlink       plan unlinks of workspaces linked to managed clusters\n"
		"                       but in no manifest, and moves between clusters\n"
		"  --no-grant           never grant key access; missing access blocks the plan\n"
		"  --now TIME           evaluate 30-day rules at TIME (ISO 8601), for review\n"
		"  -h, --help           show this help\n"
		"\n"
		"Colour is used on a terminal unless NO_COLOR is set.\n"
		"Exit codes: 0 success/no changes, 1 error or blocked steps, 2 changes\n"
		"(--detailed-exitcode), 64 usage error.\n",
		source_options_help(), shard_options_help());
}

static int cmd_plan__usage_error(const char *msg)
{
	fprintf(stderr, "cmkctl plan: %s\nRun 'cmkctl plan --help' for usage.\n", msg);
	return CMK_EXIT_USAGE;
}

/* In GitHub Actions: the plan as markdown in the job's summary page. */
static int cmd_plan__step_summary(const plan *p, const render_options *ropts, const char *format,
				  const cmk_buf *rendered)
{
	cmk_buf md = CMK_BUF_INIT;
	int error;

	if (strcmp(format, "markdown") == 0)
		return gha_step_summary_append(cmk_buf_cstr(rendered));
	if ((error = render_plan_markdown(&md, p, ropts, 0)) == 0)
		error = gha_step_summary_append(cmk_buf_cstr(&md));
	cmk_buf_free(&md);
	return error;
}

int cmd_plan(int argc, char **argv)
{
	source_spec spec = SOURCE_SPEC_INIT;
	shard_filter shard = SHARD_FILTER_INIT;
	plan_options popts = PLAN_OPTIONS_INIT;
	render_options ropts = RENDER_OPTIONS_INIT;
	plan_input in;
	plan *p = NULL;
	cmk_buf out = CMK_BUF_INIT;
	const char *live_path = NULL, *save_path = NULL, *format = "text", *v;
	bool detailed = false;
	int rc = CMK_EXIT_ERROR, error;
	char msg[256];

	memset(&in, 0, sizeof(in));
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool missing = false;
		int taken;

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			cmd_plan__usage(stdout);
			return CMK_EXIT_OK;
		}
		if ((taken = source_options_take(&spec, argc, argv, &i)) != 0) {
			if (taken < 0)
				return cmd_plan__usage_error(cmk_error_last());
			continue;
		}
		if ((taken = shard_options_take(&shard, argc, argv, &i)) != 0) {
			if (taken < 0)
				return cmd_plan__usage_error(cmk_error_last());
			continue;
		}
		if ((v = cli_option_value(argc, argv, &i, "--live-state", NULL, &missing)) != NULL) {
			live_path = v;
		} else if ((v = cli_option_value(argc, argv, &i, "--output", "-o", &missing)) != NULL) {
			format = v;
		} else if ((v = cli_option_value(argc, argv, &i, "--out", NULL, &missing)) != NULL) {
			save_path = v;
		} else if ((v = cli_option_value(argc, argv, &i, "--now", NULL, &missing)) != NULL) {
			if (diff_parse_time(&popts.now, v) < 0)
				return cmd_plan__usage_error(cmk_error_last());
		} else if (missing) {
			snprintf(msg, sizeof(msg), "option '%s' needs a value", a);
			return cmd_plan__usage_error(msg);
		} else if (strcmp(a, "--detailed-exitcode") == 0) {
			detailed = true;
		} else if (strcmp(a, "--allow-destroy") == 0) {
			popts.allow_destroy = true;
		} else if (strcmp(a, "--allow-unlink") == 0) {
			popts.allow_unlink = true;
		} else if (strcmp(a, "--no-grant") == 0) {
			popts.no_grant = true;
		} else {
			snprintf(msg, sizeof(msg), a[0] == '-' ? "unknown option '%s'"
							       : "unexpected argument '%s' (use -f PATH)", a);
			return cmd_plan__usage_error(msg);
		}
	}
	if (strcmp(format, "text") != 0 && strcmp(format, "json") != 0 && strcmp(format, "markdown") != 0) {
		snprintf(msg, sizeof(msg), "unknown output format '%s' (text, json or markdown)", format);
		return cmd_plan__usage_error(msg);
	}
	if (spec.nfiles == 0 && !spec.git_url)
		return cmd_plan__usage_error("no manifests given: use -f PATH");
	if (source_spec_check(&spec) < 0)
		return cmd_plan__usage_error(cmk_error_last());

	in.shard = &shard;
	if ((error = plan_input_open(&in, &spec, live_path, cli_diag_stream())) < 0) {
		cli_report_diags("plan", &in.diags);
		rc = error == CMK_EUSAGE ? CMK_EXIT_USAGE : CMK_EXIT_ERROR;
		goto fail;
	}
	if ((error = plan_build(&p, in.set, &in.live, &popts)) < 0 ||
	    (error = plan_set_source(p, in.revision)) < 0)
		goto fail;
	ropts.source_line = in.revision_line;
	ropts.color = strcmp(format, "text") == 0 && cli_color(stdout);
	if (strcmp(format, "json") == 0)
		error = render_plan_json(&out, p);
	else if (strcmp(format, "markdown") == 0)
		error = render_plan_markdown(&out, p, &ropts, 0);
	else
		error = render_plan_text(&out, p, &ropts);
	if (error < 0)
		goto fail;
	fwrite(cmk_buf_cstr(&out), 1, out.len, stdout);
	fflush(stdout);
	if (gha_active() && (error = cmd_plan__step_summary(p, &ropts, format, &out)) < 0)
		goto fail;
	if (save_path) {
		if ((error = plan_fingerprint_set(p, &in.live)) < 0 || (error = plan_save(p, save_path)) < 0)
			goto fail;
		cli_note("plan", "saved to %s (apply it with 'cmkctl apply %s')", save_path, save_path);
	}
	if (!plan_is_applicable(p)) {
		snprintf(msg, sizeof(msg), "%zu step%s blocked: this plan cannot be applied",
			 p->summary.blocked_steps, p->summary.blocked_steps == 1 ? " is" : "s are");
		cli_error("plan", "%s", msg);
		if (gha_active())
			gha_annotate(stderr, "error", "cmkctl plan", msg);
		rc = CMK_EXIT_ERROR;
	} else {
		rc = detailed && plan_has_changes(p) ? CMK_EXIT_CHANGES : CMK_EXIT_OK;
	}
	goto out;
fail:
	cli_error("plan", "%s", cmk_error_last());
	if (rc != CMK_EXIT_USAGE)
		rc = CMK_EXIT_ERROR;
out:
	cmk_buf_free(&out);
	plan_free(p);
	plan_input_close(&in);
	return rc;
}
