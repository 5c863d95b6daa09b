/*
 * manifest_paths.c - what a path given with -f yields, read through
 * common/input_file.h (see manifest_load_path in manifest.h): standard
 * input, one file, or a directory walked in name order.
 *
 * Every path is read, or is an error naming it and saying why. A manifest
 * left out is not harmless: with unlinkUnlisted or --allow-unlink, the
 * workspaces it listed become unlink steps. So a walk skips, by design,
 * only hidden entries (".git", ".github", ...) and entries it can examine
 * whose name does not end in .yaml or .yml. Anything else it cannot read is
 * an error: a symbolic link it cannot follow (dangling - an uninitialised
 * submodule, say -, a loop, whatever its name: it may stand for a
 * directory of manifests), a directory link back to one of its parents, a
 * path longer than PATH_MAX, a directory it cannot list, and a *.yaml or
 * *.yml entry that is not a regular file (a FIFO, a socket, a device) or
 * that it may not read.
 */
#include "planner/manifest.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/buf.h"
#include "common/input_file.h"
#include "common/vec.h"

/* Deepest directory nesting walked. */
#define PATHS__MAX_DEPTH 32

/* A directory being walked, and the ones above it: a directory link back
 * to one of them is a loop. */
typedef struct paths__dir {
	dev_t dev;
	ino_t ino;
	const char *path;
	const struct paths__dir *up;
} paths__dir;

typedef struct {
	manifest_set *set;
	manifest_diags *diags;
	size_t found; /* manifest files met, read before or not */
} paths__walk;

/* The hint for a symbolic link that cannot be followed. */
static const char *paths__link_hint(int err)
{
	if (err == ENOENT)
		return "fix the link or remove it (an uninitialised git submodule?); "
		       "a path that cannot be read is never skipped";
	return "fix the link or remove it; a path that cannot be read is never skipped";
}

/* Record that `path` cannot be read (errno `err`) and that the set is not
 * whole. */
static int paths__unreadable(manifest_set *set, manifest_diags *diags, const char *path, int err,
			     const char *hint)
{
	char why[PATH_MAX + 64];

	set->incomplete = true;
	cmk_input_explain(why, sizeof(why), path, err);
	if (!hint && err == ENAMETOOLONG)
		hint = "shorten the directory names or the nesting";
	return manifest_diag_add(diags, path, 0, 0, hint, "cannot read: %s", why);
}

static int paths__file(manifest_set *set, manifest_diags *diags, const char *path)
{
	const char *hint = NULL;
	struct stat st;
	cmk_buf b;
	int error;

	bool known = stat(path, &st) == 0;

	if (known && S_ISREG(st.st_mode) && (size_t)st.st_size > MANIFEST_MAX_FILE_SIZE) {
		set->incomplete = true;
		return manifest_diag_add(diags, path, 0, 0, "split the manifests into several files",
					 "file is larger than %zu MiB", MANIFEST_MAX_FILE_SIZE >> 20);
	}
	/* cmk_input_read_file refuses it; say what to do instead */
	if (known && S_ISFIFO(st.st_mode))
		hint = "a manifest is a regular file; to read a pipe, use -f - (standard input)";
	else if (known && !S_ISREG(st.st_mode))
		hint = "a manifest is a regular file: remove this entry or rename it";
	cmk_buf_init(&b, MANIFEST_MAX_FILE_SIZE);
	if (cmk_input_read_file(&b, path) < 0) {
		const char *msg = cmk_error_last();
		size_t plen = strlen(path);

		set->incomplete = true;
		if (cmk_error_last_code() == CMK_ENOMEM) {
			cmk_buf_free(&b);
			return CMK_ENOMEM;
		}
		/* the message starts with the path; do not say it twice */
		if (strncmp(msg, path, plen) == 0 && msg[plen] == ':')
			msg += plen + 2;
		error = manifest_diag_add(diags, path, 0, 0, hint, "%s", msg);
		cmk_buf_free(&b);
		return error;
	}
	error = manifest_load_buffer(set, diags, path, b.ptr, b.len);
	cmk_buf_free(&b);
	return error;
}

