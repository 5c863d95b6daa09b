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
#include "cli/cli_common.h"
#include "cli/commands.h"
#include "cli/gha.h"
#include "cli/manifest_options.h"
#include "cli/plan_cmd.h"
#include "planner/plan.h"
#include "planner/render.h"
#include "reconciler/plan_key.h"

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

/* In GitHub Actions: the plan as markdown in the job's summary page. */
/* Sign a plan being saved when a plan key is set (CMKCTL_PLAN_KEY[_FILE]). */
static int cmd_plan__sign(plan *p)
{
	cmk_buf key = CMK_BUF_INIT;
	int error;

	cmk_buf_init(&key, 1 << 16);
	if ((error = plan_key_load(&key)) == 0 && key.len)
		error = plan_sign(p, (const unsigned char *)key.ptr, key.len);
	cmk_buf_free(&key);
	return error;
}

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
	plan_cmd c;
	const char *save_path = NULL, *v;
	bool detailed = false;
	int rc = CMK_EXIT_ERROR, error;
	char msg[256];

	plan_cmd_init(&c);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool missing = false;
		int taken;

		if (cli_is_help(a)) {
			cmd_plan__usage(stdout);
			return CMK_EXIT_OK;
		}
		if ((taken = plan_cmd_take(&c.args, argc, argv, &i)) != 0) {
			if (taken < 0)
				return cli_usage_error("plan", "%s", cmk_error_last());
			continue;
		}
		if ((v = cli_option_value(argc, argv, &i, "--out", NULL, &missing)) != NULL)
			save_path = v;
		else if (missing)
			return cli_usage_error("plan", "option '%s' needs a value", a);
		else if (strcmp(a, "--detailed-exitcode") == 0)
			detailed = true;
		else if (!plan_cmd_flag(&c.args.popts, a))
			return plan_cmd_reject("plan", a);
	}
	if (plan_cmd_check(&c.args) < 0)
		return cli_usage_error("plan", "%s", cmk_error_last());

	if ((rc = plan_cmd_show(&c, "plan")) != CMK_EXIT_OK)
		goto out;
	rc = CMK_EXIT_ERROR;
	if (gha_active() && (error = cmd_plan__step_summary(c.plan, &c.ropts, c.args.format, &c.rendered)) < 0)
		goto fail;
	if (save_path) {
		if ((error = plan_fingerprint_set(c.plan, &c.in.live)) < 0 || (error = cmd_plan__sign(c.plan)) < 0 ||
		    (error = plan_save(c.plan, save_path)) < 0)
			goto fail;
		cli_note("plan", "saved to %s (apply it with 'cmkctl apply %s')", save_path, save_path);
	}
	if (!plan_is_applicable(c.plan)) {
		snprintf(msg, sizeof(msg), "%zu step%s blocked: this plan cannot be applied",
			 c.plan->summary.blocked_steps, c.plan->summary.blocked_steps == 1 ? " is" : "s are");
		cli_error("plan", "%s", msg);
		if (gha_active())
			gha_annotate(stderr, "error", "cmkctl plan", msg);
		rc = CMK_EXIT_ERROR;
	} else {
		rc = detailed && plan_has_changes(c.plan) ? CMK_EXIT_CHANGES : CMK_EXIT_OK;
	}
	goto out;
fail:
	cli_error("plan", "%s", cmk_error_last());
out:
	plan_cmd_free(&c);
	return rc;
}
