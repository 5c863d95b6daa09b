/*
 * shard.c - document ownership by subscription, --subscription and
 * --shard K/N (see shard.h).
 */
#include "reconciler/shard.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/arm_id.h"

bool shard_filter_active(const shard_filter *f)
{
	return f && (f->nsubs || f->n);
}

uint64_t shard_hash(const char *subscription)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (const unsigned char *p = (const unsigned char *)subscription; *p; p++) {
		h ^= (uint64_t)tolower(*p);
		h *= 0x100000001b3ULL;
	}
	return h;
}

unsigned shard_of(const char *subscription, unsigned n)
{
	return n ? (unsigned)(shard_hash(subscription) % n) + 1 : 1;
}

bool shard_filter_owns(const shard_filter *f, const char *subscription)
{
	if (!shard_filter_active(f))
		return true;
	if (f->nsubs) {
		bool listed = false;

		for (size_t i = 0; i < f->nsubs && !listed; i++)
			listed = strcasecmp(f->subscriptions[i], subscription) == 0;
		if (!listed)
			return false;
	}
	return !f->n || shard_of(subscription, f->n) == f->k;
}

int shard_doc_subscription(char *out, size_t size, const manifest_doc *d)
{
	arm_id id = { 0 };
	char *rid = NULL;
	int error;

	if (d->kind == MANIFEST_KIND_WORKSPACE_LINK) {
		if (!d->spec.workspace_link.cluster.target)
			return cmk_error_set(CMK_ENOTFOUND, "WorkspaceLink/%s: its cluster reference is unresolved",
					     d->name.value ? d->name.value : "?");
		d = d->spec.workspace_link.cluster.target;
	}
	if ((error = manifest_doc_resource_id(&rid, d)) < 0) {
		if (error == CMK_ENOTFOUND)
			error = cmk_error_set(CMK_ENOTFOUND, "%s/%s names no Azure resource",
					      manifest_kind_name(d->kind), d->name.value ? d->name.value : "?");
		return error;
	}
	if ((error = arm_id_parse(&id, rid)) < 0 || !id.subscription) {
		error = cmk_error_set(CMK_EINVALID, "%s/%s: no subscription in %s", manifest_kind_name(d->kind),
				      d->name.value ? d->name.value : "?", rid);
		goto out;
	}
	snprintf(out, size, "%s", id.subscription);
	for (char *p = out; *p; p++)
		*p = (char)tolower((unsigned char)*p);
out:
	arm_id_free(&id);
	free(rid);
	return error;
}

/* Every document `d` references, for the closure, from the one list of
 * references per kind (manifest_doc_ref_at). The order is the one sharding
 * always used - dependsOn first, then the typed references last to first -
 * because the first cross-shard reference found is the one the error
 * names. */
static size_t shard__refs(const manifest_doc **out, size_t cap, const manifest_doc *d)
{
	const manifest_ref *r;
	const char *path;
	size_t n = 0, ntyped = 0;

	for (size_t i = 0; (r = manifest_doc_ref_at(d, i, &path)) != NULL; i++) {
		if (strcmp(path, "metadata.dependsOn") != 0)
			ntyped = i + 1;
		else if (r->target && n < cap)
			out[n++] = r->target;
	}
	for (size_t i = ntyped; i-- > 0;) {
		r = manifest_doc_ref_at(d, i, &path);
		if (r->target && n < cap)
			out[n++] = r->target;
	}
	return n;
}

static size_t shard__index(const manifest_set *set, const manifest_doc *d)
{
	for (size_t i = 0; i < set->count; i++)
		if (set->docs[i] == d)
			return i;
	return set->count;
}

