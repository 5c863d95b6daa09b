/*
 * plan.c - the plan model's memory, names, and the final pass that sorts
 * resources and steps into their deterministic order (see plan.h and
 * plan_internal.h).
 */
#include "planner/plan_internal.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/out.h"
#include "common/vec.h"

static const char *const plan__action_names[PLAN_ACTION__COUNT] = {
	"no-op", "create", "update", "delete", "blocked",
};

static const char *const plan__finding_names[PLAN_FINDING__COUNT] = {
	"field-drift", "rotation-pending", "revocation-risk", "unmanaged-link", "vanished",
};

const char *plan_action_name(plan_action a)
{
	return (unsigned)a < PLAN_ACTION__COUNT ? plan__action_names[a] : "?";
}

const char *plan_finding_kind_name(plan_finding_kind k)
{
	return (unsigned)k < PLAN_FINDING__COUNT ? plan__finding_names[k] : "?";
}

static int plan__lookup(int *out, const char *const *names, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0) {
			*out = i;
			return 0;
		}
	return CMK_ENOTFOUND;
}

int plan_action_from_name(plan_action *out, const char *name)
{
	int v, error = plan__lookup(&v, plan__action_names, PLAN_ACTION__COUNT, name);

	if (error == 0)
		*out = (plan_action)v;
	return error;
}

int plan_finding_kind_from_name(plan_finding_kind *out, const char *name)
{
	int v, error = plan__lookup(&v, plan__finding_names, PLAN_FINDING__COUNT, name);

	if (error == 0)
		*out = (plan_finding_kind)v;
	return error;
}

bool plan_has_changes(const plan *p)
{
	return p->step_count > 0;
}

bool plan_is_applicable(const plan *p)
{
	return p->summary.blocked_steps == 0;
}

bool plan_has_drift(const plan *p)
{
	return p->step_count > 0 || p->finding_count > 0;
}

char *plan__fmt(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	return s;
}

/* Display text (reasons, descriptions, findings, changes) quotes names and
 * live values: control characters in it are shown as text (common/out.h). */
static char *plan__shown(char *s)
{
	char *shown;

	if (!s || !cmk_out_has_control(s))
		return s;
	shown = cmk_out_escape_dup(s, 0);
	free(s);
	return shown;
}

static char *plan__vfmt(const char *fmt, va_list ap)
{
	char *s = NULL;

	if (vasprintf(&s, fmt, ap) < 0)
		return NULL;
	return plan__shown(s);
}

/* Room in *items (of `size`-byte elements) for a zeroed one at `count`. */
static int plan__grow(void **items, size_t *cap, size_t count, size_t size)
{
	int error = cmk_vec_reserve(items, cap, count + 1, size, 0);

	if (error == 0)
		memset((char *)*items + count * size, 0, size);
	return error;
}

static char *plan__dup(const char *s)
{
	return s ? strdup(s) : NULL;
}

int plan__alloc(plan **out)
{
	if ((*out = calloc(1, sizeof(plan))) == NULL)
		return cmk_error_oom();
	return 0;
}

void plan_free(plan *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->resource_count; i++) {
		plan_resource *r = &p->resources[i];

		free(r->address);
		free(r->id);
		for (size_t j = 0; j < r->change_count; j++) {
			free(r->changes[j].field);
			free(r->changes[j].before);
			free(r->changes[j].after);
		}
		free(r->changes);
		for (size_t j = 0; j < r->reason_count; j++)
			free(r->reasons[j]);
		free(r->reasons);
	}
	free(p->resources);
	free(p->addr_slots_);
	for (size_t i = 0; i < p->step_count; i++) {
		plan_step *s = &p->steps[i];

		free(s->id);
		free(s->target);
		free(s->lock);
		free(s->description);
		free(s->depends_on);
		free(s->blocked_reason);
		for (size_t j = 0; j < s->param_count; j++)
			plan__param_free(&s->params[j]);
		free(s->params);
	}
	free(p->steps);
	for (size_t i = 0; i < p->finding_count; i++) {
		free(p->findings[i].address);
		free(p->findings[i].message);
	}
	free(p->findings);
	for (size_t i = 0; i < p->touched_count; i++)
		free(p->touched[i]);
	free(p->touched);
	free(p->now);
	cJSON_Delete(p->source);
	free(p->fingerprint);
	free(p->steps_fingerprint);
	free(p->signature);
	free(p);
}

