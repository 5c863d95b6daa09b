/*
 * cmd_drift.c - `cmkctl drift`: compare Azure with the manifests without
 * writing anything, for scheduled checks.
 *
 * It is the plan's diff rendered for drift (render.h RENDER_DRIFT):
 * findings first and loud - a newer key version than a cluster uses while
 * the manifest says `latest` (rotation pending), revocation risk (key
 * disabled or expired, the cluster principal's key access removed,
 * identity type None), workspaces linked to a managed cluster but in no
 * manifest, resources that vanished - then every field that differs.
 *
 * Exit codes: 0 in sync, 2 drift, 1 error, 64 usage.
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

static void cmd_drift__usage(FILE *out)
{
	fprintf(out,
		"usage: cmkctl drift -f PATH [...] [options]\n"
		"       cmkctl drift --git-url URL [--git-ref REF] [...] [options]\n"
		"\n"
		"Compare Azure with the manifests and report drift: rotation pending (a newer\n"
		"key version than a cluster uses with version: latest), revocation risk (key\n"
		"disabled or expired, key access removed, identity None), workspaces linked\n"
		"to a managed cluster but in no manifest, vanished resources, and every\n"
		"field that differs. Nothing is written.\n"
		"\n"
		"options:\n"
		"%s%s"
		"  -o, --output FORMAT  text (default), json or markdown\n"
		"  --live-state FILE    compare with a live state JSON file instead of Azure\n"
		"  --now TIME           evaluate 30-day rules at TIME (ISO 8601)\n"
		"  -h, --help           show this help\n"
		"\n"
		"Exit codes: 0 in sync, 2 drift, 1 error, 64 usage error.\n",
		source_options_help(), shard_options_help());
}

static int cmd_drift__usage_error(const char *msg)
{
	fprintf(stderr, "cmkctl drift: %s\nRun 'cmkctl drift --help' for usage.\n", msg);
	return CMK_EXIT_USAGE;
}

int cmd_drift(int argc, char **argv)
{
	source_spec spec = SOURCE_SPEC_INIT;
	shard_filter shard = SHARD_FILTER_INIT;
	plan_options popts = PLAN_OPTIONS_INIT;
	render_options ropts = RENDER_OPTIONS_INIT;
	plan_input in;
	plan *p = NULL;
	cmk_buf out = CMK_BUF_INIT;
	const char *live_path = NULL, *format = "text", *v;
	int rc = CMK_EXIT_ERROR, error;
	char msg[256];

	memset(&in, 0, sizeof(in));
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool missing = false;
		int taken;

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			cmd_drift__usage(stdout);
			return CMK_EXIT_OK;
		}
		if ((taken = source_options_take(&spec, argc, argv, &i)) != 0) {
			if (taken < 0)
				return cmd_drift__usage_error(cmk_error_last());
			continue;
		}
		if ((taken = shard_options_take(&shard, argc, argv, &i)) != 0) {
			if (taken < 0)
				return cmd_drift__usage_error(cmk_error_last());
			continue;
		}
		if ((v = cli_option_value(argc, argv, &i, "--live-state", NULL, &missing)) != NULL) {
			live_path = v;
		} else if ((v = cli_option_value(argc, argv, &i, "--output", "-o", &missing)) != NULL) {
			format = v;
		} else if ((v = cli_option_value(argc, argv, &i, "--now", NULL, &missing)) != NULL) {
			if (diff_parse_time(&popts.now, v) < 0)
				return cmd_drift__usage_error(cmk_error_last());
		} else if (missing) {
			snprintf(msg, sizeof(msg), "option '%s' needs a value", a);
			return cmd_drift__usage_error(msg);
		} else {
			snprintf(msg, sizeof(msg), a[0] == '-' ? "unknown option '%s'"
							       : "unexpected argument '%s' (use -f PATH)", a);
			return cmd_drift__usage_error(msg);
		}
	}
	if (strcmp(format, "text") != 0 && strcmp(format, "json") != 0 && strcmp(format, "markdown") != 0) {
		snprintf(msg, sizeof(msg), "unknown output format '%s' (text, json or markdown)", format);
		return cmd_drift__usage_error(msg);
	}
	if (spec.nfiles == 0 && !spec.git_url)
		return cmd_drift__usage_error("no manifests given: use -f PATH");
	if (source_spec_check(&spec) < 0)
		return cmd_drift__usage_error(cmk_error_last());

	in.shard = &shard;
	if ((error = plan_input_open(&in, &spec, live_path, cli_diag_stream())) < 0) {
		cli_report_diags("drift", &in.diags);
		rc = error == CMK_EUSAGE ? CMK_EXIT_USAGE : CMK_EXIT_ERROR;
		goto fail;
	}
	if ((error = plan_build(&p, in.set, &in.live, &popts)) < 0 || (error = plan_set_source(p, in.revision)) < 0)
		goto fail;
	ropts.mode = RENDER_DRIFT;
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
	rc = plan_has_drift(p) ? CMK_EXIT_CHANGES : CMK_EXIT_OK;
	if (gha_active()) {
		/* the findings on the job's summary page, and a warning to see */
		cmk_buf md = CMK_BUF_INIT;

		if ((error = render_plan_markdown(&md, p, &ropts, 0)) == 0)
			error = gha_step_summary_append(cmk_buf_cstr(&md));
		cmk_buf_free(&md);
		if (error < 0)
			goto fail;
		if (rc == CMK_EXIT_CHANGES)
			gha_annotate(stderr, "warning", "cmkctl drift",
				     "Azure differs from the manifests: see the job summary");
	}
	goto out;
fail:
	cli_error("drift", "%s", cmk_error_last());
	if (rc != CMK_EXIT_USAGE)
		rc = CMK_EXIT_ERROR;
out:
	cmk_buf_free(&out);
	plan_free(p);
	plan_input_close(&in);
	return rc;
}
