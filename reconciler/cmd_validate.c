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

static void cmd_validate__usage(FILE *out)
{
	fprintf(out,
		"usage: cmkctl validate -f PATH [-f PATH ...] [--output text|json]\n"
		"\n"
		"Check manifests without contacting Azure: YAML syntax, kinds and fields,\n"
		"types, references between documents, and the documented Azure rules\n"
		"(names, capacity, identities, regions, workspace limits, key types).\n"
		"\n"
		"options:\n"
		"  -f, --filename PATH  a manifest file, a directory (searched recursively for\n"
		"                       *.yaml and *.yml), or - for standard input; repeatable\n"
		"  -o, --output FORMAT  text (default) or json\n"
		"  -h, --help           show this help\n"
		"\n"
		"Every error is printed as file:line:column: error: message, with a hint.\n"
		"Exit codes: 0 valid, 1 invalid, 64 usage error.\n");
}

static int cmd_validate__usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "cmkctl validate: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nRun 'cmkctl validate --help' for usage.\n");
	return CMK_EXIT_USAGE;
}

int cmd_validate(int argc, char **argv)
{
	manifest_diags diags = MANIFEST_DIAGS_INIT;
	manifest_set *set = NULL;
	const char **paths = NULL;
	size_t npaths = 0;
	bool json = false;
	char *report = NULL;
	int rc = CMK_EXIT_ERROR, error = 0;

	if ((paths = calloc((size_t)argc, sizeof(*paths))) == NULL) {
		fprintf(stderr, "cmkctl validate: out of memory\n");
		return CMK_EXIT_ERROR;
	}
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *val = NULL;

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			cmd_validate__usage(stdout);
			rc = CMK_EXIT_OK;
			goto out;
		}
		if (strcmp(a, "-f") == 0 || strcmp(a, "--filename") == 0 ||
		    strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) {
			if (i + 1 >= argc) {
				rc = cmd_validate__usage_error("option '%s' needs a value", a);
				goto out;
			}
			val = argv[++i];
		} else if (strncmp(a, "--filename=", 11) == 0) {
			a = "-f";
			val = argv[i] + 11;
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
		if (a[1] == 'f' || strcmp(a, "--filename") == 0) {
			if (!*val) {
				rc = cmd_validate__usage_error("%sempty path after -f", "");
				goto out;
			}
			paths[npaths++] = val;
		} else if (strcmp(val, "json") == 0) {
			json = true;
		} else if (strcmp(val, "text") == 0) {
			json = false;
		} else {
			rc = cmd_validate__usage_error("unknown output format '%s' (text or json)", val);
			goto out;
		}
	}
	if (npaths == 0) {
		rc = cmd_validate__usage_error("%sno manifests given: use -f PATH", "");
		goto out;
	}

	if ((error = manifest_set_new(&set)) < 0)
		goto fail;
	for (size_t i = 0; i < npaths; i++)
		if ((error = manifest_load_path(set, &diags, paths[i])) < 0)
			goto fail;
	if (set->count == 0 && manifest_diags_total(&diags) == 0 &&
	    (error = manifest_diag_add(&diags, "", 0, 0, "a manifest starts with apiVersion: " MANIFEST_API_VERSION,
				       "no manifest documents found")) < 0)
		goto fail;
	if ((error = validate_manifest_set(&diags, set)) < 0)
		goto fail;
	manifest_diags_sort(&diags);

	if (json) {
		if ((error = manifest_diags_to_json(&report, &diags, set->file_count, set->count)) < 0)
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
	free(paths);
	return rc;
}