int plan_set_source(plan *p, const cJSON *source)
{
	cJSON *copy = NULL;

	if (source && (copy = cJSON_Duplicate(source, 1)) == NULL)
		return cmk_error_oom();
	cJSON_Delete(p->source);
	p->source = copy;
	return 0;
}

static unsigned long plan__hash(const char *s)
{
	unsigned long h = 1469598103934665603UL; /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211UL;
	return h;
}

/* Whether `address` is taken; the set holds every resource's address. */
bool plan__addr_taken(const plan *p, const char *address)
{
	size_t i;

	if (!p->addr_cap_)
		return false;
	for (i = plan__hash(address) & (p->addr_cap_ - 1); p->addr_slots_[i];
	     i = (i + 1) & (p->addr_cap_ - 1))
		if (strcmp(p->resources[p->addr_slots_[i] - 1].address, address) == 0)
			return true;
	return false;
}

static int plan__addr_insert(plan *p, size_t index)
{
	size_t i;

	if ((p->resource_count + 1) * 2 > p->addr_cap_) {
		size_t ncap = p->addr_cap_ ? p->addr_cap_ * 2 : 64;
		size_t *n = calloc(ncap, sizeof(size_t));

		if (!n)
			return cmk_error_oom();
		for (size_t j = 0; j < p->addr_cap_; j++) {
			size_t v = p->addr_slots_[j];

			if (!v)
				continue;
			for (i = plan__hash(p->resources[v - 1].address) & (ncap - 1); n[i]; i = (i + 1) & (ncap - 1))
				;
			n[i] = v;
		}
		free(p->addr_slots_);
		p->addr_slots_ = n;
		p->addr_cap_ = ncap;
	}
	for (i = plan__hash(p->resources[index].address) & (p->addr_cap_ - 1); p->addr_slots_[i];
	     i = (i + 1) & (p->addr_cap_ - 1))
		;
	p->addr_slots_[i] = index + 1;
	return 0;
}

int plan__add_resource(size_t *out_index, plan *p, const char *address, const char *id)
{
	plan_resource *r;
	char *unique = NULL;
	int error;

	/* addresses name resources and steps: they must be unique (two
	 * workspaces of one name in different resource groups get #2, #3) */
	for (unsigned n = 2; plan__addr_taken(p, unique ? unique : address); n++) {
		free(unique);
		if ((unique = plan__fmt("%s#%u", address, n)) == NULL)
			return cmk_error_oom();
	}
	if (unique)
		address = unique;

	if ((error = plan__grow((void **)&p->resources, &p->resources_cap_, p->resource_count,
				sizeof(plan_resource))) < 0)
		goto out;
	r = &p->resources[p->resource_count];
	if ((r->address = strdup(address)) == NULL || (id && (r->id = strdup(id)) == NULL)) {
		free(r->address);
		r->address = NULL;
		error = cmk_error_oom();
		goto out;
	}
	r->action = PLAN_ACTION_NOOP;
	if ((error = plan__addr_insert(p, p->resource_count)) < 0) {
		free(r->address);
		free(r->id);
		r->address = r->id = NULL;
		goto out;
	}
	*out_index = p->resource_count++;
out:
	free(unique);
	return error;
}

int plan__add_change(plan *p, size_t res, const char *field, const char *before, const char *after)
{
	plan_resource *r = &p->resources[res];
	plan_change *c;

	if ((c = CMK_VEC_APPEND(r->changes, r->change_count)) == NULL)
		return CMK_ENOMEM;
	c->field = strdup(field);
	c->before = plan__shown(plan__dup(before));
	c->after = plan__shown(plan__dup(after));
	if (!c->field || (before && !c->before) || (after && !c->after))
		return cmk_error_oom();
	return 0;
}

