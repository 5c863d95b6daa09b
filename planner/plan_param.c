/*
 * plan_param.c - the step kind table's data (names, phases, flags, the
 * params each kind declares with their types) and typed step params: the
 * adders the planner uses, the accessors the executor uses, and the one
 * text form (what the JSON plan shows, and what a saved plan is parsed
 * back from). See plan.h.
 */
#include "planner/plan_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/buf.h"
#include "common/vec.h"

#define S PLAN_PARAM_STR
#define END { NULL, S }

/*
 * The params of each kind, in the order the planner adds them ("?" in a
 * comment: present only when it applies). The arrays are named after the
 * kind's token in PLAN_STEP_KINDS.
 */
static const plan_param_decl plan__params_cluster_wait[] = { END };   /* poll target until idle */
static const plan_param_decl plan__params_link_wait[] = { END };      /* the link state, idem */
static const plan_param_decl plan__params_identity_create[] = {
	{ "location", S }, { "tags", PLAN_PARAM_MAP }, END,
};
static const plan_param_decl plan__params_identity_update[] = {
	{ "location", S }, { "tags", PLAN_PARAM_MAP }, END,
};
/* tags include PLAN_TAG_*; keyVaultUri/keyName/keyVersion? for the key at
 * creation */
static const plan_param_decl plan__params_cluster_create[] = {
	{ "location", S }, { "skuName", S }, { "capacity", PLAN_PARAM_INT }, { "billingType", S },
	{ "clusterType", S }, { "identityType", S }, { "userAssignedIdentity", S },
	{ "isDoubleEncryptionEnabled", PLAN_PARAM_BOOL }, { "isAvailabilityZonesEnabled", PLAN_PARAM_BOOL },
	{ "tags", PLAN_PARAM_MAP }, { "keyVaultUri", S }, { "keyName", S }, { "keyVersion", S }, END,
};
static const plan_param_decl plan__params_kusto_identity[] = {
	{ "identityType", S }, { "userAssignedIdentity", S }, END,
};
/* mode "accessPolicy": tenantId, keyPermissions ("get,wrapKey,unwrapKey");
 * mode "rbac": roleDefinitionId, scope */
static const plan_param_decl plan__params_key_grant[] = {
	{ "vaultId", S }, { "principalId", S }, { "mode", S }, { "tenantId", S },
	{ "keyPermissions", S }, { "roleDefinitionId", S }, { "scope", S }, END,
};
static const plan_param_decl plan__params_cluster_key[] = {
	{ "keyVaultUri", S }, { "keyName", S }, { "keyVersion", S }, END,
};
static const plan_param_decl plan__params_cluster_update[] = {
	{ "capacity", PLAN_PARAM_INT }, { "billingType", S }, { "tags", PLAN_PARAM_MAP },
	{ "identityType", S }, { "userAssignedIdentity", S },
	{ "keyVaultUri", S }, { "keyName", S }, { "keyVersion", S }, END,
};
/* keyVersion "" = versionless */
static const plan_param_decl plan__params_kusto_key[] = {
	{ "keyVaultUri", S }, { "keyName", S }, { "keyVersion", S }, { "userIdentity", S }, END,
};
/* the cluster it leaves */
static const plan_param_decl plan__params_workspace_unlink[] = { { "clusterResourceId", S }, END };
/* verified by reading features.clusterResourceId back */
static const plan_param_decl plan__params_workspace_link[] = { { "clusterResourceId", S }, END };
static const plan_param_decl plan__params_storage_link[] = {
	{ "workspaceId", S }, { "dataSourceType", S }, { "storageAccountIds", PLAN_PARAM_LIST }, END,
};
static const plan_param_decl plan__params_component_link[] = { { "clusterDefinitionId", S }, END };
static const plan_param_decl plan__params_cluster_delete[] = { END };

#undef S
#undef END

typedef struct {
	const char *name;
	int phase;
	unsigned flags;
	const plan_param_decl *params;
} plan__kind_info;

