/*
 * source.c - opening a manifest source through the backend that serves it
 * (source_dir.c, source_git.c: one table each, see source_internal.h) and
 * rendering its revision record.
 */
#include "sources/source_internal.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "common/out.h"

int source_spec_check(const source_spec *spec)
{
	if (spec->nfiles && spec->git_url)
		return cmk_error_set(CMK_EUSAGE,
				     "-f and --git-url are exclusive: give one manifest source");
	if (!spec->nfiles && !spec->git_url)
		return cmk_error_set(CMK_EUSAGE,
				     "no manifests: give -f PATH or --git-url URL");
	if (!spec->git_url &&
	    (spec->git_ref || spec->git_path || spec->git_cache || spec->git_commit ||
	     spec->git_timeout_s))
		return cmk_error_set(CMK_EUSAGE, "--git-ref, --git-path, --git-cache, "
				     "--git-commit and --git-timeout need --git-url");
	return 0;
}


/* Every kind of source, asked in this order. */
static const source_backend *const source__backends[] = {
	&source_git_backend,
	&source_dir_backend,
};

int source_open(source **out, const source_spec *spec)
{
	const source_backend *backend = NULL;
	source *s = NULL;
	int error;

	*out = NULL;
	if ((error = source_spec_check(spec)) < 0)
		return error;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return cmk_error_oom();
	for (size_t i = 0; i < sizeof(source__backends) / sizeof(source__backends[0]); i++) {
		if (source__backends[i]->serves(spec)) {
			backend = source__backends[i];
			break;
		}
	}
	assert(backend); /* source_spec_check admits only specs a backend serves */
	if ((error = backend->open(s, spec)) < 0)
		goto out;

	assert(s->nlocal > 0);
	s->rev.kind = backend->kind;
	s->rev.url = s->url;
	s->rev.ref = s->ref;
	s->rev.ref_name = s->ref_name;
	s->rev.commit = s->commit;
	s->rev.path = s->path;
	*out = s;
	s = NULL;
out:
	source_free(s);
	return error;
}

size_t source_path_count(const source *s)
{
	return s->nlocal;
}

const char *source_path_at(const source *s, size_t i)
{
	return i < s->nlocal ? s->local[i] : NULL;
}

const char *source_local_path(const source *s)
{
	return source_path_at(s, 0);
}

const source_revision *source_revision_of(const source *s)
{
	return &s->rev;
}

const char *source_display_path(const source *s, const char *local_path)
{
	size_t n;

	if (!s->root || !local_path)
		return local_path;
	n = strlen(s->root);
	if (strncmp(local_path, s->root, n) == 0 && local_path[n] == '/')
		return local_path + n + 1;
	return local_path;
}

void source_relativize(const source *s, char *text)
{
	size_t n;
	char *p;

	if (!s->root || !text)
		return;
	n = strlen(s->root);
	while ((p = strstr(text, s->root)) != NULL) {
		if (p[n] != '/') {
			text = p + n;
			continue;
		}
		memmove(p, p + n + 1, strlen(p + n + 1) + 1);
		text = p;
	}
}

void source_free(source *s)
{
	if (!s)
		return;
	if (s->root)
		(void)source__rmtree(s->root);
	free(s->url);
	free(s->ref);
	free(s->ref_name);
	free(s->commit);
	free(s->path);
	source__clear_local(s);
	free(s->root);
	free(s);
}

static int source__json_add(cJSON *obj, const char *key, const char *value)
{
	if (!value)
		return 0;
	return cJSON_AddStringToObject(obj, key, value) ? 0 : cmk_error_oom();
}

int source_revision_to_json(cJSON **out, const source_revision *rev)
{
	cJSON *obj;
	int error;

	*out = NULL;
	if ((obj = cJSON_CreateObject()) == NULL)
		return cmk_error_oom();
	if ((error = source__json_add(obj, "kind",
				      rev->kind == SOURCE_GIT ? "git" : "dir")) < 0 ||
	    (error = source__json_add(obj, "url", rev->url)) < 0 ||
	    (error = source__json_add(obj, "ref", rev->ref)) < 0 ||
	    (error = source__json_add(obj, "refName", rev->ref_name)) < 0 ||
	    (error = source__json_add(obj, "commit", rev->commit)) < 0 ||
	    (error = source__json_add(obj, "path", rev->path)) < 0) {
		cJSON_Delete(obj);
		return error;
	}
	*out = obj;
	return 0;
}

static int source__line(cmk_buf *out, const source_revision *rev)
{
	int error;

	if (rev->kind == SOURCE_DIR)
		return cmk_buf_printf(out, "dir %s", rev->path ? rev->path : "");
	if ((error = cmk_buf_printf(out, "git %s ref %s", rev->url, rev->ref)) < 0)
		return error;
	if (rev->ref_name && strcmp(rev->ref_name, rev->ref) != 0 &&
	    (error = cmk_buf_printf(out, " (%s)", rev->ref_name)) < 0)
		return error;
	return cmk_buf_printf(out, " commit %s path %s", rev->commit,
			      rev->path && *rev->path ? rev->path : ".");
}

int source_revision_line(cmk_buf *out, const source_revision *rev)
{
	size_t start = out->len;
	char *shown;
	int error;

	if ((error = source__line(out, rev)) < 0 || !cmk_out_has_control(out->ptr + start))
		return error;
	/* paths, URLs and refs are the user's: control characters shown as
	 * text (common/out.h) */
	if ((shown = cmk_out_escape_dup(out->ptr + start, 0)) == NULL)
		return cmk_error_oom();
	out->len = start;
	out->ptr[start] = '\0';
	error = cmk_buf_puts(out, shown);
	free(shown);
	return error;
}
