/*
 * manifest_diag.h - the errors found in manifests, collected rather than
 * returned: `cmkctl validate` prints every error, not only the first.
 *
 * Each diagnostic says where (file:line:column, 1-based; line 0 when the
 * error concerns a whole file), what (message) and what to do (hint). They
 * render as text:
 *
 *   file:line:column: error: message
 *     hint: what to do
 *
 * or as JSON: {"version":1,"valid":false,"files":N,"documents":N,
 *              "errors":[{"file","line","column","message","hint"}...]}.
 */
#ifndef CMK_MANIFEST_DIAG_H
#define CMK_MANIFEST_DIAG_H

#include <stddef.h>
#include <stdio.h>

#include "common/error.h"

/* More errors than this are counted but not kept (a binary file fed to the
 * loader must not print a million lines). */
#define MANIFEST_DIAG_MAX 1000

typedef struct {
	char *file;       /* owned copy; "" when the error has no file */
	unsigned line;    /* 1-based; 0 when not about a position */
	unsigned column;  /* 1-based; 0 when not about a position */
	char *message;    /* owned */
	char *hint;       /* owned; NULL when there is nothing more to say */
	size_t seq;       /* insertion order, for a stable sort */
} manifest_diag;

typedef struct {
	manifest_diag *items;
	size_t count;
	size_t cap;
	size_t dropped;   /* errors past MANIFEST_DIAG_MAX, counted only */
} manifest_diags;

#define MANIFEST_DIAGS_INIT { NULL, 0, 0, 0 }

/*
 * Record an error at file:line:column. `hint` may be NULL. Returns 0, or
 * CMK_ENOMEM when the error could not be recorded.
 */
int manifest_diag_add(manifest_diags *d, const char *file, unsigned line, unsigned column,
		      const char *hint, const char *fmt, ...) CMK_PRINTF(6, 7) CMK_WUR;

/* Errors recorded, including the dropped ones. */
size_t manifest_diags_total(const manifest_diags *d);

/* Order by file name, then line, then column, then insertion: the output is
 * the same whatever order the checks ran in. */
void manifest_diags_sort(manifest_diags *d);

/* Print every diagnostic as text, then a count line when there is any. */
void manifest_diags_print_text(FILE *out, const manifest_diags *d);

/*
 * The JSON report as a new cJSON object in `*out`, owned by the caller
 * (cJSON_Delete), so a command can add to it (e.g. the manifest source)
 * before printing. `files` and `documents` are the counts to report.
 * CMK_ENOMEM on failure.
 */
struct cJSON;
int manifest_diags_to_json(struct cJSON **out, const manifest_diags *d, size_t files,
			   size_t documents) CMK_WUR;

void manifest_diags_free(manifest_diags *d);

#endif