static int paths__stdin(manifest_set *set, manifest_diags *diags)
{
	static const char name[] = "<stdin>";
	cmk_buf b;
	int error = 0;

	cmk_buf_init(&b, MANIFEST_MAX_FILE_SIZE);
	if (cmk_input_read_stdin(&b, name) < 0) {
		const char *msg = cmk_error_last();

		set->incomplete = true;
		switch (cmk_error_last_code()) {
		case CMK_ENOMEM:
			error = CMK_ENOMEM;
			break;
		case CMK_EINVALID: /* over the cap */
			error = manifest_diag_add(diags, name, 0, 0, NULL, "input is larger than %zu MiB",
						  MANIFEST_MAX_FILE_SIZE >> 20);
			break;
		default:
			if (strncmp(msg, name, sizeof(name) - 1) == 0 && msg[sizeof(name) - 1] == ':')
				msg += sizeof(name) + 1;
			error = manifest_diag_add(diags, name, 0, 0,
						  "give -f - a file or a pipe on standard input", "%s", msg);
			break;
		}
		goto out;
	}
	error = manifest_load_buffer(set, diags, name, cmk_buf_cstr(&b), b.len);
out:
	cmk_buf_free(&b);
	return error;
}

static bool paths__is_manifest_name(const char *name)
{
	size_t len = strlen(name);

	return (len > 5 && strcmp(name + len - 5, ".yaml") == 0) ||
	       (len > 4 && strcmp(name + len - 4, ".yml") == 0);
}

static int paths__cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Whether the file at `path` was loaded already (same real path). */
static bool paths__seen(manifest_set *set, const char *path)
{
	char real[PATH_MAX], other[PATH_MAX];

	if (!realpath(path, real))
		return false;
	for (size_t i = 0; i < set->file_count; i++)
		if (realpath(set->files[i], other) && strcmp(real, other) == 0)
			return true;
	return false;
}

static void paths__free_names(char **names, size_t count)
{
	for (size_t i = 0; i < count; i++)
		free(names[i]);
	free(names);
}

/* The visible entries of the open directory `dir` at `path`, as full
 * paths sorted by name, in *out (free with paths__free_names). */
static int paths__list(char ***out, size_t *count_out, paths__walk *w, DIR *dir, const char *path)
{
	const char *sep = path[strlen(path) - 1] == '/' ? "" : "/";
	char **names = NULL;
	size_t count = 0, cap = 0;
	struct dirent *e;
	int error = 0;

	for (errno = 0; (e = readdir(dir)) != NULL; errno = 0) {
		char **slot;

		if (e->d_name[0] == '.')
			continue; /* ., .., and hidden entries such as .git */
		if ((slot = CMK_VEC_PUSH(names, count, cap)) == NULL) {
			error = cmk_error_last_code();
			goto out;
		}
		if (asprintf(slot, "%s%s%s", path, sep, e->d_name) < 0) {
			count--; /* the slot holds nothing to free */
			error = cmk_error_oom();
			goto out;
		}
	}
	if (errno) {
		/* a listing cut short would leave manifests out */
		w->set->incomplete = true;
		error = manifest_diag_add(w->diags, path, 0, 0, NULL, "cannot list directory: %s",
					  strerror(errno));
	}
	qsort(names, count, sizeof(*names), paths__cmp_str);
out:
	if (error < 0) {
		paths__free_names(names, count);
		names = NULL;
		count = 0;
	}
	*out = names;
	*count_out = count;
	return error;
}

static int paths__walk_dir(paths__walk *w, const char *path, const struct stat *st,
			   const paths__dir *up, int depth);

