/*
 * source_internal.h - what the source modules share and nobody else should
 * see: the source object, the backend table each kind of source fills in
 * (source_dir.c, source_git.c), and the helpers of source_util.c.
 *
 * Dependencies point one way: source.c (the dispatcher) -> the backends ->
 * source_local.c. A backend never calls the dispatcher.
 */
#ifndef CMK_SOURCE_INTERNAL_H
#define CMK_SOURCE_INTERNAL_H

#include <stdbool.h>

#include "sources/source.h"

struct source {
	source_revision rev; /* points into the strings below */
	char *url;
	char *ref;
	char *ref_name;
	char *commit;
	char *path;
	char **local; /* what the loader reads */
	size_t nlocal;
	char *root;  /* git: the private checkout directory (deleted on free) */
};

/* One kind of source. The dispatcher asks each backend in turn whether it
 * serves a spec (already checked with source_spec_check) and opens the
 * first that does. */
typedef struct {
	const char *name;  /* "dir", "git": for messages */
	source_kind kind;  /* recorded in the revision */
	/* whether this backend reads what `spec` asks for */
	bool (*serves)(const source_spec *spec);
	/* fill `s`: at least one local path (source__add_local), the revision
	 * strings, and root when it made a checkout source_free must delete.
	 * On failure `s` may hold partial state; the caller frees it. */
	int (*open)(source *s, const source_spec *spec);
} source_backend;

extern const source_backend source_dir_backend; /* source_dir.c */
extern const source_backend source_git_backend; /* source_git.c */

/* ----- source_util.c: the object's local paths, removing a checkout */

/* Append a copy of `path` to the loader's paths; clear them all. */
int source__add_local(source *s, const char *path) CMK_WUR;
void source__clear_local(source *s);

/* Remove a directory tree without following symlinks. */
int source__rmtree(const char *path);

#endif
