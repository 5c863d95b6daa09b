/*
 * plan_json.c - the plan's JSON form, saved plans (write 0600, strict
 * loader for untrusted files) and the live-state fingerprint that makes a
 * saved plan refuse to run against a changed Azure (see plan.h).
 *
 * cJSON ownership: every cJSON built here belongs to the tree it is added
 * to; only roots are deleted, once, at the function's out: label.
 */
#include "planner/plan.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <openssl/evp.h>

#include "common/buf.h"
#include "common/input_file.h"
#include "planner/plan_internal.h"

/* ---- writing ------------------------------------------------------------- */

static cJSON *plan__json_str(const char *s)
{
	return s ? cJSON_CreateString(s) : cJSON_CreateNull();
}

/* Add and check: cJSON reports allocation failure only by a NULL item. */
#define ADD(obj, name, item)                                         \
	do {                                                         \
		cJSON *it__ = (item);                                \
		if (!it__ || !cJSON_AddItemToObject(obj, name, it__)) { \
			cJSON_Delete(it__);                          \
			goto oom;                                    \
		}                                                    \
	} while (0)
#define PUSH(arr, item)                                      \
	do {                                                 \
		cJSON *it__ = (item);                        \
		if (!it__ || !cJSON_AddItemToArray(arr, it__)) { \
			cJSON_Delete(it__);                  \
			goto oom;                            \
		}                                            \
	} while (0)

/* One object per part: the tree form (plan_to_json) and the streamed form
 * (plan_write_json) are built from these, so they cannot disagree. */
static cJSON *plan__summary_json(const plan *p)
{
	const plan_summary *s = &p->summary;
	cJSON *o = cJSON_CreateObject();

	if (!o)
		return NULL;
	ADD(o, "create", cJSON_CreateNumber((double)s->create));
	ADD(o, "update", cJSON_CreateNumber((double)s->update));
	ADD(o, "delete", cJSON_CreateNumber((double)s->delete_));
	ADD(o, "noop", cJSON_CreateNumber((double)s->noop));
	ADD(o, "blocked", cJSON_CreateNumber((double)s->blocked));
	ADD(o, "steps", cJSON_CreateNumber((double)s->steps));
	ADD(o, "blocked_steps", cJSON_CreateNumber((double)s->blocked_steps));
	ADD(o, "waits", cJSON_CreateNumber((double)s->waits));
	ADD(o, "unlinks", cJSON_CreateNumber((double)s->unlinks));
	ADD(o, "deletes", cJSON_CreateNumber((double)s->deletes));
	ADD(o, "findings", cJSON_CreateNumber((double)p->finding_count));
	return o;
oom:
	cJSON_Delete(o);
	return NULL;
}

static cJSON *plan__resource_json(const plan_resource *r)
{
	cJSON *item = cJSON_CreateObject(), *sub;

	if (!item)
		return NULL;
	ADD(item, "address", cJSON_CreateString(r->address));
	ADD(item, "id", plan__json_str(r->id));
	ADD(item, "action", cJSON_CreateString(plan_action_name(r->action)));
	if ((sub = cJSON_AddArrayToObject(item, "changes")) == NULL)
		goto oom;
	for (size_t j = 0; j < r->change_count; j++) {
		cJSON *ch;

		PUSH(sub, ch = cJSON_CreateObject());
		ADD(ch, "field", cJSON_CreateString(r->changes[j].field));
		ADD(ch, "before", plan__json_str(r->changes[j].before));
		ADD(ch, "after", plan__json_str(r->changes[j].after));
	}
	if ((sub = cJSON_AddArrayToObject(item, "reasons")) == NULL)
		goto oom;
	for (size_t j = 0; j < r->reason_count; j++)
		PUSH(sub, cJSON_CreateString(r->reasons[j]));
	return item;
oom:
	cJSON_Delete(item);
	return NULL;
}

/* A param as the JSON form shows it: always a string (plan_param_text). */
static cJSON *plan__param_json(const plan_param *pp)
{
	char *text = NULL;
	cJSON *item;

	if (pp->type == PLAN_PARAM_STR)
		return cJSON_CreateString(pp->str);
	if (plan_param_text(&text, pp) < 0)
		return NULL;
	item = cJSON_CreateString(text);
	free(text);
	return item;
}