int plan__add_reason(plan *p, size_t res, const char *fmt, ...)
{
	plan_resource *r = &p->resources[res];
	char **n, *s;
	va_list ap;

	va_start(ap, fmt);
	s = plan__vfmt(fmt, ap);
	va_end(ap);
	if (!s)
		return cmk_error_oom();
	for (size_t i = 0; i < r->reason_count; i++)
		if (strcmp(r->reasons[i], s) == 0) { /* one reason, said once */
			free(s);
			return 0;
		}
	if ((n = CMK_VEC_APPEND(r->reasons, r->reason_count)) == NULL) {
		free(s);
		return CMK_ENOMEM;
	}
	*n = s;
	return 0;
}

static int plan__vadd_step(size_t *out_index, plan *p, plan_step_kind kind, int phase, size_t res,
			   const char *target, const char *lock, const char *fmt, va_list ap)
{
	plan_step *s;
	int error;

	if ((error = plan__grow((void **)&p->steps, &p->steps_cap_, p->step_count, sizeof(plan_step))) < 0)
		return error;
	s = &p->steps[p->step_count];
	s->kind = kind;
	s->phase = phase;
	s->resource = res;
	s->description = plan__vfmt(fmt, ap);
	s->id = plan__fmt("%s:%s", plan_step_kind_name(kind), p->resources[res].address);
	s->target = plan__dup(target);
	s->lock = plan__dup(lock);
	p->step_count++; /* counted now so plan_free releases a half-built step */
	if (!s->description || !s->id || (target && !s->target) || (lock && !s->lock))
		return cmk_error_oom();
	*out_index = p->step_count - 1;
	return 0;
}

int plan__add_step(size_t *out_index, plan *p, plan_step_kind kind, size_t res, const char *target,
		   const char *lock, const char *fmt, ...)
{
	va_list ap;
	int error;

	va_start(ap, fmt);
	error = plan__vadd_step(out_index, p, kind, plan_step_kind_phase(kind), res, target, lock, fmt, ap);
	va_end(ap);
	return error;
}

int plan__add_step_at(size_t *out_index, plan *p, plan_step_kind kind, int phase, size_t res,
		      const char *target, const char *lock, const char *fmt, ...)
{
	va_list ap;
	int error;

	va_start(ap, fmt);
	error = plan__vadd_step(out_index, p, kind, phase, res, target, lock, fmt, ap);
	va_end(ap);
	return error;
}

int plan__add_dep(plan *p, size_t step, size_t on)
{
	plan_step *s = &p->steps[step];
	size_t *n;

	if (on == PLAN_NONE || on == step)
		return 0;
	for (size_t i = 0; i < s->dep_count; i++)
		if (s->depends_on[i] == on)
			return 0;
	if ((n = CMK_VEC_APPEND(s->depends_on, s->dep_count)) == NULL)
		return CMK_ENOMEM;
	*n = on;
	return 0;
}

int plan__block(plan *p, size_t step, const char *fmt, ...)
{
	plan_step *s = &p->steps[step];
	va_list ap;
	char *msg, *joined;

	va_start(ap, fmt);
	msg = plan__vfmt(fmt, ap);
	va_end(ap);
	if (!msg)
		return cmk_error_oom();
	if (!s->blocked_reason) {
		s->blocked_reason = msg;
		return 0;
	}
	/* several problems: say them all, so one plan run finds every one */
	joined = plan__fmt("%s; %s", s->blocked_reason, msg);
	free(msg);
	if (!joined)
		return cmk_error_oom();
	free(s->blocked_reason);
	s->blocked_reason = joined;
	return 0;
}

int plan__add_finding(plan *p, plan_finding_kind kind, const char *address, const char *fmt, ...)
{
	plan_finding *f;
	va_list ap;
	int error;

	if ((error = plan__grow((void **)&p->findings, &p->findings_cap_, p->finding_count,
				sizeof(plan_finding))) < 0)
		return error;
	f = &p->findings[p->finding_count++];
	f->kind = kind;
	f->address = strdup(address);
	va_start(ap, fmt);
	f->message = plan__vfmt(fmt, ap);
	va_end(ap);
	if (!f->address || !f->message)
		return cmk_error_oom();
	return 0;
}

