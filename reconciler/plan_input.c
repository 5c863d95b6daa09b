/*
 * plan_input.c - load + validate manifests and read the live state for the
 * planning commands (see plan_input.h).
 */
#include "reconciler/plan_input.h"

#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/input_file.h"
#include "planner/validate.h"

/* Largest live-state file read (a 10,000-workspace estate is ~4 MB). */
#define PLAN_INPUT_MAX_LIVE ((size_t)256 * 1024 * 1024)

int plan_input_read_live(live_state *out, const char *path)
{
	cmk_buf b = CMK_BUF_INIT;
	cJSON *json = NULL;
	int error;

	memset(out, 0, sizeof(*out));
	cmk_buf_init(&b, PLAN_INPUT_MAX_LIVE);
	if ((error = cmk_input_read_file(&b, path)) < 0)
		goto out;
	if ((json = cJSON_ParseWithLength(cmk_buf_cstr(&b), b.len)) == NULL) {
		error = cmk_error_set(CMK_EINVALID, "%s: not valid JSON", path);
		goto out;
	}
	if ((error = live_state_from_json(out, json)) < 0) {
		char *msg = strdup(cmk_error_last());

		error = cmk_error_set(error, "%s: %s", path, msg ? msg : "invalid live state");
		free(msg);
	}
out:
	cJSON_Delete(json);
	cmk_buf_free(&b);
	return error;
}

int plan_input_open(plan_input *in, const source_spec *spec, const char *live_path, FILE *err)
{
	cmk_buf line = CMK_BUF_INIT;
	int error;

	if ((error = source_open(&in->src, spec)) < 0 || (error = manifest_set_new(&in->set)) < 0)
		goto out;
	for (size_t i = 0; i < source_path_count(in->src); i++)
		if ((error = manifest_load_path(in->set, &in->diags, source_path_at(in->src, i))) < 0)
			goto out;
	if ((error = manifest_check_documents(in->set, &in->diags)) < 0)
		goto out;
	if ((error = validate_manifest_set(&in->diags, in->set)) < 0)
		goto out;
	if (manifest_diags_total(&in->diags)) {
		for (size_t i = 0; i < in->diags.count; i++)
			source_relativize(in->src, in->diags.items[i].file);
		manifest_diags_sort(&in->diags);
		manifest_diags_print_text(err, &in->diags);
		error = cmk_error_set(CMK_EINVALID, "the manifests have %zu error%s: nothing planned",
				      manifest_diags_total(&in->diags),
				      manifest_diags_total(&in->diags) == 1 ? "" : "s");
		goto out;
	}
	in->owned_docs = in->set->count;
	if (shard_filter_active(in->shard)) {
		/* validated as a whole (references across shards resolve), then
		 * planned for the documents this run owns */
		manifest_set *view = NULL;

		if ((error = shard_select(&view, &in->owned_docs, in->shard, in->set)) < 0)
			goto out;
		in->full = in->set;
		in->set = view;
	}
	if ((error = source_revision_to_json(&in->revision, source_revision_of(in->src))) < 0 ||
	    (error = source_revision_line(&line, source_revision_of(in->src))) < 0)
		goto out;
	if ((in->revision_line = cmk_buf_detach(&line)) == NULL && (in->revision_line = strdup("")) == NULL) {
		error = cmk_error_oom();
		goto out;
	}
	if (!live_path) {
		if (!in->client) {
			if ((error = live_azure_connect(&in->conn, NULL)) < 0)
				goto out;
			in->client = in->conn.client;
		}
		error = live_azure_read(&in->live, in->client, in->set);
		goto out;
	}
	error = plan_input_read_live(&in->live, live_path);
out:
	cmk_buf_free(&line);
	return error;
}

void plan_input_close(plan_input *in)
{
	source_free(in->src);
	if (in->full) {
		shard_view_free(in->set);
		manifest_set_free(in->full);
	} else {
		manifest_set_free(in->set);
	}
	manifest_diags_free(&in->diags);
	live_state_free(&in->live);
	cJSON_Delete(in->revision);
	free(in->revision_line);
	live_azure_disconnect(&in->conn);
	memset(in, 0, sizeof(*in));
}