static cJSON *plan__step_json(const plan *p, const plan_step *st)
{
	cJSON *item = cJSON_CreateObject(), *sub;

	if (!item)
		return NULL;
	ADD(item, "id", cJSON_CreateString(st->id));
	ADD(item, "kind", cJSON_CreateString(plan_step_kind_name(st->kind)));
	ADD(item, "resource", cJSON_CreateString(p->resources[st->resource].address));
	ADD(item, "target", plan__json_str(st->target));
	ADD(item, "lock", plan__json_str(st->lock));
	ADD(item, "description", cJSON_CreateString(st->description));
	if ((sub = cJSON_AddArrayToObject(item, "depends_on")) == NULL)
		goto oom;
	for (size_t j = 0; j < st->dep_count; j++)
		PUSH(sub, cJSON_CreateString(p->steps[st->depends_on[j]].id));
	if (st->blocked_reason)
		ADD(item, "blocked_reason", cJSON_CreateString(st->blocked_reason));
	if ((sub = cJSON_AddObjectToObject(item, "params")) == NULL)
		goto oom;
	for (size_t j = 0; j < st->param_count; j++)
		ADD(sub, st->params[j].name, plan__param_json(&st->params[j]));
	return item;
oom:
	cJSON_Delete(item);
	return NULL;
}

/* The plan_options a plan was built with: what apply needs to rebuild it. */
static cJSON *plan__options_json(const plan *p)
{
	cJSON *item = cJSON_CreateObject();

	if (!item)
		return NULL;
	ADD(item, "allow_destroy", cJSON_CreateBool(p->allow_destroy));
	ADD(item, "allow_unlink", cJSON_CreateBool(p->allow_unlink));
	ADD(item, "no_grant", cJSON_CreateBool(p->no_grant));
	return item;
oom:
	cJSON_Delete(item);
	return NULL;
}

static cJSON *plan__finding_json(const plan_finding *f)
{
	cJSON *item = cJSON_CreateObject();

	if (!item)
		return NULL;
	ADD(item, "kind", cJSON_CreateString(plan_finding_kind_name(f->kind)));
	ADD(item, "address", cJSON_CreateString(f->address));
	ADD(item, "message", cJSON_CreateString(f->message));
	return item;
oom:
	cJSON_Delete(item);
	return NULL;
}

int plan_to_json(cJSON **out, const plan *p, bool saved)
{
	cJSON *root = cJSON_CreateObject(), *arr;

	if (!root)
		goto oom;
	ADD(root, "format_version", cJSON_CreateNumber(PLAN_FORMAT_VERSION));
	ADD(root, "now", plan__json_str(p->now));
	ADD(root, "source", p->source ? cJSON_Duplicate(p->source, 1) : cJSON_CreateNull());
	ADD(root, "summary", plan__summary_json(p));
	if ((arr = cJSON_AddArrayToObject(root, "resources")) == NULL)
		goto oom;
	for (size_t i = 0; i < p->resource_count; i++)
		PUSH(arr, plan__resource_json(&p->resources[i]));
	if ((arr = cJSON_AddArrayToObject(root, "steps")) == NULL)
		goto oom;
	for (size_t i = 0; i < p->step_count; i++)
		PUSH(arr, plan__step_json(p, &p->steps[i]));
	if ((arr = cJSON_AddArrayToObject(root, "findings")) == NULL)
		goto oom;
	for (size_t i = 0; i < p->finding_count; i++)
		PUSH(arr, plan__finding_json(&p->findings[i]));
	if (saved) {
		if ((arr = cJSON_AddArrayToObject(root, "touched")) == NULL)
			goto oom;
		for (size_t i = 0; i < p->touched_count; i++)
			PUSH(arr, cJSON_CreateString(p->touched[i]));
		ADD(root, "fingerprint", plan__json_str(p->fingerprint));
		ADD(root, "options", plan__options_json(p));
		ADD(root, "steps_fingerprint", plan__json_str(p->steps_fingerprint));
		if (p->signature)
			ADD(root, "signature", cJSON_CreateString(p->signature));
	}
	*out = root;
	return 0;
oom:
	cJSON_Delete(root);
	return cmk_error_oom();
}

/* Append `item` compactly and delete it (NULL: allocation failed). */
static int plan__put_json(cmk_buf *b, cJSON *item)
{
	char *text;
	int error;

	if (!item)
		return cmk_error_oom();
	text = cJSON_PrintUnformatted(item);
	cJSON_Delete(item);
	if (!text)
		return cmk_error_oom();
	error = cmk_buf_puts(b, text);
	free(text);
	return error;
}