static const plan__kind_info plan__kinds[PLAN_STEP__COUNT] = {
#define PLAN__KIND_INFO(id, tok, name, phase, flags, what) \
	[PLAN_STEP_##id] = { name, phase, flags, plan__params_##tok },
	PLAN_STEP_KINDS(PLAN__KIND_INFO)
#undef PLAN__KIND_INFO
};

const char *plan_step_kind_name(plan_step_kind k)
{
	return (unsigned)k < PLAN_STEP__COUNT ? plan__kinds[k].name : "?";
}

int plan_step_kind_from_name(plan_step_kind *out, const char *name)
{
	for (int i = 0; i < PLAN_STEP__COUNT; i++)
		if (strcmp(plan__kinds[i].name, name) == 0) {
			*out = (plan_step_kind)i;
			return 0;
		}
	return CMK_ENOTFOUND;
}

int plan_step_kind_phase(plan_step_kind k)
{
	return (unsigned)k < PLAN_STEP__COUNT ? plan__kinds[k].phase : 0;
}

unsigned plan_step_kind_flags(plan_step_kind k)
{
	return (unsigned)k < PLAN_STEP__COUNT ? plan__kinds[k].flags : 0;
}

const plan_param_decl *plan_step_kind_params(plan_step_kind k)
{
	static const plan_param_decl none[] = { { NULL, PLAN_PARAM_STR } };

	return (unsigned)k < PLAN_STEP__COUNT ? plan__kinds[k].params : none;
}

int plan_step_kind_param_type(plan_param_type *out, plan_step_kind k, const char *name)
{
	for (const plan_param_decl *d = plan_step_kind_params(k); d->name; d++)
		if (strcmp(d->name, name) == 0) {
			*out = d->type;
			return 0;
		}
	return CMK_ENOTFOUND;
}

/* ---- accessors ----------------------------------------------------------- */

const plan_param *plan_step_param_get(const plan_step *s, const char *name)
{
	for (size_t i = 0; i < s->param_count; i++)
		if (strcmp(s->params[i].name, name) == 0)
			return &s->params[i];
	return NULL;
}

static const plan_param *plan__typed(const plan_step *s, const char *name, plan_param_type type)
{
	const plan_param *pp = plan_step_param_get(s, name);

	return pp && pp->type == type ? pp : NULL;
}

const char *plan_step_param_str(const plan_step *s, const char *name)
{
	const plan_param *pp = plan__typed(s, name, PLAN_PARAM_STR);

	return pp ? pp->str : NULL;
}

const char *plan_step_param(const plan_step *s, const char *name)
{
	return plan_step_param_str(s, name);
}

bool plan_step_param_int(int64_t *out, const plan_step *s, const char *name)
{
	const plan_param *pp = plan__typed(s, name, PLAN_PARAM_INT);

	if (pp)
		*out = pp->num;
	return pp != NULL;
}

int plan_step_param_bool(const plan_step *s, const char *name)
{
	const plan_param *pp = plan__typed(s, name, PLAN_PARAM_BOOL);

	return pp ? pp->flag : -1;
}

char *const *plan_step_param_list(const plan_step *s, const char *name, size_t *count)
{
	const plan_param *pp = plan__typed(s, name, PLAN_PARAM_LIST);

	*count = pp ? pp->item_count : 0;
	if (!pp)
		return NULL;
	/* an empty list is present: never NULL */
	return pp->items ? pp->items : (char *const *)&pp->items;
}

const live_tags *plan_step_param_map(const plan_step *s, const char *name)
{
	const plan_param *pp = plan__typed(s, name, PLAN_PARAM_MAP);

	return pp ? &pp->map : NULL;
}

/* ---- the text form --------------------------------------------------------- */

static int plan__map_text(char **out, const live_tags *m)
{
	cJSON *o = cJSON_CreateObject();

	*out = NULL;
	if (!o)
		return cmk_error_oom();
	for (size_t i = 0; i < m->count; i++)
		if (!cJSON_AddStringToObject(o, m->items[i].key, m->items[i].value)) {
			cJSON_Delete(o);
			return cmk_error_oom();
		}
	*out = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return *out ? 0 : cmk_error_oom();
}

int plan_param_text(char **out, const plan_param *pp)
{
	cmk_buf b = CMK_BUF_INIT;

	switch (pp->type) {
	case PLAN_PARAM_INT:
		*out = plan__fmt("%lld", (long long)pp->num);
		break;
	case PLAN_PARAM_BOOL:
		*out = strdup(pp->flag ? "true" : "false");
		break;
	case PLAN_PARAM_LIST:
		for (size_t i = 0; i < pp->item_count; i++)
			if (cmk_buf_printf(&b, "%s%s", i ? ", " : "", pp->items[i]) < 0) {
				cmk_buf_free(&b);
				return cmk_error_oom();
			}
		*out = pp->item_count ? cmk_buf_detach(&b) : strdup("");
		break;
	case PLAN_PARAM_MAP:
		return plan__map_text(out, &pp->map);
	default:
		*out = strdup(pp->str ? pp->str : "");
		break;
	}
	return *out ? 0 : cmk_error_oom();
}

/* ---- adding -------------------------------------------------------------- */

void plan__param_free(plan_param *pp)
{
	free(pp->name);
	free(pp->str);
	for (size_t i = 0; i < pp->item_count; i++)
		free(pp->items[i]);
	free(pp->items);
	for (size_t i = 0; i < pp->map.count; i++) {
		free(pp->map.items[i].key);
		free(pp->map.items[i].value);
	}
	free(pp->map.items);
	memset(pp, 0, sizeof(*pp));
}

/* A new param slot on `step` named `name`, declared with `type` by its kind. */
static int plan__new_param(plan_param **out, plan *p, size_t step, const char *name, plan_param_type type)
{
	plan_step *s = &p->steps[step];
	plan_param_type declared;
	plan_param *n;

	if (plan_step_kind_param_type(&declared, s->kind, name) < 0 || declared != type)
		return cmk_error_set(CMK_ERROR, "internal: %s declares no %s param '%s'",
				     plan_step_kind_name(s->kind), type == PLAN_PARAM_STR ? "string" : "typed", name);
	/* counted now so plan_free releases it */
	if ((n = CMK_VEC_APPEND(s->params, s->param_count)) == NULL)
		return CMK_ENOMEM;
	n->type = type;
	if ((n->name = strdup(name)) == NULL)
		return cmk_error_oom();
	*out = n;
	return 0;
}

int plan__add_param_int(plan *p, size_t step, const char *name, int64_t value)
{
	plan_param *pp;
	int error = plan__new_param(&pp, p, step, name, PLAN_PARAM_INT);

	if (error == 0)
		pp->num = value;
	return error;
}

int plan__add_param_bool(plan *p, size_t step, const char *name, bool value)
{
	plan_param *pp;
	int error = plan__new_param(&pp, p, step, name, PLAN_PARAM_BOOL);

	if (error == 0)
		pp->flag = value;
	return error;
}

int plan__add_param_list(plan *p, size_t step, const char *name, const char *const *items, size_t n)
{
	plan_param *pp;
	int error;

	if ((error = plan__new_param(&pp, p, step, name, PLAN_PARAM_LIST)) < 0)
		return error;
	if (n && (pp->items = calloc(n, sizeof(char *))) == NULL)
		return cmk_error_oom();
	for (; pp->item_count < n; pp->item_count++)
		if ((pp->items[pp->item_count] = strdup(items[pp->item_count])) == NULL)
			return cmk_error_oom();
	return 0;
}

int plan__add_param_map(plan *p, size_t step, const char *name, const plan_pair *pairs, size_t n)
{
	plan_param *pp;
	int error;

	if ((error = plan__new_param(&pp, p, step, name, PLAN_PARAM_MAP)) < 0)
		return error;
	if (n && (pp->map.items = calloc(n, sizeof(live_tag))) == NULL)
		return cmk_error_oom();
	for (; pp->map.count < n; pp->map.count++) {
		live_tag *t = &pp->map.items[pp->map.count];

		t->key = strdup(pairs[pp->map.count].key);
		t->value = strdup(pairs[pp->map.count].value);
		if (!t->key || !t->value) {
			pp->map.count++;
			return cmk_error_oom();
		}
	}
	return 0;
}

/* ---- parsing the text form ------------------------------------------------ */

/* A list from "a, b, c" (items split at commas, blanks around them dropped). */
static int plan__add_list_text(plan *p, size_t step, const char *name, const char *text)
{
	const char **items = NULL;
	char *copy = strdup(text), *save = NULL;
	size_t n = 0;
	int error;

	if (!copy || (items = calloc(strlen(text) / 2 + 1, sizeof(*items))) == NULL) {
		free(copy);
		return cmk_error_oom();
	}
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		size_t len;

		while (*tok == ' ')
			tok++;
		for (len = strlen(tok); len && tok[len - 1] == ' '; len--)
			tok[len - 1] = '\0';
		if (len)
			items[n++] = tok;
	}
	error = plan__add_param_list(p, step, name, items, n);
	free(items);
	free(copy);
	return error;
}

