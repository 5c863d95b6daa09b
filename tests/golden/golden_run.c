/*
 * golden_run.c - run planner golden cases: manifests + a live-state fixture
 * in, the exact expected plan (text and JSON) out.
 *
 *   golden_run [--update] CASE_DIR...
 *
 * A case folder holds:
 *   manifests/      the desired state (loaded and validated as `plan` does)
 *   live.json       the live state (common/live.h JSON form)
 *   options         optional; one per line: allow-destroy, allow-unlink,
 *                   no-grant, now <ISO 8601> (default 2026-11-23T12:00:00Z)
 *   expected.txt    the text plan, or "%%FAIL\n" and the exact error text
 *   expected.json   the JSON plan (not for %%FAIL cases)
 *   expected.md, expected.mmd   optional: the markdown comment, the Mermaid graph
 *
 * Beyond the bytes, every passing case also proves the plan's invariants:
 * building twice gives the same bytes, dependencies point backwards, the
 * saved form round-trips through the strict loader, the fingerprint of the
 * same live state is fresh, and the markdown fits a PR comment.
 * --update rewrites the expected files (review the diff before committing).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "common/buf.h"
#include "planner/diff.h"
#include "planner/manifest.h"
#include "planner/plan.h"
#include "planner/render.h"
#include "planner/validate.h"
#include "reconciler/plan_input.h"

#define GOLDEN_NOW "2026-11-23T12:00:00Z"

static int golden__read(cmk_buf *b, const char *path)
{
	return cmk_buf_read_file(b, path);
}

static int golden__write(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

static int golden__options(plan_options *o, const char *case_name)
{
	cmk_buf b = CMK_BUF_INIT;
	char *line, *save = NULL;

	if (diff_parse_time(&o->now, GOLDEN_NOW) < 0)
		return -1;
	if (access("options", F_OK) != 0)
		return 0;
	if (golden__read(&b, "options") < 0)
		return -1;
	for (line = strtok_r(b.ptr, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#' || line[0] == '\0')
			continue;
		if (strcmp(line, "allow-destroy") == 0)
			o->allow_destroy = true;
		else if (strcmp(line, "allow-unlink") == 0)
			o->allow_unlink = true;
		else if (strcmp(line, "no-grant") == 0)
			o->no_grant = true;
		else if (strncmp(line, "now ", 4) == 0 && diff_parse_time(&o->now, line + 4) == 0)
			;
		else {
			fprintf(stderr, "golden case %s: bad option line '%s'\n", case_name, line);
			cmk_buf_free(&b);
			return -1;
		}
	}
	cmk_buf_free(&b);
	return 0;
}

/* Build the plan for the case in the current directory; on failure *fail
 * receives the %%FAIL text. */
static int golden__plan(plan **out, live_state *live, char **fail, const plan_options *opts)
{
	manifest_set *set = NULL;
	manifest_diags diags = MANIFEST_DIAGS_INIT;
	cmk_buf msg = CMK_BUF_INIT;
	cJSON *src = NULL;
	int error = 0;

	*out = NULL;
	*fail = NULL;
	if (manifest_set_new(&set) < 0 || manifest_load_path(set, &diags, "manifests") < 0 ||
	    validate_manifest_set(&diags, set) < 0) {
		error = -1;
		goto out;
	}
	if (manifest_diags_total(&diags)) {
		char *text = NULL;
		size_t len = 0;
		FILE *mem = open_memstream(&text, &len);

		manifest_diags_sort(&diags);
		manifest_diags_print_text(mem, &diags);
		fclose(mem);
		if (cmk_buf_printf(&msg, "%%%%FAIL\n%s", text) < 0)
			error = -1;
		free(text);
		*fail = cmk_buf_detach(&msg);
		goto out;
	}
	if (plan_input_read_live(live, "live.json") < 0 ||
	    plan_build(out, set, live, opts) < 0) {
		if (cmk_buf_printf(&msg, "%%%%FAIL\n%s\n", cmk_error_last()) < 0)
			error = -1;
		*fail = cmk_buf_detach(&msg);
		goto out;
	}
	src = cJSON_CreateObject();
	cJSON_AddStringToObject(src, "kind", "dir");
	cJSON_AddStringToObject(src, "path", "manifests");
	if (plan_set_source(*out, src) < 0)
		error = -1;
out:
	cJSON_Delete(src);
	cmk_buf_free(&msg);
	manifest_diags_free(&diags);
	manifest_set_free(set);
	return error;
}