int plan_write_json(cmk_buf *b, const plan *p, bool saved)
{
	int error;

#define SECTION(name, count, make)                                                          \
	do {                                                                                \
		if ((error = cmk_buf_puts(b, ",\n\"" name "\":[")) < 0)                       \
			return error;                                                       \
		for (size_t i = 0; i < (count); i++)                                        \
			if ((error = cmk_buf_puts(b, i ? ",\n" : "\n")) < 0 ||                  \
			    (error = plan__put_json(b, (make))) < 0)                        \
				return error;                                               \
		if ((error = cmk_buf_puts(b, (count) ? "\n]" : "]")) < 0)                  \
			return error;                                                       \
	} while (0)

	if ((error = cmk_buf_printf(b, "{\"format_version\":%d,\"now\":", PLAN_FORMAT_VERSION)) < 0 ||
	    (error = plan__put_json(b, plan__json_str(p->now))) < 0 ||
	    (error = cmk_buf_puts(b, ",\"source\":")) < 0 ||
	    (error = plan__put_json(b, p->source ? cJSON_Duplicate(p->source, 1) : cJSON_CreateNull())) < 0 ||
	    (error = cmk_buf_puts(b, ",\n\"summary\":")) < 0 ||
	    (error = plan__put_json(b, plan__summary_json(p))) < 0)
		return error;
	SECTION("resources", p->resource_count, plan__resource_json(&p->resources[i]));
	SECTION("steps", p->step_count, plan__step_json(p, &p->steps[i]));
	SECTION("findings", p->finding_count, plan__finding_json(&p->findings[i]));
	if (saved) {
		SECTION("touched", p->touched_count, cJSON_CreateString(p->touched[i]));
		if ((error = cmk_buf_puts(b, ",\n\"fingerprint\":")) < 0 ||
		    (error = plan__put_json(b, plan__json_str(p->fingerprint))) < 0 ||
		    (error = cmk_buf_puts(b, ",\n\"options\":")) < 0 ||
		    (error = plan__put_json(b, plan__options_json(p))) < 0 ||
		    (error = cmk_buf_puts(b, ",\n\"steps_fingerprint\":")) < 0 ||
		    (error = plan__put_json(b, plan__json_str(p->steps_fingerprint))) < 0)
			return error;
		if (p->signature && ((error = cmk_buf_puts(b, ",\n\"signature\":")) < 0 ||
				     (error = plan__put_json(b, cJSON_CreateString(p->signature))) < 0))
			return error;
	}
#undef SECTION
	return cmk_buf_puts(b, "}\n");
}

/* ---- fingerprint ----------------------------------------------------------- */

static int plan__cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Lower-case, without trailing slashes, into a new string. */
static char *plan__canon_id(const char *id)
{
	char *s = strdup(id ? id : "");
	size_t n;

	if (!s)
		return NULL;
	n = strlen(s);
	while (n > 1 && s[n - 1] == '/')
		s[--n] = '\0';
	for (char *c = s; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
	return s;
}

static bool plan__touched_has(char *const *touched, size_t n, const char *canon)
{
	return n && bsearch(&canon, touched, n, sizeof(char *), plan__cmp_str) != NULL;
}

/* The id a live element is known by in `touched` (new string), or NULL
 * (allocation failure). */
static char *plan__elem_key(const char *collection, const cJSON *e)
{
	const char *a, *b;
	char *raw, *canon;

#define S(name) (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(e, name)) ? \
		 cJSON_GetObjectItemCaseSensitive(e, name)->valuestring : "")
	if (strcmp(collection, "keys") == 0) {
		a = S("vaultId");
		b = S("name");
		raw = plan__fmt("%s/keys/%s", a, b);
	} else if (strcmp(collection, "linkedStorageAccounts") == 0) {
		a = S("workspaceId");
		b = S("dataSourceType");
		raw = plan__fmt("%s/linkedStorageAccounts/%s", a, b);
	} else if (strcmp(collection, "subscriptions") == 0) {
		raw = plan__fmt("/subscriptions/%s", S("id"));
	} else if (strcmp(collection, "roleAssignments") == 0) {
		raw = strdup(S("scope"));
	} else {
		raw = strdup(S("id"));
	}
#undef S
	if (!raw)
		return NULL;
	canon = plan__canon_id(raw);
	free(raw);
	return canon;
}

typedef struct {
	char *key;
	cJSON *item;
} plan__keyed;

static int plan__cmp_keyed(const void *a, const void *b)
{
	const plan__keyed *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	if (c)
		return c;
	/* equal keys (role assignments on one scope): order by content */
	{
		char *sx = cJSON_PrintUnformatted(x->item), *sy = cJSON_PrintUnformatted(y->item);

		c = sx && sy ? strcmp(sx, sy) : 0;
		free(sx);
		free(sy);
	}
	return c;
}

/* Whether a role assignment scope is a touched id or a parent of one. */
static bool plan__scope_touches(char *const *touched, size_t n, const char *scope)
{
	size_t len = strlen(scope);

	if (!len)
		return false;
	for (size_t i = 0; i < n; i++)
		if (strncmp(touched[i], scope, len) == 0 && (touched[i][len] == '\0' || touched[i][len] == '/'))
			return true;
	return false;
}