/* A map from the text of a JSON object of strings. */
static int plan__add_map_text(plan *p, size_t step, const char *name, const char *text)
{
	cJSON *doc = cJSON_ParseWithOpts(text, NULL, 1), *it;
	plan_pair *pairs = NULL;
	size_t n = 0;
	int error;

	if (!cJSON_IsObject(doc)) {
		cJSON_Delete(doc);
		return cmk_error_set(CMK_EINVALID, "a JSON object of strings expected");
	}
	if ((pairs = calloc((size_t)cJSON_GetArraySize(doc) + 1, sizeof(*pairs))) == NULL) {
		cJSON_Delete(doc);
		return cmk_error_oom();
	}
	cJSON_ArrayForEach(it, doc) {
		if (!cJSON_IsString(it)) {
			error = cmk_error_set(CMK_EINVALID, "a JSON object of strings expected");
			goto out;
		}
		pairs[n++] = (plan_pair){ it->string, it->valuestring };
	}
	error = plan__add_param_map(p, step, name, pairs, n);
out:
	free(pairs);
	cJSON_Delete(doc);
	return error;
}

int plan__add_param_text(plan *p, size_t step, const char *name, const char *text)
{
	plan_param_type type;
	char *end = NULL;
	long long v;

	if (plan_step_kind_param_type(&type, p->steps[step].kind, name) < 0)
		return CMK_ENOTFOUND;
	switch (type) {
	case PLAN_PARAM_INT:
		errno = 0;
		v = strtoll(text, &end, 10);
		if (!*text || *end || errno || (*text != '-' && (*text < '0' || *text > '9')))
			return cmk_error_set(CMK_EINVALID, "an integer expected");
		return plan__add_param_int(p, step, name, v);
	case PLAN_PARAM_BOOL:
		if (strcmp(text, "true") != 0 && strcmp(text, "false") != 0)
			return cmk_error_set(CMK_EINVALID, "\"true\" or \"false\" expected");
		return plan__add_param_bool(p, step, name, text[0] == 't');
	case PLAN_PARAM_LIST:
		return plan__add_list_text(p, step, name, text);
	case PLAN_PARAM_MAP:
		return plan__add_map_text(p, step, name, text);
	default:
		return plan__add_param(p, step, name, text);
	}
}

int plan__add_param(plan *p, size_t step, const char *name, const char *value)
{
	plan_param *pp;
	int error;

	if ((error = plan__new_param(&pp, p, step, name, PLAN_PARAM_STR)) < 0)
		return error;
	if ((pp->str = strdup(value ? value : "")) == NULL)
		return cmk_error_oom();
	return 0;
}