static int golden__render(char **text, char **json, const plan *p)
{
	render_options ro = RENDER_OPTIONS_INIT;
	cmk_buf t = CMK_BUF_INIT, j = CMK_BUF_INIT;

	ro.source_line = "dir manifests";
	if (render_plan_text(&t, p, &ro) < 0 || render_plan_json(&j, p) < 0) {
		cmk_buf_free(&t);
		cmk_buf_free(&j);
		return -1;
	}
	*text = t.len ? cmk_buf_detach(&t) : strdup("");
	*json = cmk_buf_detach(&j);
	return 0;
}

static bool golden__same(const char *case_name, const char *what, const char *want, const char *got)
{
	if (strcmp(want, got) == 0)
		return true;
	fprintf(stderr, "golden case %s: %s differs\n--- expected\n%s\n+++ actual\n%s\n", case_name, what, want, got);
	return false;
}

/* The invariants every plan holds, whatever the case. */
static bool golden__invariants(const char *name, plan *p, const live_state *live, const plan_options *opts,
			       const char *text)
{
	cmk_buf md = CMK_BUF_INIT, g = CMK_BUF_INIT;
	cJSON *a = NULL, *b = NULL;
	char *sa = NULL, *sb = NULL, *t2 = NULL, *j2 = NULL, *fail = NULL;
	plan *again = NULL, *loaded = NULL;
	live_state live2;
	bool ok = false;

	memset(&live2, 0, sizeof(live2));
	for (size_t i = 0; i < p->step_count; i++)
		for (size_t j = 0; j < p->steps[i].dep_count; j++)
			if (p->steps[i].depends_on[j] >= i) {
				fprintf(stderr, "golden case %s: step %s depends forward\n", name, p->steps[i].id);
				goto out;
			}
	/* deterministic: a second build renders the same bytes */
	if (golden__plan(&again, &live2, &fail, opts) < 0 || !again || golden__render(&t2, &j2, again) < 0 ||
	    !golden__same(name, "second build (determinism)", text, t2))
		goto out;
	/* saved form: fingerprint, strict load, same JSON, fresh */
	if (plan_fingerprint_set(p, live) < 0 || plan_to_json(&a, p, true) < 0 ||
	    (sa = cJSON_Print(a)) == NULL || plan_load_buffer(&loaded, sa, strlen(sa)) < 0 ||
	    plan_to_json(&b, loaded, true) < 0 || (sb = cJSON_Print(b)) == NULL) {
		fprintf(stderr, "golden case %s: saved plan round trip failed: %s\n", name, cmk_error_last());
		goto out;
	}
	if (!golden__same(name, "saved plan after load", sa, sb))
		goto out;
	if (plan_check_fresh(loaded, live) < 0) {
		fprintf(stderr, "golden case %s: %s\n", name, cmk_error_last());
		goto out;
	}
	if (render_plan_markdown(&md, p, NULL, 0) < 0 || md.len >= RENDER_MARKDOWN_MAX ||
	    render_plan_mermaid(&g, p) < 0 || render_plan_dot(&g, p) < 0) {
		fprintf(stderr, "golden case %s: markdown/graph rendering failed\n", name);
		goto out;
	}
	ok = true;
out:
	cmk_buf_free(&md);
	cmk_buf_free(&g);
	cJSON_Delete(a);
	cJSON_Delete(b);
	free(sa);
	free(sb);
	free(t2);
	free(j2);
	free(fail);
	plan_free(again);
	plan_free(loaded);
	live_state_free(&live2);
	return ok;
}

/* Optional extra renderings, compared only where the case has the file
 * (expected.md: the PR comment; expected.mmd: the Mermaid graph). */
