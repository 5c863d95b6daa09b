/*
 * cmd_graph.c - `cmkctl graph`: the plan's step graph as Mermaid (default)
 * or Graphviz DOT, for reviews and documentation. Same inputs as `plan`.
 */
#include <stdio.h>
#include <string.h>

#include "common/buf.h"
#include "common/error.h"
#include "cli/cli_common.h"
#include "cli/commands.h"
#include "cli/manifest_options.h"
#include "cli/plan_cmd.h"
#include "planner/diff.h"
#include "planner/plan.h"
#include "planner/render.h"

static void cmd_graph__usage(FILE *out)
{
	fprintf(out,
		"usage: cmkctl graph -f PATH [...] [--live-state FILE.json] [--format mermaid|dot]\n"
		"\n"
		"Print the step graph of the plan: each step, numbered as in 'cmkctl plan',\n"
		"and its dependencies (the documented provisioning order). Blocked steps are\n"
		"marked.\n"
		"\n"
		"options:\n"
		"%s%s"
		"  --live-state FILE    read the live state from a JSON file (fixture form)\n"
		"  --format FORMAT      mermaid (default) or dot\n"
		"  --allow-destroy, --allow-unlink, --no-grant, --now TIME   as for 'plan'\n"
		"  -h, --help           show this help\n"
		"\n"
		"Exit codes: 0 success, 1 error, 64 usage error.\n",
		source_options_help(), shard_options_help());
}

int cmd_graph(int argc, char **argv)
{
	plan_cmd c;
	plan_cmd_args *args = &c.args;
	const char *format = "mermaid";
	int rc = CMK_EXIT_ERROR, error;

	plan_cmd_init(&c);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *val = NULL;
		int taken;

		if (cli_is_help(a)) {
			cmd_graph__usage(stdout);
			return CMK_EXIT_OK;
		}
		if ((taken = manifest_options_take(&args->spec, &args->shard, argc, argv, &i)) != 0) {
			if (taken < 0)
				return cli_usage_error("graph", "%s", cmk_error_last());
			continue;
		}
		if (plan_cmd_flag(&args->popts, a))
			continue;
		if (strncmp(a, "--", 2) == 0 && strchr(a, '=')) {
			val = strchr(a, '=') + 1;
		} else if (strcmp(a, "--live-state") == 0 || strcmp(a, "--format") == 0 || strcmp(a, "--now") == 0) {
			if (i + 1 >= argc)
				return cli_usage_error("graph", "option '%s' needs a value", a);
			val = argv[++i];
		} else {
			return plan_cmd_reject("graph", a);
		}
		if (strncmp(a, "--live-state", 12) == 0) {
			args->live_path = val;
		} else if (strncmp(a, "--format", 8) == 0) {
			format = val;
		} else if (strncmp(a, "--now", 5) == 0) {
			if (diff_parse_time(&args->popts.now, val) < 0)
				return cli_usage_error("graph", "%s", cmk_error_last());
		} else {
			return cli_usage_error("graph", "unknown option '%s'", a);
		}
	}
	if (strcmp(format, "mermaid") != 0 && strcmp(format, "dot") != 0)
		return cli_usage_error("graph", "unknown format '%s' (mermaid or dot)", format);
	if (manifest_options_check(&args->spec) < 0)
		return cli_usage_error("graph", "%s", cmk_error_last());

	if ((rc = plan_cmd_build(&c, "graph")) != CMK_EXIT_OK)
		goto out;
	if (strcmp(format, "dot") == 0)
		error = render_plan_dot(&c.rendered, c.plan);
	else
		error = render_plan_mermaid(&c.rendered, c.plan);
	if (error < 0) {
		cli_error("graph", "%s", cmk_error_last());
		rc = CMK_EXIT_ERROR;
		goto out;
	}
	fwrite(cmk_buf_cstr(&c.rendered), 1, c.rendered.len, stdout);
out:
	plan_cmd_free(&c);
	return rc;
}