int plan_fingerprint(char out[65], const live_state *live, char *const *touched, size_t touched_count)
{
	cJSON *all = NULL, *canon = NULL, *col;
	char *text = NULL;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	int error;

	if ((error = live_state_to_json(&all, live)) < 0)
		return error;
	if ((canon = cJSON_CreateObject()) == NULL)
		goto oom;
	cJSON_ArrayForEach(col, all) {
		plan__keyed *keyed = NULL;
		size_t n = 0, cap = (size_t)cJSON_GetArraySize(col);
		cJSON *e, *arr;
		bool ok = true;

		if (!cJSON_IsArray(col))
			continue;
		if (strcmp(col->string, "softDeletedClusters") == 0) {
			ADD(canon, col->string, cJSON_Duplicate(col, 1));
			continue;
		}
		if (cap && (keyed = calloc(cap, sizeof(*keyed))) == NULL)
			goto oom;
		for (e = col->child; e; ) {
			cJSON *next = e->next;
			char *key = plan__elem_key(col->string, e);

			if (!key) {
				ok = false;
				break;
			}
			/* moved, not copied: the full live JSON can be large */
			if (strcmp(col->string, "roleAssignments") == 0
				    ? plan__scope_touches(touched, touched_count, key)
				    : plan__touched_has(touched, touched_count, key))
				keyed[n++] = (plan__keyed){ key, cJSON_DetachItemViaPointer(col, e) };
			else
				free(key);
			e = next;
		}
		if (ok && n)
			qsort(keyed, n, sizeof(*keyed), plan__cmp_keyed);
		arr = ok ? cJSON_CreateArray() : NULL;
		for (size_t i = 0; i < n; i++) {
			if (arr && !cJSON_AddItemToArray(arr, keyed[i].item)) {
				cJSON_Delete(arr);
				arr = NULL;
			}
			if (!arr)
				cJSON_Delete(keyed[i].item);
			keyed[i].item = NULL;
		}
		for (size_t i = 0; i < n; i++)
			free(keyed[i].key);
		free(keyed);
		if (!arr)
			goto oom;
		ADD(canon, col->string, arr);
	}
	if ((text = cJSON_PrintUnformatted(canon)) == NULL)
		goto oom;
	if (EVP_Digest(text, strlen(text), md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32) {
		error = cmk_error_set(CMK_ERROR, "SHA-256 failed");
		goto out;
	}
	for (unsigned i = 0; i < mdlen; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	error = 0;
	goto out;
oom:
	error = cmk_error_oom();
out:
	free(text);
	cJSON_Delete(canon);
	cJSON_Delete(all);
	return error;
}

/* SHA-256 of each piece in turn, as lower-case hex into out. */
static int plan__digest_add(EVP_MD_CTX *md, cJSON *piece)
{
	char *text = piece ? cJSON_PrintUnformatted(piece) : NULL;
	int ok = text && EVP_DigestUpdate(md, text, strlen(text)) == 1 && EVP_DigestUpdate(md, "\n", 1) == 1;

	free(text);
	cJSON_Delete(piece);
	return ok ? 0 : cmk_error_set(CMK_ERROR, "steps fingerprint: out of memory or SHA-256 failed");
}

int plan_steps_fingerprint(char out[65], const plan *p)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	int error = 0;

	if (!md || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(md);
		return cmk_error_set(CMK_ERROR, "SHA-256 failed");
	}
	/* one step at a time: the canonical JSON of 10,000 steps need not exist at once */
	if ((error = plan__digest_add(md, plan__json_str(p->now))) == 0)
		error = plan__digest_add(md, plan__options_json(p));
	for (size_t i = 0; error == 0 && i < p->step_count; i++)
		error = plan__digest_add(md, plan__step_json(p, &p->steps[i]));
	if (error == 0 && (EVP_DigestFinal_ex(md, digest, &len) != 1 || len != 32))
		error = cmk_error_set(CMK_ERROR, "SHA-256 failed");
	for (unsigned i = 0; error == 0 && i < len; i++)
		snprintf(out + 2 * i, 3, "%02x", digest[i]);
	EVP_MD_CTX_free(md);
	return error;
}

int plan_fingerprint_set(plan *p, const live_state *live)
{
	char fp[65], steps_fp[65];
	int error;

	if ((error = plan_fingerprint(fp, live, p->touched, p->touched_count)) < 0 ||
	    (error = plan_steps_fingerprint(steps_fp, p)) < 0)
		return error;
	free(p->fingerprint);
	free(p->steps_fingerprint);
	p->steps_fingerprint = NULL;
	if ((p->fingerprint = strdup(fp)) == NULL || (p->steps_fingerprint = strdup(steps_fp)) == NULL)
		return cmk_error_oom();
	return 0;
}

int plan_check_fresh(const plan *p, const live_state *live)
{
	char fp[65];
	int error;

	if (!p->fingerprint)
		return cmk_error_set(CMK_EINVALID, "the plan has no live-state fingerprint: save it with 'plan --out'");
	if ((error = plan_fingerprint(fp, live, p->touched, p->touched_count)) < 0)
		return error;
	if (strcmp(fp, p->fingerprint) != 0)
		return cmk_error_set(CMK_ECONFLICT,
				     "the plan is stale: the Azure resources it was made from changed since %s "
				     "(fingerprint %.12s…, now %.12s…); run 'cmkctl plan' again and review the new plan",
				     p->now ? p->now : "it was made", p->fingerprint, fp);
	return 0;
}

/* ---- saving -------------------------------------------------------------- */

int plan_save(const plan *p, const char *path)
{
	cmk_buf text = CMK_BUF_INIT;
	int fd = -1, error;
	size_t off = 0;

	if (!p->fingerprint)
		return cmk_error_set(CMK_EINVALID, "internal: a saved plan needs its fingerprint");
	cmk_buf_init(&text, PLAN_MAX_FILE_SIZE);
	if ((error = plan_write_json(&text, p, true)) < 0)
		goto out;
	/* 0600 from the start: a plan names resources and principals */
	(void)unlink(path);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0) {
		error = cmk_error_set(CMK_ERROR, "cannot write plan to '%s': %s", path, strerror(errno));
		goto out;
	}
	while (off < text.len) {
		ssize_t w = write(fd, text.ptr + off, text.len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			error = cmk_error_set(CMK_ERROR, "cannot write plan to '%s': %s", path, strerror(errno));
			goto out;
		}
		off += (size_t)w;
	}
	if (fsync(fd) < 0) {
		error = cmk_error_set(CMK_ERROR, "cannot write plan to '%s': %s", path, strerror(errno));
		goto out;
	}
	error = 0;
out:
	if (fd >= 0 && close(fd) < 0 && error == 0)
		error = cmk_error_set(CMK_ERROR, "cannot write plan to '%s': %s", path, strerror(errno));
	cmk_buf_free(&text);
	return error;
}

