/*
 * cmd_graph.c - `cmkctl graph`: the plan's step graph as Mermaid (default)
 * or Graphviz DOT, for reviews and documentation. Same inputs as `plan`.
 */
#include <stdio.h>
#include <string.h>

#include "common/buf.h"
#include "common/error.h"
#include "planner/diff.h"
#include "planner/plan.h"
#include "planner/render.h"
#include "cli/cli_common.h"
#include "cli/commands.h"
#include "cli/manifest_options.h"
#include "reconciler/plan_input.h"
#include "reconciler/shard.h"
#include "sources/source.h"

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

static int cmd_graph__usage_error(const char *msg)
{
	fprintf(stderr, "cmkctl graph: %s\nRun 'cmkctl graph --help' for usage.\n", msg);
	return CMK_EXIT_USAGE;
}

int cmd_graph(int argc, char **argv)
{
	source_spec spec = SOURCE_SPEC_INIT;
	shard_filter shard = SHARD_FILTER_INIT;
	plan_options popts = PLAN_OPTIONS_INIT;
	plan_input in;
	plan *p = NULL;
	cmk_buf out = CMK_BUF_INIT;
	const char *live_path = NULL, *format = "mermaid";
	int rc = CMK_EXIT_ERROR, error;
	char msg[256];

	memset(&in, 0, sizeof(in));
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *val = NULL;
		int taken;

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			cmd_graph__usage(stdout);
			return CMK_EXIT_OK;
		}
		if ((taken = source_options_take(&spec, argc, argv, &i)) != 0) {
			if (taken < 0)
				return cmd_graph__usage_error(cmk_error_last());
			continue;
		}
		if ((taken = shard_options_take(&shard, argc, argv, &i)) != 0) {
			if (taken < 0)
				return cmd_graph__usage_error(cmk_error_last());
			continue;
		}
		if (strcmp(a, "--allow-destroy") == 0) {
			popts.allow_destroy = true;
			continue;
		}
		if (strcmp(a, "--allow-unlink") == 0) {
			popts.allow_unlink = true;
			continue;
		}
		if (strcmp(a, "--no-grant") == 0) {
			popts.no_grant = true;
			continue;
		}
		if (strncmp(a, "--", 2) == 0 && strchr(a, '=')) {
			val = strchr(a, '=') + 1;
		} else if (strcmp(a, "--live-state") == 0 || strcmp(a, "--format") == 0 || strcmp(a, "--now") == 0) {
			if (i + 1 >= argc) {
				snprintf(msg, sizeof(msg), "option '%s' needs a value", a);
				return cmd_graph__usage_error(msg);
			}
			val = argv[++i];
		} else {
			snprintf(msg, sizeof(msg), a[0] == '-' ? "unknown option '%s'"
							       : "unexpected argument '%s' (use -f PATH)", a);
			return cmd_graph__usage_error(msg);
		}
		if (strncmp(a, "--live-state", 12) == 0) {
			live_path = val;
		} else if (strncmp(a, "--format", 8) == 0) {
			format = val;
		} else if (strncmp(a, "--now", 5) == 0) {
			if (diff_parse_time(&popts.now, val) < 0)
				return cmd_graph__usage_error(cmk_error_last());
		} else {
			snprintf(msg, sizeof(msg), "unknown option '%s'", a);
			return cmd_graph__usage_error(msg);
		}
	}
	if (strcmp(format, "mermaid") != 0 && strcmp(format, "dot") != 0) {
		snprintf(msg, sizeof(msg), "unknown format '%s' (mermaid or dot)", format);
		return cmd_graph__usage_error(msg);
	}
	if (spec.nfiles == 0 && !spec.git_url)
		return cmd_graph__usage_error("no manifests given: use -f PATH");
	if (source_spec_check(&spec) < 0)
		return cmd_graph__usage_error(cmk_error_last());

	in.shard = &shard;
	if ((error = plan_input_open(&in, &spec, live_path, cli_diag_stream())) < 0) {
		cli_report_diags("graph", &in.diags);
		rc = error == CMK_EUSAGE ? CMK_EXIT_USAGE : CMK_EXIT_ERROR;
		goto fail;
	}
	if ((error = plan_build(&p, in.set, &in.live, &popts)) < 0)
		goto fail;
	error = strcmp(format, "dot") == 0 ? render_plan_dot(&out, p) : render_plan_mermaid(&out, p);
	if (error < 0)
		goto fail;
	fwrite(cmk_buf_cstr(&out), 1, out.len, stdout);
	rc = CMK_EXIT_OK;
	goto out;
fail:
	cli_error("graph", "%s", cmk_error_last());
out:
	cmk_buf_free(&out);
	plan_free(p);
	plan_input_close(&in);
	return rc;
}