/* One entry of a directory: walk it, read it, or skip it by design. */
static int paths__entry(paths__walk *w, const char *path, const paths__dir *up, int depth)
{
	struct stat st;
	int err;

	if (lstat(path, &st) < 0)
		return paths__unreadable(w->set, w->diags, path, errno, NULL);
	if (S_ISLNK(st.st_mode) && stat(path, &st) < 0) {
		err = errno;
		return paths__unreadable(w->set, w->diags, path, err, paths__link_hint(err));
	}
	if (S_ISDIR(st.st_mode))
		return paths__walk_dir(w, path, &st, up, depth + 1);
	if (!paths__is_manifest_name(path))
		return 0; /* not a manifest by its name: skipped by design */
	w->found++;
	if (paths__seen(w->set, path))
		return 0;
	return paths__file(w->set, w->diags, path);
}

static int paths__walk_dir(paths__walk *w, const char *path, const struct stat *st,
			   const paths__dir *up, int depth)
{
	paths__dir here = { st->st_dev, st->st_ino, path, up };
	char **names = NULL;
	size_t count = 0;
	DIR *dir;
	int error = 0;

	for (const paths__dir *a = up; a; a = a->up) {
		if (a->dev == st->st_dev && a->ino == st->st_ino) {
			w->set->incomplete = true;
			return manifest_diag_add(w->diags, path, 0, 0, paths__link_hint(ELOOP),
						 "cannot read: symbolic link loop: leads back to '%s'",
						 a->path);
		}
	}
	if (depth > PATHS__MAX_DEPTH) {
		w->set->incomplete = true;
		return manifest_diag_add(w->diags, path, 0, 0, "check for symbolic link loops",
					 "directories nested more than %d levels deep", PATHS__MAX_DEPTH);
	}
	if ((dir = opendir(path)) == NULL) {
		w->set->incomplete = true;
		return manifest_diag_add(w->diags, path, 0, 0, NULL, "cannot open directory: %s",
					 strerror(errno));
	}
	error = paths__list(&names, &count, w, dir, path);
	closedir(dir);
	for (size_t i = 0; i < count && error == 0; i++)
		error = paths__entry(w, names[i], &here, depth);
	paths__free_names(names, count);
	return error;
}

int manifest_load_path(manifest_set *set, manifest_diags *diags, const char *path)
{
	paths__walk w = { set, diags, 0 };
	struct stat st;
	size_t before;
	int error;

	if (strcmp(path, "-") == 0)
		return paths__stdin(set, diags);
	if (stat(path, &st) < 0) {
		char why[PATH_MAX + 64];

		set->incomplete = true;
		cmk_input_explain(why, sizeof(why), path, errno);
		return manifest_diag_add(diags, path, 0, 0, "check the path given to -f", "cannot read: %s",
					 why);
	}
	if (!S_ISDIR(st.st_mode))
		return paths__seen(set, path) ? 0 : paths__file(set, diags, path);
	before = manifest_diags_total(diags);
	if ((error = paths__walk_dir(&w, path, &st, NULL, 0)) < 0)
		return error;
	/* an entry that could not be read was said already: may be manifests */
	if (w.found == 0 && manifest_diags_total(diags) == before)
		return manifest_diag_add(diags, path, 0, 0, "manifest files end in .yaml or .yml",
					 "no manifest files in this directory");
	return 0;
}

int manifest_check_documents(manifest_set *set, manifest_diags *diags)
{
	static const char hint[] = "a manifest starts with apiVersion: " MANIFEST_API_VERSION;
	int error = 0;

	if (set->count > 0 || manifest_diags_total(diags) > 0)
		return 0;
	if (set->file_count == 0)
		return manifest_diag_add(diags, "", 0, 0, hint, "no manifest documents found");
	/* every file read is empty or holds only comments: say which */
	for (size_t i = 0; i < set->file_count && error == 0; i++)
		error = manifest_diag_add(diags, set->files[i], 0, 0, hint, "no manifest documents found");
	return error;
}