/* ---- loading (untrusted) ----------------------------------------------------- */

static int plan__bad(const char *path, const char *what)
{
	return cmk_error_set(CMK_EINVALID, "saved plan: %s: %s", path, what);
}

/* Every member of `obj` must be one of `allowed` (NULL-terminated). */
static int plan__only(const cJSON *obj, const char *path, const char *const *allowed)
{
	const cJSON *it;

	if (!cJSON_IsObject(obj))
		return plan__bad(path, "expected an object");
	cJSON_ArrayForEach(it, obj) {
		const char *const *a = allowed;

		while (*a && strcmp(*a, it->string) != 0)
			a++;
		if (!*a) {
			char msg[160];

			snprintf(msg, sizeof(msg), "unknown field '%.100s'", it->string);
			return plan__bad(path, msg);
		}
	}
	return 0;
}

/* A string member (or null when `nullable`), copied into *out. */
static int plan__get_str(char **out, const cJSON *obj, const char *name, const char *path, bool nullable)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, name);
	char where[256];

	*out = NULL;
	snprintf(where, sizeof(where), "%s.%s", path, name);
	if (!it || cJSON_IsNull(it)) {
		if (nullable)
			return 0;
		return plan__bad(where, "missing");
	}
	if (!cJSON_IsString(it))
		return plan__bad(where, "expected a string");
	if (strlen(it->valuestring) > PLAN_MAX_STRING)
		return plan__bad(where, "string too long");
	if ((*out = strdup(it->valuestring)) == NULL)
		return cmk_error_oom();
	return 0;
}

static int plan__get_array(const cJSON **out, const cJSON *obj, const char *name, const char *path)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, name);
	char where[256];

	snprintf(where, sizeof(where), "%s.%s", path, name);
	if (!cJSON_IsArray(it))
		return plan__bad(where, it ? "expected an array" : "missing");
	if (cJSON_GetArraySize(it) > PLAN_MAX_ITEMS)
		return plan__bad(where, "too many items");
	*out = it;
	return 0;
}

typedef struct {
	const char *id;
	size_t index;
} plan__id_index;

static int plan__cmp_id_index(const void *a, const void *b)
{
	return strcmp(((const plan__id_index *)a)->id, ((const plan__id_index *)b)->id);
}

static size_t plan__find_id(const plan__id_index *idx, size_t n, const char *id)
{
	plan__id_index key = { id, 0 }, *hit;

	hit = n ? bsearch(&key, idx, n, sizeof(*idx), plan__cmp_id_index) : NULL;
	return hit ? hit->index : PLAN_NONE;
}