int shard_select(manifest_set **out, size_t *owned_out, const shard_filter *f, const manifest_set *set)
{
	manifest_set *view = NULL;
	unsigned char *mark = NULL; /* 0 out, 1 owned, 2 referenced */
	size_t *stack = NULL, top = 0, owned = 0;
	char sub[128], other[128];
	int error = 0;

	*out = NULL;
	if ((mark = calloc(set->count + 1, 1)) == NULL || (stack = calloc(set->count + 1, sizeof(*stack))) == NULL ||
	    (view = calloc(1, sizeof(*view))) == NULL ||
	    (set->count && (view->docs = calloc(set->count, sizeof(*view->docs))) == NULL)) {
		error = cmk_error_oom();
		goto out;
	}
	for (size_t i = 0; i < set->count; i++) {
		if ((error = shard_doc_subscription(sub, sizeof(sub), set->docs[i])) < 0)
			goto out;
		if (shard_filter_owns(f, sub)) {
			mark[i] = 1;
			owned++;
			stack[top++] = i;
		}
	}
	while (top) {
		const manifest_doc *d = set->docs[stack[--top]], *refs[64];
		size_t nrefs = shard__refs(refs, 64, d);

		for (size_t r = 0; r < nrefs; r++) {
			size_t j = shard__index(set, refs[r]);

			if (j == set->count || mark[j])
				continue;
			if (refs[r]->kind != MANIFEST_KIND_KEY_VAULT_KEY) {
				if ((error = shard_doc_subscription(sub, sizeof(sub), d)) < 0 ||
				    (error = shard_doc_subscription(other, sizeof(other), refs[r])) < 0)
					goto out;
				error = cmk_error_set(CMK_EINVALID,
					"%s:%u: %s/%s (subscription %s) references %s/%s, which belongs to "
					"subscription %s and so to another run of this --shard/--subscription "
					"split; both runs would write it. Keep a %s in the subscription of the "
					"documents that use it, or select both subscriptions in one run",
					d->loc.file ? d->loc.file : "", d->loc.line, manifest_kind_name(d->kind),
					d->name.value, sub, manifest_kind_name(refs[r]->kind), refs[r]->name.value,
					other, manifest_kind_name(refs[r]->kind));
				goto out;
			}
			mark[j] = 2;
			stack[top++] = j;
		}
	}
	for (size_t i = 0; i < set->count; i++)
		if (mark[i])
			view->docs[view->count++] = set->docs[i];
	view->files = set->files;
	view->file_count = set->file_count;
	view->incomplete = set->incomplete;
	if (owned_out)
		*owned_out = owned;
	*out = view;
	view = NULL;
out:
	shard_view_free(view);
	free(mark);
	free(stack);
	return error;
}

void shard_view_free(manifest_set *view)
{
	if (!view)
		return;
	free(view->docs);
	free(view);
}

static int shard__cmp(const void *a, const void *b)
{
	return strcasecmp(*(const char *const *)a, *(const char *const *)b);
}

void shard_scope_key(char *out, size_t size, const shard_filter *f)
{
	char subs[64] = "", part[64] = "";

	if (!shard_filter_active(f)) {
		snprintf(out, size, "all");
		return;
	}
	if (f->nsubs) {
		const char *sorted[SHARD_MAX_SUBSCRIPTIONS];
		uint64_t h = 0xcbf29ce484222325ULL;

		memcpy(sorted, f->subscriptions, f->nsubs * sizeof(*sorted));
		qsort(sorted, f->nsubs, sizeof(*sorted), shard__cmp);
		for (size_t i = 0; i < f->nsubs; i++) {
			if (i && strcasecmp(sorted[i], sorted[i - 1]) == 0)
				continue; /* the same id twice is the same scope */
			h ^= shard_hash(sorted[i]);
			h *= 0x100000001b3ULL;
		}
		snprintf(subs, sizeof(subs), "subs-%016llx", (unsigned long long)h);
	}
	if (f->n)
		snprintf(part, sizeof(part), "shard-%u-of-%u", f->k, f->n);
	snprintf(out, size, "%s%s%s", part, *part && *subs ? "-" : "", subs);
}
