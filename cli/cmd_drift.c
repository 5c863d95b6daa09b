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
#include "cli/cli_common.h"
#include "cli/commands.h"
#include "cli/gha.h"
#include "cli/manifest_options.h"
#include "cli/plan_cmd.h"
#include "planner/plan.h"
#include "planner/render.h"

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

int cmd_drift(int argc, char **argv)
{
	plan_cmd c;
	int rc = CMK_EXIT_ERROR, error;

	plan_cmd_init(&c);
	for (int i = 1; i < argc; i++) {
		int taken;

		if (cli_is_help(argv[i])) {
			cmd_drift__usage(stdout);
			return CMK_EXIT_OK;
		}
		if ((taken = plan_cmd_take(&c.args, argc, argv, &i)) < 0)
			return cli_usage_error("drift", "%s", cmk_error_last());
		if (taken == 0)
			return plan_cmd_reject("drift", argv[i]);
	}
	if (plan_cmd_check(&c.args) < 0)
		return cli_usage_error("drift", "%s", cmk_error_last());

	c.ropts.mode = RENDER_DRIFT;
	if ((rc = plan_cmd_show(&c, "drift")) != CMK_EXIT_OK)
		goto out;
	rc = plan_has_drift(c.plan) ? CMK_EXIT_CHANGES : CMK_EXIT_OK;
	if (gha_active()) {
		/* the findings on the job's summary page, and a warning to see */
		cmk_buf md = CMK_BUF_INIT;

		if ((error = render_plan_markdown(&md, c.plan, &c.ropts, 0)) == 0)
			error = gha_step_summary_append(cmk_buf_cstr(&md));
		cmk_buf_free(&md);
		if (error < 0) {
			cli_error("drift", "%s", cmk_error_last());
			rc = CMK_EXIT_ERROR;
			goto out;
		}
		if (rc == CMK_EXIT_CHANGES)
			gha_annotate(stderr, "warning", "cmkctl drift",
				     "Azure differs from the manifests: see the job summary");
	}
out:
	plan_cmd_free(&c);
	return rc;
}