int plan__touch(plan *p, const char *id)
{
	char *low;
	size_t n;
	int error;

	if (!id || !*id)
		return 0;
	if ((error = plan__grow((void **)&p->touched, &p->touched_cap_, p->touched_count,
				sizeof(char *))) < 0)
		return error;
	if ((low = strdup(id)) == NULL)
		return cmk_error_oom();
	n = strlen(low);
	while (n > 1 && low[n - 1] == '/') /* ids compare without trailing slashes */
		low[--n] = '\0';
	for (char *c = low; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
	p->touched[p->touched_count++] = low;
	return 0;
}

char *plan__ref(const plan *p, size_t step, const char *field)
{
	return plan__fmt("@%s.%s", p->steps[step].id, field);
}

/* ---- the final pass ----------------------------------------------------- */

static int plan__cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* qsort has no context argument in C17: the sort keys are copied instead. */
typedef struct {
	size_t index;
	const char *key;  /* resources: address; steps: resource address */
	int phase;
	int kind;
} plan__order;

static int plan__cmp_order(const void *a, const void *b)
{
	const plan__order *x = a, *y = b;
	int c;

	if (x->phase != y->phase)
		return x->phase < y->phase ? -1 : 1;
	if ((c = strcmp(x->key, y->key)) != 0)
		return c;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

static int plan__cmp_finding(const void *a, const void *b)
{
	const plan_finding *x = a, *y = b;
	int c;

	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	if ((c = strcmp(x->address, y->address)) != 0)
		return c;
	return strcmp(x->message, y->message);
}

static int plan__cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

void plan__summarise(plan *p)
{
	plan_summary *s = &p->summary;

	memset(s, 0, sizeof(*s));
	for (size_t i = 0; i < p->resource_count; i++) {
		switch (p->resources[i].action) {
		case PLAN_ACTION_CREATE: s->create++; break;
		case PLAN_ACTION_UPDATE: s->update++; break;
		case PLAN_ACTION_DELETE: s->delete_++; break;
		case PLAN_ACTION_BLOCKED: s->blocked++; break;
		default: s->noop++; break;
		}
	}
	s->steps = p->step_count;
	for (size_t i = 0; i < p->step_count; i++) {
		const plan_step *st = &p->steps[i];
		unsigned flags = plan_step_kind_flags(st->kind);

		if (st->blocked_reason)
			s->blocked_steps++;
		if (flags & PLAN_KIND_WAIT)
			s->waits++;
		if (flags & PLAN_KIND_UNLINK)
			s->unlinks++;
		if (flags & PLAN_KIND_DELETE)
			s->deletes++;
	}
}

/* Resources by address; steps' resource indexes remapped. */
static int plan__sort_resources(plan *p)
{
	size_t n = p->resource_count, count = n;
	plan__order *ord = NULL;
	size_t *map = NULL;
	plan_resource *res = NULL;
	int error = 0;

	if (!n)
		return 0;
	if ((ord = calloc(n, sizeof(*ord))) == NULL || (map = calloc(n, sizeof(*map))) == NULL ||
	    (res = calloc(n, sizeof(*res))) == NULL) {
		error = cmk_error_oom();
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		ord[i] = (plan__order){ i, p->resources[i].address, 0, 0 };
	qsort(ord, n, sizeof(*ord), plan__cmp_order);
	for (size_t i = 0; i < n; i++) {
		res[i] = p->resources[ord[i].index];
		map[ord[i].index] = i;
	}
	free(p->resources);
	p->resources = res;
	p->resources_cap_ = n;
	res = NULL;
	/* the address set indexes the old order: rebuild it */
	free(p->addr_slots_);
	p->addr_slots_ = NULL;
	p->addr_cap_ = 0;
	for (size_t i = 0; i < count && error == 0; i++) {
		p->resource_count = i; /* plan__addr_insert sizes for count + 1 */
		error = plan__addr_insert(p, i);
	}
	p->resource_count = count;
	if (error < 0)
		goto out;
	for (size_t i = 0; i < p->step_count; i++)
		p->steps[i].resource = map[p->steps[i].resource];
out:
	free(ord);
	free(map);
	free(res);
	return error;
}

/* Steps by phase, resource address, kind; dependencies remapped and sorted. */
static int plan__sort_steps(plan *p)
{
	size_t n = p->step_count;
	plan__order *ord = NULL;
	size_t *map = NULL;
	plan_step *steps = NULL;
	int error = 0;

	if (!n)
		return 0;
	if ((ord = calloc(n, sizeof(*ord))) == NULL || (map = calloc(n, sizeof(*map))) == NULL ||
	    (steps = calloc(n, sizeof(*steps))) == NULL) {
		error = cmk_error_oom();
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		ord[i] = (plan__order){ i, p->resources[p->steps[i].resource].address, p->steps[i].phase,
					(int)p->steps[i].kind };
	qsort(ord, n, sizeof(*ord), plan__cmp_order);
	for (size_t i = 0; i < n; i++) {
		steps[i] = p->steps[ord[i].index];
		map[ord[i].index] = i;
	}
	free(p->steps);
	p->steps = steps;
	p->steps_cap_ = n;
	steps = NULL;
	for (size_t i = 0; i < n; i++) {
		plan_step *s = &p->steps[i];

		for (size_t j = 0; j < s->dep_count; j++) {
			s->depends_on[j] = map[s->depends_on[j]];
			if (s->depends_on[j] >= i) { /* the phases are wrong: a bug here */
				error = cmk_error_set(CMK_ERROR, "internal: step %s depends on a later step", s->id);
				goto out;
			}
		}
		if (s->dep_count > 1)
			qsort(s->depends_on, s->dep_count, sizeof(size_t), plan__cmp_size);
	}
out:
	free(ord);
	free(map);
	free(steps);
	return error;
}

/* A step waiting on a blocked step cannot run either. */
static int plan__propagate_blocks(plan *p)
{
	int error;

	for (size_t i = 0; i < p->step_count; i++) {
		plan_step *s = &p->steps[i];

		for (size_t j = 0; j < s->dep_count && !s->blocked_reason; j++) {
			const plan_step *d = &p->steps[s->depends_on[j]];

			if (d->blocked_reason &&
			    (s->blocked_reason = plan__fmt("waits on blocked step %s", d->id)) == NULL)
				return cmk_error_oom();
		}
		if (s->blocked_reason) {
			plan_resource *r = &p->resources[s->resource];
			bool inherited = strncmp(s->blocked_reason, "waits on blocked step", 21) == 0;

			/* the resource says why too (JSON readers look there first);
			 * an inherited block only when it is the resource's only one */
			if ((!inherited || r->action != PLAN_ACTION_BLOCKED) &&
			    (error = plan__add_reason(p, s->resource, "blocked: %s", s->blocked_reason)) < 0)
				return error;
			r->action = PLAN_ACTION_BLOCKED;
		}
	}
	return 0;
}

/* Touched ids sorted, each once. */
static void plan__sort_touched(plan *p)
{
	size_t w = 1;

	if (!p->touched_count)
		return;
	qsort(p->touched, p->touched_count, sizeof(char *), plan__cmp_str);
	for (size_t i = 1; i < p->touched_count; i++) {
		if (strcmp(p->touched[i], p->touched[w - 1]) == 0)
			free(p->touched[i]);
		else
			p->touched[w++] = p->touched[i];
	}
	p->touched_count = w;
}

int plan__finish(plan *p)
{
	int error;

	if ((error = plan__sort_resources(p)) < 0 || (error = plan__sort_steps(p)) < 0 ||
	    (error = plan__propagate_blocks(p)) < 0)
		return error;
	if (p->finding_count)
		qsort(p->findings, p->finding_count, sizeof(plan_finding), plan__cmp_finding);
	plan__sort_touched(p);
	plan__summarise(p);
	return 0;
}