static int plan__load_resources(plan *p, const cJSON *arr)
{
	static const char *const res_keys[] = { "address", "id", "action", "changes", "reasons", NULL };
	static const char *const ch_keys[] = { "field", "before", "after", NULL };
	const cJSON *r;
	char path[96];
	size_t i = 0;
	int error;

	cJSON_ArrayForEach(r, arr) {
		char *address = NULL, *id = NULL, *action = NULL;
		const cJSON *changes, *reasons, *x;
		size_t res;
		plan_action act;

		snprintf(path, sizeof(path), "resources[%zu]", i++);
		if ((error = plan__only(r, path, res_keys)) < 0 ||
		    (error = plan__get_str(&address, r, "address", path, false)) < 0 ||
		    (error = plan__get_str(&id, r, "id", path, true)) < 0 ||
		    (error = plan__get_str(&action, r, "action", path, false)) < 0)
			goto next;
		if (plan_action_from_name(&act, action) < 0) {
			error = plan__bad(path, "unknown action");
			goto next;
		}
		if (plan__addr_taken(p, address)) {
			error = plan__bad(path, "duplicate address");
			goto next;
		}
		if ((error = plan__get_array(&changes, r, "changes", path)) < 0 ||
		    (error = plan__get_array(&reasons, r, "reasons", path)) < 0 ||
		    (error = plan__add_resource(&res, p, address, id)) < 0)
			goto next;
		p->resources[res].action = act;
		cJSON_ArrayForEach(x, changes) {
			char *f = NULL, *b = NULL, *a = NULL;

			if ((error = plan__only(x, path, ch_keys)) == 0 &&
			    (error = plan__get_str(&f, x, "field", path, false)) == 0 &&
			    (error = plan__get_str(&b, x, "before", path, true)) == 0 &&
			    (error = plan__get_str(&a, x, "after", path, true)) == 0)
				error = plan__add_change(p, res, f, b, a);
			free(f);
			free(b);
			free(a);
			if (error < 0)
				goto next;
		}
		cJSON_ArrayForEach(x, reasons) {
			if (!cJSON_IsString(x) || strlen(x->valuestring) > PLAN_MAX_STRING) {
				error = plan__bad(path, "reasons: expected strings");
				goto next;
			}
			if ((error = plan__add_reason(p, res, "%s", x->valuestring)) < 0)
				goto next;
		}
next:
		free(address);
		free(id);
		free(action);
		if (error < 0)
			return error;
	}
	return 0;
}

/* A step's params, each parsed per the type its kind declares. */
static int plan__load_params(plan *p, size_t st, const cJSON *params, const char *path)
{
	const cJSON *x;
	char where[256];
	int error;

	cJSON_ArrayForEach(x, params) {
		if (!cJSON_IsString(x) || strlen(x->valuestring) > PLAN_MAX_STRING * 8)
			return plan__bad(path, "params: expected string values");
		snprintf(where, sizeof(where), "%s.params.%.64s", path, x->string);
		if ((error = plan__add_param_text(p, st, x->string, x->valuestring)) == CMK_ENOTFOUND)
			return plan__bad(where, "not a param of this step kind");
		if (error == CMK_EINVALID) {
			char what[128];

			snprintf(what, sizeof(what), "%s", cmk_error_last());
			return plan__bad(where, what);
		}
		if (error < 0)
			return error;
	}
	return 0;
}