static bool golden__extra(const char *name, const plan *p, bool update)
{
	static const char *const files[] = { "expected.md", "expected.mmd" };
	bool ok = true;

	for (size_t i = 0; i < 2; i++) {
		render_options ro = RENDER_OPTIONS_INIT;
		cmk_buf got = CMK_BUF_INIT, want = CMK_BUF_INIT;
		int error;

		if (access(files[i], F_OK) != 0)
			continue;
		ro.source_line = "dir manifests";
		error = i == 0 ? render_plan_markdown(&got, p, &ro, 0) : render_plan_mermaid(&got, p);
		if (error < 0) {
			ok = false;
		} else if (update) {
			ok = golden__write(files[i], cmk_buf_cstr(&got)) == 0 && ok;
		} else if (golden__read(&want, files[i]) < 0) {
			fprintf(stderr, "golden case %s: %s\n", name, cmk_error_last());
			ok = false;
		} else {
			ok = golden__same(name, files[i], cmk_buf_cstr(&want), cmk_buf_cstr(&got)) && ok;
		}
		cmk_buf_free(&got);
		cmk_buf_free(&want);
	}
	return ok;
}

static bool golden__case(const char *dir, bool update)
{
	const char *name = strrchr(dir, '/') ? strrchr(dir, '/') + 1 : dir;
	plan_options opts = PLAN_OPTIONS_INIT;
	cmk_buf want_t = CMK_BUF_INIT, want_j = CMK_BUF_INIT;
	char cwd[4096], *fail = NULL, *text = NULL, *json = NULL;
	live_state live;
	plan *p = NULL;
	bool ok = false;

	memset(&live, 0, sizeof(live));
	if (!getcwd(cwd, sizeof(cwd)) || chdir(dir) < 0) {
		fprintf(stderr, "golden case %s: cannot enter %s\n", name, dir);
		return false;
	}
	if (golden__options(&opts, name) < 0 || golden__plan(&p, &live, &fail, &opts) < 0) {
		fprintf(stderr, "golden case %s: %s\n", name, cmk_error_last());
		goto out;
	}
	if (fail) {
		if (update) {
			ok = golden__write("expected.txt", fail) == 0;
			unlink("expected.json");
			goto out;
		}
		if (golden__read(&want_t, "expected.txt") < 0) {
			fprintf(stderr, "golden case %s: %s\n", name, cmk_error_last());
			goto out;
		}
		ok = golden__same(name, "error (%%FAIL)", cmk_buf_cstr(&want_t), fail);
		goto out;
	}
	if (golden__render(&text, &json, p) < 0) {
		fprintf(stderr, "golden case %s: render: %s\n", name, cmk_error_last());
		goto out;
	}
	if (update) {
		ok = golden__write("expected.txt", text) == 0 && golden__write("expected.json", json) == 0;
	} else if (golden__read(&want_t, "expected.txt") < 0 || golden__read(&want_j, "expected.json") < 0) {
		fprintf(stderr, "golden case %s: %s\n", name, cmk_error_last());
		goto out;
	} else {
		ok = golden__same(name, "text plan", cmk_buf_cstr(&want_t), text);
		ok = golden__same(name, "JSON plan", cmk_buf_cstr(&want_j), json) && ok;
	}
	ok = golden__extra(name, p, update) && ok;
	ok = golden__invariants(name, p, &live, &opts, text) && ok;
out:
	if (chdir(cwd) < 0)
		ok = false;
	free(fail);
	free(text);
	free(json);
	cmk_buf_free(&want_t);
	cmk_buf_free(&want_j);
	plan_free(p);
	live_state_free(&live);
	return ok;
}

int main(int argc, char **argv)
{
	bool update = false;
	int failed = 0, run = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--update") == 0) {
			update = true;
			continue;
		}
		run++;
		if (!golden__case(argv[i], update))
			failed++;
	}
	if (!run) {
		fprintf(stderr, "usage: golden_run [--update] CASE_DIR...\n");
		return 64;
	}
	if (failed)
		fprintf(stderr, "%d of %d golden case%s failed\n", failed, run, run == 1 ? "" : "s");
	return failed ? 1 : 0;
}
