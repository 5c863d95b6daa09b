/*
 * cmd_validate.c - `cmkctl validate`: load manifests, check everything that
 * can be checked without Azure, print every error.
 *
 * Exit 0 when valid, 1 when any error was found (or a file could not be
 * read), 64 for usage errors. The report goes to stdout (text or JSON);
 * usage errors go to stderr.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "planner/manifest.h"
#include "planner/manifest_diag.h"
#include "planner/validate.h"
#include "reconciler/commands.h"
#include "reconciler/source.h"

static void cmd_validate__usage(FILE *out)
{
	fprintf(out,
		"usage: cmkctl validate -f PATH [-f PATH ...] [--output text|json]\n"
		"       cmkctl validate --git-url URL [--git-ref REF] [--git-path PATH] [...]\n"
		"\n"
		"Check manifests without contacting Azure: YAML syntax, kinds and fields,\n"
		"types, references between documents, and the documented Azure rules\n"
		"(names, capacity, identities, regions, workspace limits, key types).\n"
		"\n"
		"options:\n"
		"%s"
		"  -o, --output FORMAT  text (default) or json\n"
		"  -h, --help           show this help\n"
		"\n"
		"Every error is printed as file:line:column: error: message, with a hint.\n"
		"Exit codes: 0 valid, 1 invalid, 64 usage error.\n", source_options_help());
}

static int cmd_validate__usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "cmkctl validate: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nRun 'cmkctl validate --help' for usage.\n");
	return CMK_EXIT_USAGE;
}

/* Which commit was validated: "source: git URL ref R (refs/…) commit C path P". */
static int cmd_validate__print_source(FILE *out, const source *src)
{
	cmk_buf line = CMK_BUF_INIT;
	int error;

	if ((error = source_revision_line(&line, source_revision_of(src))) == 0)
		fprintf(out, "source: %s\n", cmk_buf_cstr(&line));
	cmk_buf_free(&line);
	return error;
}

/* Add "source": {kind, url, ref, refName, commit, path} to the JSON report. */
static int cmd_validate__json_add_source(char **report, const source *src)
{
	cJSON *doc = cJSON_Parse(*report), *rev = NULL;
	char *text = NULL;
	int error;

	if (!doc)
		return cmk_error_oom(); /* our own JSON: only allocation can fail */
	if ((error = source_revision_to_json(&rev, source_revision_of(src))) == 0) {
		cJSON_AddItemToObject(doc, "source", rev);
		if ((text = cJSON_PrintUnformatted(doc)) == NULL)
			error = cmk_error_oom();
	}
	cJSON_Delete(doc);
	if (error == 0) {
		free(*report);
		*report = text;
	}
	return error;
}

int cmd_validate(int argc, char **argv)
{
	manifest_diags diags = MANIFEST_DIAGS_INIT;
	manifest_set *set = NULL;
	source_spec spec = SOURCE_SPEC_INIT;
	source *src = NULL;
	bool json = false;
	char *report = NULL;
	int rc = CMK_EXIT_ERROR, error = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *val = NULL;
		int taken;

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			cmd_validate__usage(stdout);
			rc = CMK_EXIT_OK;
			goto out;
		}
		/* -f and --git-*: the parser shared by every command */
		if ((taken = source_options_take(&spec, argc, argv, &i)) != 0) {
			if (taken < 0) {
				rc = cmd_validate__usage_error("%s", cmk_error_last());
				goto out;
			}
			continue;
		}
		if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) {
			if (i + 1 >= argc) {
				rc = cmd_validate__usage_error("option '%s' needs a value", a);
				goto out;
			}
			val = argv[++i];
		} else if (strncmp(a, "--output=", 9) == 0) {
			a = "-o";
			val = argv[i] + 9;
		} else if (a[0] == '-' && a[1]) {
			rc = cmd_validate__usage_error("unknown option '%s'", a);
			goto out;
		} else {
			rc = cmd_validate__usage_error("unexpected argument '%s' (use -f PATH)", a);
			goto out;
		}
		if (strcmp(val, "json") == 0) {
			json = true;
		} else if (strcmp(val, "text") == 0) {
			json = false;
		} else {
			rc = cmd_validate__usage_error("unknown output format '%s' (text or json)", val);
			goto out;
		}
	}
	if (spec.nfiles == 0 && !spec.git_url) {
		rc = cmd_validate__usage_error("%sno manifests given: use -f PATH", "");
		goto out;
	}
	if (source_options_check(&spec) < 0) {
		rc = cmd_validate__usage_error("%s", cmk_error_last());
		goto out;
	}

	if ((error = source_open(&src, &spec)) < 0 || (error = manifest_set_new(&set)) < 0)
		goto fail;
	for (size_t i = 0; i < source_path_count(src); i++)
		if ((error = manifest_load_path(set, &diags, source_path_at(src, i))) < 0)
			goto fail;
	if (set->count == 0 && manifest_diags_total(&diags) == 0 &&
	    (error = manifest_diag_add(&diags, "", 0, 0, "a manifest starts with apiVersion: " MANIFEST_API_VERSION,
				       "no manifest documents found")) < 0)
		goto fail;
	if ((error = validate_manifest_set(&diags, set)) < 0)
		goto fail;
	for (size_t i = 0; i < diags.count; i++) /* name files as in the repository */
		source_relativize(src, diags.items[i].file);
	manifest_diags_sort(&diags);
	if (!json && source_revision_of(src)->kind == SOURCE_GIT &&
	    (error = cmd_validate__print_source(stdout, src)) < 0)
		goto fail;

	if (json) {
		if ((error = manifest_diags_to_json(&report, &diags, set->file_count, set->count)) < 0 ||
		    (source_revision_of(src)->kind == SOURCE_GIT &&
		     (error = cmd_validate__json_add_source(&report, src)) < 0))
			goto fail;
		printf("%s\n", report);
	} else if (manifest_diags_total(&diags)) {
		manifest_diags_print_text(stdout, &diags);
	} else {
		printf("%zu document%s in %zu file%s: valid\n", set->count, set->count == 1 ? "" : "s",
		       set->file_count, set->file_count == 1 ? "" : "s");
	}
	rc = manifest_diags_total(&diags) ? CMK_EXIT_ERROR : CMK_EXIT_OK;
	goto out;
fail:
	fprintf(stderr, "cmkctl validate: %s\n", cmk_error_last());
	rc = CMK_EXIT_ERROR;
out:
	fflush(stdout);
	free(report);
	manifest_set_free(set);
	manifest_diags_free(&diags);
	source_free(src);
	return rc;
}