static int plan__load_steps(plan *p, const cJSON *arr)
{
	static const char *const step_keys[] = { "id", "kind", "resource", "target", "lock", "description",
						 "depends_on", "blocked_reason", "params", NULL };
	plan__id_index *res_idx = NULL, *step_idx = NULL;
	size_t nsteps = (size_t)cJSON_GetArraySize(arr), i = 0;
	const cJSON *s;
	char path[96];
	int error = 0;

	if (p->resource_count && (res_idx = calloc(p->resource_count, sizeof(*res_idx))) == NULL)
		return cmk_error_oom();
	if (nsteps && (step_idx = calloc(nsteps, sizeof(*step_idx))) == NULL) {
		free(res_idx);
		return cmk_error_oom();
	}
	for (size_t r = 0; r < p->resource_count; r++)
		res_idx[r] = (plan__id_index){ p->resources[r].address, r };
	if (p->resource_count)
		qsort(res_idx, p->resource_count, sizeof(*res_idx), plan__cmp_id_index);
	for (size_t r = 1; r < p->resource_count; r++)
		if (strcmp(res_idx[r].id, res_idx[r - 1].id) == 0) {
			error = plan__bad("resources", "duplicate address");
			goto out;
		}

	cJSON_ArrayForEach(s, arr) {
		char *id = NULL, *kind = NULL, *resource = NULL, *target = NULL, *lock = NULL, *desc = NULL,
		     *blocked = NULL;
		const cJSON *deps, *params, *x;
		plan_step_kind k;
		size_t res, st, nidx = i;

		snprintf(path, sizeof(path), "steps[%zu]", i++);
		if ((error = plan__only(s, path, step_keys)) < 0 ||
		    (error = plan__get_str(&id, s, "id", path, false)) < 0 ||
		    (error = plan__get_str(&kind, s, "kind", path, false)) < 0 ||
		    (error = plan__get_str(&resource, s, "resource", path, false)) < 0 ||
		    (error = plan__get_str(&target, s, "target", path, true)) < 0 ||
		    (error = plan__get_str(&lock, s, "lock", path, true)) < 0 ||
		    (error = plan__get_str(&desc, s, "description", path, false)) < 0 ||
		    (error = plan__get_str(&blocked, s, "blocked_reason", path, true)) < 0 ||
		    (error = plan__get_array(&deps, s, "depends_on", path)) < 0)
			goto next;
		params = cJSON_GetObjectItemCaseSensitive(s, "params");
		if (!cJSON_IsObject(params)) {
			error = plan__bad(path, "params: expected an object");
			goto next;
		}
		if (plan_step_kind_from_name(&k, kind) < 0) {
			error = plan__bad(path, "unknown step kind");
			goto next;
		}
		if ((res = plan__find_id(res_idx, p->resource_count, resource)) == PLAN_NONE) {
			error = plan__bad(path, "resource names no resource of the plan");
			goto next;
		}
		if ((error = plan__add_step(&st, p, k, res, target, lock, "%s", desc)) < 0)
			goto next;
		free(p->steps[st].id); /* the saved id is authoritative */
		p->steps[st].id = id;
		id = NULL;
		p->steps[st].blocked_reason = blocked;
		blocked = NULL;
		cJSON_ArrayForEach(x, deps) {
			size_t d;

			if (!cJSON_IsString(x) ||
			    (d = plan__find_id(step_idx, nidx, x->valuestring)) == PLAN_NONE) {
				error = plan__bad(path, "depends_on: each entry must name an earlier step");
				goto next;
			}
			if ((error = plan__add_dep(p, st, d)) < 0)
				goto next;
		}
		if ((error = plan__load_params(p, st, params, path)) < 0)
			goto next;
		/* keep the index sorted for lookups of later steps (insertion: ids
		 * arrive mostly unsorted, so re-sort; n log n per step is too slow
		 * for big plans, hence the insertion below) */
		{
			plan__id_index e = { p->steps[st].id, st };
			size_t lo = 0, hi = nidx;

			while (lo < hi) {
				size_t mid = (lo + hi) / 2;

				if (strcmp(step_idx[mid].id, e.id) < 0)
					lo = mid + 1;
				else
					hi = mid;
			}
			if (lo < nidx && strcmp(step_idx[lo].id, e.id) == 0) {
				error = plan__bad(path, "duplicate step id");
				goto next;
			}
			memmove(&step_idx[lo + 1], &step_idx[lo], (nidx - lo) * sizeof(*step_idx));
			step_idx[lo] = e;
		}
next:
		free(id);
		free(kind);
		free(resource);
		free(target);
		free(lock);
		free(desc);
		free(blocked);
		if (error < 0)
			goto out;
	}
out:
	free(res_idx);
	free(step_idx);
	return error;
}

static bool plan__is_hex64(const char *s)
{
	return strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64;
}

/* "options" and "steps_fingerprint" (absent in plans saved before cmkctl
 * bound plans to their steps: apply refuses those, the loader reads them).
 * The steps must hash to the recorded fingerprint: an edit is caught here. */
static int plan__load_binding(plan *p, const cJSON *root)
{
	static const char *const option_keys[] = { "allow_destroy", "allow_unlink", "no_grant", NULL };
	const cJSON *opts = cJSON_GetObjectItemCaseSensitive(root, "options");
	bool *const flags[] = { &p->allow_destroy, &p->allow_unlink, &p->no_grant };
	char fp[65];
	int error;

	if (opts) {
		if (!cJSON_IsObject(opts))
			return plan__bad("plan.options", "expected an object");
		if ((error = plan__only(opts, "plan.options", option_keys)) < 0)
			return error;
		for (size_t i = 0; option_keys[i]; i++) {
			const cJSON *v = cJSON_GetObjectItemCaseSensitive(opts, option_keys[i]);

			if (!cJSON_IsBool(v))
				return plan__bad("plan.options", "expected allow_destroy, allow_unlink and no_grant as booleans");
			*flags[i] = cJSON_IsTrue(v);
		}
	}
	if ((error = plan__get_str(&p->steps_fingerprint, root, "steps_fingerprint", "plan", true)) < 0 ||
	    (error = plan__get_str(&p->signature, root, "signature", "plan", true)) < 0)
		return error;
	if (p->signature && !plan__is_hex64(p->signature))
		return plan__bad("plan.signature", "expected 64 lower-case hex digits");
	if (!p->steps_fingerprint)
		return 0;
	if (!opts || !plan__is_hex64(p->steps_fingerprint))
		return plan__bad("plan.steps_fingerprint", "expected 64 lower-case hex digits, with plan.options");
	if ((error = plan_steps_fingerprint(fp, p)) < 0)
		return error;
	if (strcmp(fp, p->steps_fingerprint) != 0)
		return cmk_error_set(CMK_EINVALID, "saved plan: its steps do not match its steps_fingerprint: the file "
				     "was changed after 'cmkctl plan --out'; make and review the plan again");
	return 0;
}

