/*
 * source.c - opening a manifest source (directory or git) and rendering its
 * revision record; the kind-specific work is in source_dir.c and
 * source_git.c.
 */
#include "reconciler/source_internal.h"

#include <assert.h>
#include <errno.h>
#include <ftw.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

int source_open(source **out, const source_spec *spec)
{
	source *s = NULL;
	int error;

	*out = NULL;
	if ((error = source_options_check(spec)) < 0)
		return error;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return cmk_error_oom();
	if (spec->git_url)
		error = source__git_open(s, spec);
	else
		error = source__dir_open(s, spec);
	if (error < 0)
		goto out;

	assert(s->nlocal > 0);
	s->rev.kind = spec->git_url ? SOURCE_GIT : SOURCE_DIR;
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

int source__add_local(source *s, const char *path)
{
	char **grown, *copy;

	if ((copy = strdup(path)) == NULL)
		return cmk_error_oom();
	if ((grown = realloc(s->local, (s->nlocal + 1) * sizeof(*grown))) == NULL) {
		free(copy);
		return cmk_error_oom();
	}
	s->local = grown;
	s->local[s->nlocal++] = copy;
	return 0;
}

void source__clear_local(source *s)
{
	for (size_t i = 0; i < s->nlocal; i++)
		free(s->local[i]);
	free(s->local);
	s->local = NULL;
	s->nlocal = 0;
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

static int source__rmtree_one(const char *path, const struct stat *st, int flag,
			      struct FTW *ftw)
{
	/* keep going on errors: delete as much of the checkout as we can */
	if (remove(path) < 0 && errno != ENOENT)
		cmk_log_warn("cannot remove %s: %s", path, strerror(errno));
	return 0;
}

int source__rmtree(const char *path)
{
	return nftw(path, source__rmtree_one, 16, FTW_DEPTH | FTW_PHYS);
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

int source_revision_line(cmk_buf *out, const source_revision *rev)
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

/*
 * "scheme://[userinfo@]host..." or scp-like "[user@]host:path". A local path
 * has neither a scheme nor a colon before its first slash.
 */
char *source_url_strip(const char *url)
{
	const char *auth, *at, *end, *colon;
	char *copy;
	size_t n;

	if ((auth = strstr(url, "://")) != NULL) {
		auth += 3;
		end = auth + strcspn(auth, "/?#");
	} else {
		auth = url;
		end = url + strcspn(url, "/:");
		if (*end != ':')
			return strdup(url); /* a local path */
	}
	at = NULL;
	for (const char *p = auth; p < end; p++)
		if (*p == '@')
			at = p;
	if (!at)
		return strdup(url);

	/* a password in the URL must never reach a log, even if ignored */
	colon = memchr(auth, ':', (size_t)(at - auth));
	if (colon && at - colon > 1) {
		char *pw = strndup(colon + 1, (size_t)(at - colon - 1));
		if (!pw)
			return NULL;
		cmk_log_add_secret(pw);
		free(pw);
	}

	n = strlen(url) - (size_t)(at + 1 - auth);
	if ((copy = malloc(n + 1)) == NULL)
		return NULL;
	memcpy(copy, url, (size_t)(auth - url));
	strcpy(copy + (auth - url), at + 1);
	return copy;
}
