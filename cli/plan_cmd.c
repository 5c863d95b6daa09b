/*
 * plan_cmd.c - options, planning and rendering shared by plan, drift and
 * graph (see plan_cmd.h).
 */
#include "cli/plan_cmd.h"

#include <stdbool.h>
#include <string.h>

#include "cli/cli_common.h"
#include "cli/commands.h"
#include "cli/manifest_options.h"
#include "planner/diff.h"

int plan_cmd_take(plan_cmd_args *a, int argc, char **argv, int *i)
{
	const char *arg = argv[*i], *v;
	bool missing = false;
	int taken;

	if ((taken = manifest_options_take(&a->spec, &a->shard, argc, argv, i)) != 0)
		return taken;
	if ((v = cli_option_value(argc, argv, i, "--live-state", NULL, &missing)) != NULL) {
		a->live_path = v;
	} else if ((v = cli_option_value(argc, argv, i, "--output", "-o", &missing)) != NULL) {
		a->format = v;
	} else if ((v = cli_option_value(argc, argv, i, "--now", NULL, &missing)) != NULL) {
		int error = diff_parse_time(&a->popts.now, v);

		if (error < 0)
			return error; /* a usage error too: the caller reports any < 0 as one */
	} else if (missing) {
		return cmk_error_set(CMK_EUSAGE, "option '%s' needs a value", arg);
	} else {
		return 0;
	}
	return 1;
}

bool plan_cmd_flag(plan_options *po, const char *arg)
{
	if (strcmp(arg, "--allow-destroy") == 0)
		po->allow_destroy = true;
	else if (strcmp(arg, "--allow-unlink") == 0)
		po->allow_unlink = true;
	else if (strcmp(arg, "--no-grant") == 0)
		po->no_grant = true;
	else
		return false;
	return true;
}

int plan_cmd_reject(const char *cmd, const char *arg)
{
	if (arg[0] == '-')
		return cli_usage_error(cmd, "unknown option '%s'", arg);
	return cli_usage_error(cmd, "unexpected argument '%s' (use -f PATH)", arg);
}

int plan_cmd_check(const plan_cmd_args *a)
{
	const char *f = a->format;

	if (strcmp(f, "text") != 0 && strcmp(f, "json") != 0 && strcmp(f, "markdown") != 0)
		return cmk_error_set(CMK_EUSAGE, "unknown output format '%s' (text, json or markdown)", f);
	return manifest_options_check(&a->spec);
}

void plan_cmd_init(plan_cmd *c)
{
	memset(c, 0, sizeof(*c));
	c->args.spec = (source_spec)SOURCE_SPEC_INIT;
	c->args.shard = (shard_filter)SHARD_FILTER_INIT;
	c->args.popts = (plan_options)PLAN_OPTIONS_INIT;
	c->args.format = "text";
	c->ropts = (render_options)RENDER_OPTIONS_INIT;
}

void plan_cmd_free(plan_cmd *c)
{
	cmk_buf_free(&c->rendered);
	plan_free(c->plan);
	c->plan = NULL;
	plan_input_close(&c->in);
}

int plan_cmd_build(plan_cmd *c, const char *cmd)
{
	int error, rc = CMK_EXIT_ERROR;

	c->in.shard = &c->args.shard;
	if ((error = plan_input_open(&c->in, &c->args.spec, c->args.live_path, cli_diag_stream())) < 0) {
		cli_report_diags(cmd, &c->in.diags);
		if (error == CMK_EUSAGE)
			rc = CMK_EXIT_USAGE;
		goto fail;
	}
	if ((error = plan_build(&c->plan, c->in.set, &c->in.live, &c->args.popts)) < 0 ||
	    (error = plan_set_source(c->plan, c->in.revision)) < 0)
		goto fail;
	return CMK_EXIT_OK;
fail:
	cli_error(cmd, "%s", cmk_error_last());
	return rc;
}

int plan_cmd_show(plan_cmd *c, const char *cmd)
{
	const char *f = c->args.format;
	int rc, error;

	if ((rc = plan_cmd_build(c, cmd)) != CMK_EXIT_OK)
		return rc;
	c->ropts.source_line = c->in.revision_line;
	c->ropts.color = strcmp(f, "text") == 0 && cli_color(stdout);
	if (strcmp(f, "json") == 0)
		error = render_plan_json(&c->rendered, c->plan);
	else if (strcmp(f, "markdown") == 0)
		error = render_plan_markdown(&c->rendered, c->plan, &c->ropts, 0);
	else
		error = render_plan_text(&c->rendered, c->plan, &c->ropts);
	if (error < 0) {
		cli_error(cmd, "%s", cmk_error_last());
		return CMK_EXIT_ERROR;
	}
	fwrite(cmk_buf_cstr(&c->rendered), 1, c->rendered.len, stdout);
	fflush(stdout);
	return CMK_EXIT_OK;
}
