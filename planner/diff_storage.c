/*
 * diff_storage.c - the LinkedStorageAccount pass of the diff: the storage
 * accounts linked to a workspace for one data source type, compared as
 * sorted sets (case-insensitive), set after the workspace's link.
 */
#include "planner/diff_internal.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/buf.h"

static int diff__cmp_ci(const void *a, const void *b)
{
	return strcasecmp(*(char *const *)a, *(char *const *)b);
}

/* The accounts sorted and joined with ", " (a new string). */
static char *diff__join_sorted(char *const *items, size_t n)
{
	char **copy = n ? malloc(n * sizeof(char *)) : NULL;
	cmk_buf b = CMK_BUF_INIT;

	if (n && !copy)
		return NULL;
	if (n)
		memcpy(copy, items, n * sizeof(char *));
	qsort(copy, n, sizeof(char *), diff__cmp_ci);
	for (size_t i = 0; i < n; i++)
		if (cmk_buf_printf(&b, "%s%s", i ? ", " : "", copy[i]) < 0) {
			free(copy);
			cmk_buf_free(&b);
			return NULL;
		}
	free(copy);
	return n ? cmk_buf_detach(&b) : strdup("");
}

/* The manifest's accounts, sorted (case-insensitive): the array points
 * into the set; free() it. */
static char **diff__sorted_manifest(const manifest_string *items, size_t n)
{
	char **v = calloc(n ? n : 1, sizeof(char *));

	if (!v)
		return NULL;
	for (size_t i = 0; i < n; i++)
		v[i] = items[i].value ? items[i].value : "";
	qsort(v, n, sizeof(char *), diff__cmp_ci);
	return v;
}

static char *diff__join_manifest(const manifest_string *items, size_t n)
{
	char **v = diff__sorted_manifest(items, n), *joined;

	if (!v)
		return NULL;
	joined = diff__join_sorted(v, n);
	free(v);
	return joined;
}

/* The storageAccountIds param: the accounts, sorted. */
static int diff__storage_ids_param(diff_ctx *c, size_t step, const manifest_linked_storage_account *s)
{
	char **v = diff__sorted_manifest(s->storage_accounts, s->storage_account_count);
	int error;

	if (!v)
		return cmk_error_oom();
	error = plan__add_param_list(c->p, step, "storageAccountIds", (const char *const *)v,
				     s->storage_account_count);
	free(v);
	return error;
}

/* The linked-storage step: after the workspace's link (DESIGN.md step 7),
 * blocked when the workspace does not exist. */
static int diff__storage_set(diff_ctx *c, const manifest_linked_storage_account *s, size_t res, const char *id,
			     const char *type, bool found)
{
	size_t step, lidx;
	int error;

	if ((error = plan__add_step(&step, c->p, PLAN_STEP_LINKED_STORAGE_SET, res, id,
				    NULL, "link storage account%s for %s to workspace %s",
				    s->storage_account_count == 1 ? "" : "s", type,
				    diff__last_segment(s->workspace.value))) < 0 ||
	    (error = plan__add_param(c->p, step, "workspaceId", s->workspace.value)) < 0 ||
	    (error = plan__add_param(c->p, step, "dataSourceType", type)) < 0 ||
	    (error = diff__storage_ids_param(c, step, s)) < 0)
		return error;
	if ((lidx = diff__map_get(&c->listed, s->workspace.value)) != PLAN_NONE &&
	    (error = plan__add_dep(c->p, step, c->listed_step[lidx])) < 0)
		return error;
	if (!found && (error = plan__block(c->p, step, DIFF_MSG_WS_NOT_FOUND " (%s)", s->workspace.value)) < 0)
		return error;
	return 0;
}

int diff__storage(diff_ctx *c, size_t i)
{
	const manifest_doc *doc = c->set->docs[i];
	const manifest_linked_storage_account *s = &doc->spec.linked_storage;
	const char *type = manifest_data_source_name(s->data_source_type.value);
	const live_linked_storage *ls;
	char *addr = NULL, *id = NULL, *want = NULL, *have = NULL;
	bool found;
	size_t res;
	int error;

	if ((addr = diff__address(doc)) == NULL ||
	    (id = plan__fmt("%s/linkedStorageAccounts/%s", s->workspace.value, type)) == NULL ||
	    (want = diff__join_manifest(s->storage_accounts, s->storage_account_count)) == NULL) {
		error = cmk_error_oom();
		goto out;
	}
	if ((error = diff__add_touched(&res, c, addr, id, false)) < 0 ||
	    (error = plan__touch(c->p, s->workspace.value)) < 0)
		goto out;
	found = diff__map_get(&c->ws, s->workspace.value) != PLAN_NONE;
	ls = live_find_linked_storage(c->live, s->workspace.value, type);
	if (ls && (have = diff__join_sorted(ls->storage_accounts, ls->storage_account_count)) == NULL) {
		error = cmk_error_oom();
		goto out;
	}
	if (found && have && strcasecmp(have, want) == 0)
		goto out;
	c->p->resources[res].action = ls ? PLAN_ACTION_UPDATE : PLAN_ACTION_CREATE;
	if ((error = plan__add_change(c->p, res, "storageAccounts", have, want)) < 0 ||
	    (error = plan__add_reason(c->p, res, ls ? "the linked storage accounts differ"
						    : "no %s storage account is linked", type)) < 0)
		goto out;
	error = diff__storage_set(c, s, res, id, type, found);
out:
	free(addr);
	free(id);
	free(want);
	free(have);
	return error;
}
