/*
 * manifest_diag.c - collect, order and render manifest errors (see
 * manifest_diag.h).
 */
#include "planner/manifest_diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/out.h"

int manifest_diag_add(manifest_diags *d, const char *file, unsigned line, unsigned column,
		      const char *hint, const char *fmt, ...)
{
	manifest_diag *g;
	va_list ap;
	int n;

	if (d->count >= MANIFEST_DIAG_MAX) {
		d->dropped++;
		return 0;
	}
	if (d->count == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 16;
		manifest_diag *items = realloc(d->items, cap * sizeof(*items));

		if (!items)
			return cmk_error_oom();
		d->items = items;
		d->cap = cap;
	}
	g = &d->items[d->count];
	memset(g, 0, sizeof(*g));
	g->file = strdup(file ? file : "");
	g->hint = hint ? strdup(hint) : NULL;
	va_start(ap, fmt);
	n = vasprintf(&g->message, fmt, ap);
	va_end(ap);
	if (n < 0)
		g->message = NULL;
	if (!g->file || (hint && !g->hint) || !g->message) {
		free(g->file);
		free(g->hint);
		free(g->message);
		return cmk_error_oom();
	}
	g->line = line;
	g->column = column;
	g->seq = d->count;
	d->count++;
	return 0;
}

size_t manifest_diags_total(const manifest_diags *d)
{
	return d->count + d->dropped;
}

static int manifest_diag__cmp(const void *pa, const void *pb)
{
	const manifest_diag *a = pa, *b = pb;
	int c = strcmp(a->file, b->file);

	if (c)
		return c;
	if (a->line != b->line)
		return a->line < b->line ? -1 : 1;
	if (a->column != b->column)
		return a->column < b->column ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

void manifest_diags_sort(manifest_diags *d)
{
	if (d->count > 1)
		qsort(d->items, d->count, sizeof(*d->items), manifest_diag__cmp);
}

void manifest_diags_print_text(FILE *out, const manifest_diags *d)
{
	size_t total = manifest_diags_total(d);

	for (size_t i = 0; i < d->count; i++) {
		const manifest_diag *g = &d->items[i];

		/* file names, keys and values quoted in messages are the
		 * manifest's: control characters shown as text (common/out.h) */
		cmk_out_fputs(g->file, 0, out);
		if (g->line)
			fprintf(out, ":%u:%u: error: ", g->line, g->column);
		else
			fputs(g->file[0] ? ": error: " : "error: ", out);
		cmk_out_fputs(g->message, 0, out);
		fputc('\n', out);
		if (g->hint) {
			fputs("  hint: ", out);
			cmk_out_fputs(g->hint, 0, out);
			fputc('\n', out);
		}
	}
	if (d->dropped)
		fprintf(out, "(%zu more errors not shown)\n", d->dropped);
	if (total)
		fprintf(out, "%zu error%s\n", total, total == 1 ? "" : "s");
}

int manifest_diags_to_json(cJSON **out, const manifest_diags *d, size_t files, size_t documents)
{
	cJSON *root = cJSON_CreateObject(), *errors = NULL;
	int error = CMK_ENOMEM;

	*out = NULL;
	if (!root ||
	    !cJSON_AddNumberToObject(root, "version", 1) ||
	    !cJSON_AddBoolToObject(root, "valid", manifest_diags_total(d) == 0) ||
	    !cJSON_AddNumberToObject(root, "files", (double)files) ||
	    !cJSON_AddNumberToObject(root, "documents", (double)documents) ||
	    !cJSON_AddNumberToObject(root, "errorCount", (double)manifest_diags_total(d)) ||
	    !(errors = cJSON_AddArrayToObject(root, "errors")))
		goto out;
	for (size_t i = 0; i < d->count; i++) {
		const manifest_diag *g = &d->items[i];
		cJSON *e = cJSON_CreateObject();

		if (!e)
			goto out;
		cJSON_AddItemToArray(errors, e);
		if (!cJSON_AddStringToObject(e, "file", g->file) ||
		    !cJSON_AddNumberToObject(e, "line", g->line) ||
		    !cJSON_AddNumberToObject(e, "column", g->column) ||
		    !cJSON_AddStringToObject(e, "message", g->message) ||
		    !(g->hint ? cJSON_AddStringToObject(e, "hint", g->hint)
			      : cJSON_AddNullToObject(e, "hint")))
			goto out;
	}
	*out = root;
	root = NULL;
	error = 0;
out:
	cJSON_Delete(root);
	return error == 0 ? 0 : cmk_error_oom();
}

void manifest_diags_free(manifest_diags *d)
{
	for (size_t i = 0; i < d->count; i++) {
		free(d->items[i].file);
		free(d->items[i].message);
		free(d->items[i].hint);
	}
	free(d->items);
	memset(d, 0, sizeof(*d));
}
