/*
 * diff_ctx.c - what the diff's passes share (see diff_internal.h): the
 * case-insensitive index of ids, small id helpers, resources of live
 * workspaces, and tags (desired tags, their changes and their parameter).
 */
#include "planner/diff_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>


#include "common/arm_id.h"

/* ---- a hash index of ids (open addressing, case-insensitive) ---------- */

int diff__map_init(diff__map *m, size_t n)
{
	size_t cap = 16;

	while (cap < n * 2 + 16)
		cap *= 2;
	if ((m->slots = calloc(cap, sizeof(diff__slot))) == NULL)
		return cmk_error_oom();
	m->cap = cap;
	return 0;
}

/* The map never fills: it is sized for every key at init. */
void diff__map_put(diff__map *m, const char *key, size_t val)
{
	size_t i = arm_id_hash(key) & (m->cap - 1);

	while (m->slots[i].key) {
		if (arm_id_equal(m->slots[i].key, key))
			return;
		i = (i + 1) & (m->cap - 1);
	}
	m->slots[i].key = key;
	m->slots[i].val = val;
}

size_t diff__map_get(const diff__map *m, const char *key)
{
	size_t i;

	if (!m->cap || !key)
		return PLAN_NONE;
	i = arm_id_hash(key) & (m->cap - 1);
	while (m->slots[i].key) {
		if (arm_id_equal(m->slots[i].key, key))
			return m->slots[i].val;
		i = (i + 1) & (m->cap - 1);
	}
	return PLAN_NONE;
}

/* ---- small helpers ------------------------------------------------------ */

size_t diff__doc_index(const diff_ctx *c, const manifest_doc *doc)
{
	for (size_t i = 0; i < c->set->count; i++)
		if (c->set->docs[i] == doc)
			return i;
	return PLAN_NONE;
}

char *diff__address(const manifest_doc *d)
{
	return plan__fmt("%s/%s", manifest_kind_name(d->kind), d->name.value);
}

const char *diff__or(const char *s, const char *dflt)
{
	return s && *s ? s : dflt;
}

const char *diff__last_segment(const char *id)
{
	const char *s = strrchr(id, '/');

	return s && s[1] ? s + 1 : id;
}

const char *diff__tenant_of_sub(const diff_ctx *c, const char *sub)
{
	const live_subscription *s;

	if (!sub)
		return NULL;
	s = live_find_subscription(c->live, sub);
	return s ? s->tenant_id : NULL;
}

const char *diff__sub_of(char *out, size_t size, const char *id)
{
	const char *p;
	size_t n;

	out[0] = '\0';
	if (!id || strncasecmp(id, "/subscriptions/", 15) != 0)
		return NULL;
	p = id + 15;
	n = strcspn(p, "/");
	if (n == 0 || n >= size)
		return NULL;
	memcpy(out, p, n);
	out[n] = '\0';
	return out;
}

const char *diff__tenant_of_id(const diff_ctx *c, const char *id)
{
	char sub[64];

	return diff__tenant_of_sub(c, diff__sub_of(sub, sizeof(sub), id));
}

int diff__touch_sub_of(diff_ctx *c, const char *id)
{
	char sub[64], *s;
	int error;

	if (!diff__sub_of(sub, sizeof(sub), id))
		return 0;
	if ((s = plan__fmt("/subscriptions/%s", sub)) == NULL)
		return cmk_error_oom();
	error = plan__touch(c->p, s);
	free(s);
	return error;
}

int diff__add_touched(size_t *res, diff_ctx *c, const char *addr, const char *id, bool with_sub)
{
	int error;

	if ((error = plan__add_resource(res, c->p, addr, id)) < 0 || (error = plan__touch(c->p, id)) < 0 ||
	    (with_sub && (error = diff__touch_sub_of(c, id)) < 0))
		return error;
	return 0;
}

int diff__add_workspace(size_t *res, char **addr, diff_ctx *c, const live_workspace *w)
{
	char *a = plan__fmt("Workspace/%s", diff__or(w->name, diff__last_segment(w->id)));
	int error;

	if (addr)
		*addr = NULL;
	if (!a)
		return cmk_error_oom();
	if ((error = diff__add_touched(res, c, a, w->id, false)) < 0 || !addr)
		free(a);
	else
		*addr = a;
	return error;
}

int diff__append(char **list, const char *fmt, ...)
{
	va_list ap;
	char *msg = NULL, *joined;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	if (!msg)
		return cmk_error_oom();
	if (!*list) {
		*list = msg;
		return 0;
	}
	joined = plan__fmt("%s; %s", *list, msg);
	free(msg);
	if (!joined)
		return cmk_error_oom();
	free(*list);
	*list = joined;
	return 0;
}

/* ---- tags ----------------------------------------------------------------- */

static bool diff__tag_eq_key(const char *a, const char *b)
{
	return strcasecmp(a, b) == 0; /* tag names are case-insensitive in ARM */
}

int diff__tags(diff_ctx *c, size_t res, const diff__tag *want, size_t n, const live_tags *have)
{
	int changes = 0, error;
	char field[600];

	for (size_t i = 0; i < n; i++) {
		const char *cur = NULL;

		for (size_t j = 0; j < have->count; j++)
			if (diff__tag_eq_key(have->items[j].key, want[i].key))
				cur = have->items[j].value;
		if (cur && strcmp(cur, want[i].value) == 0)
			continue;
		snprintf(field, sizeof(field), "tags.%s", want[i].key);
		if ((error = plan__add_change(c->p, res, field, cur, want[i].value)) < 0)
			return error;
		changes++;
	}
	for (size_t j = 0; j < have->count; j++) {
		bool wanted = false;

		for (size_t i = 0; i < n && !wanted; i++)
			wanted = diff__tag_eq_key(have->items[j].key, want[i].key);
		if (wanted)
			continue;
		snprintf(field, sizeof(field), "tags.%s", have->items[j].key);
		if ((error = plan__add_change(c->p, res, field, have->items[j].value, NULL)) < 0)
			return error;
		changes++;
	}
	return changes;
}

int diff__tags_param(diff_ctx *c, size_t step, const diff__tag *tags, size_t n)
{
	return plan__add_param_map(c->p, step, "tags", tags, n);
}

int diff__want_tags(diff__tag **out, size_t *n, const manifest_map *m, const char *policy)
{
	diff__tag *t = calloc(m->count + 2, sizeof(*t));

	if (!t)
		return cmk_error_oom();
	*n = 0;
	for (size_t i = 0; i < m->count; i++)
		t[(*n)++] = (diff__tag){ m->items[i].key.value, diff__or(m->items[i].value.value, "") };
	if (policy) {
		t[(*n)++] = (diff__tag){ PLAN_TAG_MANAGED, "true" };
		t[(*n)++] = (diff__tag){ PLAN_TAG_DELETION_POLICY, policy };
	}
	*out = t;
	return 0;
}

bool diff__has_tag(const live_tags *t, const char *key, const char *value)
{
	for (size_t i = 0; i < t->count; i++)
		if (diff__tag_eq_key(t->items[i].key, key) && (!value || strcasecmp(t->items[i].value, value) == 0))
			return true;
	return false;
}