int plan_load_buffer(plan **out, const char *data, size_t len)
{
	static const char *const top_keys[] = { "format_version", "now", "source", "summary", "resources",
						"steps", "findings", "touched", "fingerprint",
						"options", "steps_fingerprint", "signature", NULL };
	static const char *const finding_keys[] = { "kind", "address", "message", NULL };
	cJSON *root = NULL;
	const cJSON *v, *arr = NULL, *x;
	plan *p = NULL;
	int error;
	size_t i = 0;

	*out = NULL;
	if (len > PLAN_MAX_FILE_SIZE)
		return cmk_error_set(CMK_EINVALID, "saved plan: larger than %zu bytes", PLAN_MAX_FILE_SIZE);
	if ((root = cJSON_ParseWithLength(data, len)) == NULL)
		return cmk_error_set(CMK_EINVALID, "saved plan: not valid JSON");
	if ((error = plan__only(root, "plan", top_keys)) < 0)
		goto out;
	v = cJSON_GetObjectItemCaseSensitive(root, "format_version");
	if (!cJSON_IsNumber(v) || v->valuedouble != PLAN_FORMAT_VERSION) {
		error = cmk_error_set(CMK_EINVALID, "saved plan: format_version must be %d (this cmkctl reads only it)",
				      PLAN_FORMAT_VERSION);
		goto out;
	}
	if ((error = plan__alloc(&p)) < 0 || (error = plan__get_str(&p->now, root, "now", "plan", true)) < 0 ||
	    (error = plan__get_str(&p->fingerprint, root, "fingerprint", "plan", false)) < 0)
		goto out;
	if (!plan__is_hex64(p->fingerprint)) {
		error = plan__bad("plan.fingerprint", "expected 64 lower-case hex digits");
		goto out;
	}
	v = cJSON_GetObjectItemCaseSensitive(root, "source");
	if (v && !cJSON_IsNull(v)) {
		if (!cJSON_IsObject(v)) {
			error = plan__bad("plan.source", "expected an object");
			goto out;
		}
		if ((error = plan_set_source(p, v)) < 0)
			goto out;
	}
	if ((error = plan__get_array(&arr, root, "resources", "plan")) < 0 ||
	    (error = plan__load_resources(p, arr)) < 0 ||
	    (error = plan__get_array(&arr, root, "steps", "plan")) < 0 ||
	    (error = plan__load_steps(p, arr)) < 0 ||
	    (error = plan__get_array(&arr, root, "findings", "plan")) < 0)
		goto out;
	cJSON_ArrayForEach(x, arr) {
		char *kind = NULL, *address = NULL, *message = NULL, path[64];
		plan_finding_kind fk;

		snprintf(path, sizeof(path), "findings[%zu]", i++);
		if ((error = plan__only(x, path, finding_keys)) == 0 &&
		    (error = plan__get_str(&kind, x, "kind", path, false)) == 0 &&
		    (error = plan__get_str(&address, x, "address", path, false)) == 0 &&
		    (error = plan__get_str(&message, x, "message", path, false)) == 0) {
			if (plan_finding_kind_from_name(&fk, kind) < 0)
				error = plan__bad(path, "unknown finding kind");
			else
				error = plan__add_finding(p, fk, address, "%s", message);
		}
		free(kind);
		free(address);
		free(message);
		if (error < 0)
			goto out;
	}
	if ((error = plan__get_array(&arr, root, "touched", "plan")) < 0)
		goto out;
	cJSON_ArrayForEach(x, arr) {
		if (!cJSON_IsString(x) || strlen(x->valuestring) > PLAN_MAX_STRING) {
			error = plan__bad("plan.touched", "expected strings");
			goto out;
		}
		if ((error = plan__touch(p, x->valuestring)) < 0)
			goto out;
	}
	/* touched must be the sorted, unique, canonical list the fingerprint used */
	for (size_t t = 1; t < p->touched_count; t++)
		if (strcmp(p->touched[t - 1], p->touched[t]) >= 0) {
			error = plan__bad("plan.touched", "not sorted and unique");
			goto out;
		}
	if ((error = plan__load_binding(p, root)) < 0)
		goto out;
	plan__summarise(p);
	*out = p;
	p = NULL;
out:
	plan_free(p);
	cJSON_Delete(root);
	return error;
}

int plan_load(plan **out, const char *path)
{
	cmk_buf b = CMK_BUF_INIT;
	int error;

	cmk_buf_init(&b, PLAN_MAX_FILE_SIZE);
	if ((error = cmk_input_read_file(&b, path)) < 0)
		goto out;
	error = plan_load_buffer(out, cmk_buf_cstr(&b), b.len);
out:
	cmk_buf_free(&b);
	return error;
}
