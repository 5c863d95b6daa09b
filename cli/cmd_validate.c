/*
 * cmd_validate.c - `cmkctl validate`: load manifests (local paths or a git
 * folder, see source.h), check everything that can be checked without
 * Azure, print every error.
 *
 * Exit 0 when valid, 1 when any error was found (or the source could not be
 * read), 64 for usage errors. The report goes to stdout (text or JSON);
 * usage and source errors go to stderr. Files are named as the user knows
 * them: as given to -f, or relative to the repository for git sources.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/buf.h"
#include "common/error.h"
#include "planner/manifest.h"
#include "planner/manifest_diag.h"
#include "planner/validate.h"
#include "cli/cli_common.h"
#include "cli/commands.h"
#include "cli/manifest_options.h"
#include "sources/source.h"

static void cmd_validate__usage(FILE *out)
{
	fprintf(out,
		"usage: cmkctl validate -f PATH [-f PATH ...] [--output text|json]\n"
		"       cmkctl validate --git-url URL [--git-ref REF] [--git-path PATH] [--output text|json]\n"
		"\n"
		"Check manifests without contacting Azure: YAML syntax, kinds and fields,\n"
		"types, references between documents, and the documented Azure rules\n"
		"(names, capacity, identities, regions, workspace limits, key types).\n"
		"\n"
		"options:\n"
		"  -f, --filename PATH    a manifest file, a directory (searched recursively for\n"
		"                         *.yaml and *.yml), or - for standard input; repeatable\n"
		"  --git-url URL          read the manifests from a git repository instead\n"
		"  --git-ref REF          branch, tag or commit (default: the remote's HEAD)\n"
		"  --git-path PATH        folder inside the repository (default: its root)\n"
		"  --git-commit SHA       fail unless the ref resolves to this commit\n"
		"  --git-cache DIR        clone cache directory\n"
		"  --git-timeout SECONDS  bound on network work (default %d)\n"
		"  -o, --output FORMAT    text (default) or json\n"
		"  -h, --help             show this help\n"
		"\n"
		"Every error is printed as file:line:column: error: message, with a hint.\n"
		"Exit codes: 0 valid, 1 invalid, 64 usage error.\n",
		SOURCE_GIT_DEFAULT_TIMEOUT_S);
}

/* Name files as the user knows them: strip a git checkout's temporary root
 * from every diagnostic (the rewrite only ever shortens the text). */
static void cmd_validate__relativize(const source *src, manifest_diags *diags)
{
	for (size_t i = 0; i < diags->count; i++) {
		source_relativize(src, diags->items[i].file);
		source_relativize(src, diags->items[i].message);
		source_relativize(src, diags->items[i].hint);
	}
}

static int cmd_validate__print_json(const source *src, const manifest_set *set,
				    const manifest_diags *diags)
{
	cJSON *report = NULL, *rev = NULL;
	char *text = NULL;
	int error;

	if ((error = manifest_diags_to_json(&report, diags, set->file_count, set->count)) < 0 ||
	    (error = source_revision_to_json(&rev, source_revision_of(src))) < 0)
		goto out;
	cJSON_AddItemToObject(report, "source", rev);
	if ((text = cJSON_PrintUnformatted(report)) == NULL) {
		error = cmk_error_oom();
		goto out;
	}
	printf("%s\n", text);
out:
	free(text);
	cJSON_Delete(report);
	return error;
}

int cmd_validate(int argc, char **argv)
{
	manifest_diags diags = MANIFEST_DIAGS_INIT;
	source_spec spec = SOURCE_SPEC_INIT;
	manifest_set *set = NULL;
	source *src = NULL;
	bool json = false;
	int rc = CMK_EXIT_ERROR, error = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *val = NULL;
		int taken;

		if (cli_is_help(a)) {
			cmd_validate__usage(stdout);
			return CMK_EXIT_OK;
		}
		if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) {
			if (i + 1 >= argc)
				return cli_usage_error("validate", "option '%s' needs a value", a);
			val = argv[++i];
		} else if (strncmp(a, "--output=", 9) == 0) {
			val = a + 9;
		}
		if (val) {
			if (strcmp(val, "json") == 0)
				json = true;
			else if (strcmp(val, "text") == 0)
				json = false;
			else
				return cli_usage_error("validate", "unknown output format '%s' (text or json)", val);
			continue;
		}
		if ((taken = source_options_take(&spec, argc, argv, &i)) < 0)
			return cli_usage_error("validate", "%s", cmk_error_last());
		if (taken)
			continue;
		if (a[0] == '-' && a[1])
			return cli_usage_error("validate", "unknown option '%s'", a);
		return cli_usage_error("validate", "unexpected argument '%s' (use -f PATH)", a);
	}
	if (spec.nfiles == 0 && !spec.git_url)
		return cli_usage_error("validate", "no manifests given: use -f PATH or --git-url URL");

	if ((error = source_open(&src, &spec)) < 0) {
		cli_error("validate", "%s", cmk_error_last());
		if (error == CMK_EUSAGE) {
			fprintf(stderr, "Run 'cmkctl validate --help' for usage.\n");
			return CMK_EXIT_USAGE;
		}
		return CMK_EXIT_ERROR;
	}
	if ((error = manifest_set_new(&set)) < 0)
		goto fail;
	for (size_t i = 0; i < source_path_count(src); i++)
		if ((error = manifest_load_path(set, &diags, source_path_at(src, i))) < 0)
			goto fail;
	if ((error = manifest_check_documents(set, &diags)) < 0)
		goto fail;
	if ((error = validate_manifest_set(&diags, set)) < 0)
		goto fail;
	cmd_validate__relativize(src, &diags);
	manifest_diags_sort(&diags);
	/* the report stays on stdout; JSON log lines / GitHub annotations too */
	cli_report_diags("validate", &diags);

	if (json) {
		if ((error = cmd_validate__print_json(src, set, &diags)) < 0)
			goto fail;
	} else {
		const source_revision *rev = source_revision_of(src);

		if (rev->kind == SOURCE_GIT) {
			cmk_buf line = CMK_BUF_INIT;

			if ((error = source_revision_line(&line, rev)) < 0)
				goto fail;
			printf("source: %s\n", cmk_buf_cstr(&line));
			cmk_buf_free(&line);
		}
		if (manifest_diags_total(&diags))
			manifest_diags_print_text(stdout, &diags);
		else
			printf("%zu document%s in %zu file%s: valid\n", set->count,
			       set->count == 1 ? "" : "s", set->file_count, set->file_count == 1 ? "" : "s");
	}
	rc = manifest_diags_total(&diags) ? CMK_EXIT_ERROR : CMK_EXIT_OK;
	goto out;
fail:
	cli_error("validate", "%s", cmk_error_last());
	rc = CMK_EXIT_ERROR;
out:
	fflush(stdout);
	manifest_set_free(set);
	manifest_diags_free(&diags);
	source_free(src);
	return rc;
}
