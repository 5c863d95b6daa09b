/*
 * adapter_util.c - tolerant ARM JSON reading, live-model appends and write
 * helpers shared by the resource adapters (see adapter_util.h).
 */
#include "providers/adapter_util.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/arm_id.h"
#include "common/time.h"

/* ---- reading ------------------------------------------------------------ */

const cJSON *adapter_get(const cJSON *obj, const char *name)
{
	const cJSON *m;

	if (!cJSON_IsObject(obj) || !name)
		return NULL;
	/* exact spelling first: the common case, and it wins over a twin */
	for (m = obj->child; m; m = m->next)
		if (m->string && strcmp(m->string, name) == 0)
			return m;
	for (m = obj->child; m; m = m->next)
		if (m->string && strcasecmp(m->string, name) == 0)
			return m;
	return NULL;
}

const cJSON *adapter_path(const cJSON *obj, const char *path)
{
	char step[128];
	const char *p = path, *dot;

	while (obj && p && *p) {
		size_t n;

		dot = strchr(p, '.');
		n = dot ? (size_t)(dot - p) : strlen(p);
		if (n >= sizeof(step))
			return NULL;
		memcpy(step, p, n);
		step[n] = '\0';
		obj = adapter_get(obj, step);
		p = dot ? dot + 1 : NULL;
	}
	return obj;
}

const char *adapter_str(const cJSON *obj, const char *path)
{
	const cJSON *v = adapter_path(obj, path);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

bool adapter_bool(const cJSON *obj, const char *path, bool dflt)
{
	const cJSON *v = adapter_path(obj, path);

	if (cJSON_IsBool(v))
		return cJSON_IsTrue(v);
	if (cJSON_IsString(v)) {
		if (strcasecmp(v->valuestring, "true") == 0)
			return true;
		if (strcasecmp(v->valuestring, "false") == 0)
			return false;
	}
	return dflt;
}

long long adapter_num(const cJSON *obj, const char *path, long long dflt)
{
	const cJSON *v = adapter_path(obj, path);
	char *end;
	long long n;

	if (cJSON_IsNumber(v))
		/* beyond long long (1e300, inf) is no usable number, like "lots" */
		return v->valuedouble >= -9.2e18 && v->valuedouble <= 9.2e18
			       ? (long long)v->valuedouble : dflt;
	if (cJSON_IsString(v) && v->valuestring[0]) {
		n = strtoll(v->valuestring, &end, 10);
		if (*end == '\0')
			return n;
	}
	return dflt;
}

int adapter_dup(char **out, const char *s)
{
	*out = NULL;
	if (!s)
		return 0;
	if ((*out = strdup(s)) == NULL)
		return cmk_error_oom();
	return 0;
}

int adapter_dup_str(char **out, const cJSON *obj, const char *path)
{
	return adapter_dup(out, adapter_str(obj, path));
}

int adapter_dup_location(char **out, const char *location)
{
	char canon[128];

	if (!location)
		return adapter_dup(out, NULL);
	if (arm_location_canonical(canon, sizeof(canon), location) < 0) {
		cmk_error_clear();
		return adapter_dup(out, location);
	}
	return adapter_dup(out, canon);
}

void adapter_lower(char *out, size_t size, const char *s)
{
	size_t i = 0;

	if (!size)
		return;
	for (; s && s[i] && i + 1 < size; i++)
		out[i] = (char)tolower((unsigned char)s[i]);
	out[i] = '\0';
}

/* ---- dates ---------------------------------------------------------------- */

int adapter_parse_date(long long *out, const char *text)
{
	time_t t;
	int error;

	if ((error = cmk_time_parse(&t, text)) == 0)
		*out = (long long)t;
	return error;
}

int adapter_iso_from_epoch(char **out, long long epoch)
{
	char buf[CMK_TIME_ISO_LEN];
	int error;

	if ((error = cmk_time_format(buf, sizeof(buf), (time_t)epoch)) < 0)
		return error;
	return adapter_dup(out, buf);
}

int adapter_dup_date(char **out, const char *text)
{
	long long t;

	*out = NULL;
	if (!text || !*text)
		return 0;
	if (adapter_parse_date(&t, text) < 0) {
		cmk_error_clear();
		return adapter_dup(out, text);
	}
	return adapter_iso_from_epoch(out, t);
}

/* ---- identity and tags ---------------------------------------------------- */

int adapter_identity_parse(live_identity *out, const cJSON *identity)
{
	const cJSON *uais, *u;
	int error;

	if (!cJSON_IsObject(identity))
		return 0;
	if ((error = adapter_dup_str(&out->type, identity, "type")) < 0 ||
	    (error = adapter_dup_str(&out->principal_id, identity, "principalId")) < 0 ||
	    (error = adapter_dup_str(&out->tenant_id, identity, "tenantId")) < 0)
		return error;
	uais = adapter_get(identity, "userAssignedIdentities");
	if (!cJSON_IsObject(uais) || !uais->child)
		return 0;
	if ((out->user_assigned = calloc((size_t)cJSON_GetArraySize(uais), sizeof(char *))) == NULL)
		return cmk_error_oom();
	cJSON_ArrayForEach(u, uais) {
		/* the seeds write ids without their leading slash */
		char *id;

		if (!u->string)
			continue;
		if (asprintf(&id, "%s%s", u->string[0] == '/' ? "" : "/", u->string) < 0)
			return cmk_error_oom();
		out->user_assigned[out->user_assigned_count++] = id;
	}
	return 0;
}

int adapter_tags_parse(live_tags *out, const cJSON *tags)
{
	const cJSON *t;

	if (!cJSON_IsObject(tags) || !tags->child)
		return 0;
	if ((out->items = calloc((size_t)cJSON_GetArraySize(tags), sizeof(live_tag))) == NULL)
		return cmk_error_oom();
	cJSON_ArrayForEach(t, tags) {
		live_tag *lt;

		if (!t->string || !cJSON_IsString(t))
			continue; /* ARM tags are strings; anything else is not ours */
		lt = &out->items[out->count++];
		if ((lt->key = strdup(t->string)) == NULL || (lt->value = strdup(t->valuestring)) == NULL)
			return cmk_error_oom();
	}
	return 0;
}

cJSON *adapter_tags_json(const live_tags *tags)
{
	cJSON *o = cJSON_CreateObject();

	for (size_t i = 0; o && tags && i < tags->count; i++)
		if (!cJSON_AddStringToObject(o, tags->items[i].key, tags->items[i].value)) {
			cJSON_Delete(o);
			return NULL;
		}
	return o;
}

/* ---- live model ------------------------------------------------------------- */

void *adapter_append(void *items, size_t *count, size_t size)
{
	void *arr, *grown;
	size_t n = *count;

	size_t cap = 1;

	memcpy(&arr, items, sizeof(arr));
	/* capacity in powers of two so 1000 workspaces are not 1000 copies; the
	 * realloc runs every time (a no-op while the block is big enough)
	 * because an array may come from elsewhere (live_state_from_json)
	 * allocated to its exact size */
	while (cap < n + 1)
		cap *= 2;
	if ((grown = realloc(arr, cap * size)) == NULL) {
		cmk_error_oom();
		return NULL;
	}
	arr = grown;
	memcpy(items, &arr, sizeof(arr));
	memset((char *)arr + n * size, 0, size);
	*count = n + 1;
	return (char *)arr + n * size;
}

int adapter_subscription_of(char *out, size_t size, const char *resource_id)
{
	const char *p;
	size_t n;

	if (!resource_id || strncasecmp(resource_id, "/subscriptions/", 15) != 0)
		return cmk_error_set(CMK_EINVALID, "'%s' names no subscription",
				     resource_id ? resource_id : "(null)");
	p = resource_id + 15;
	n = strcspn(p, "/");
	if (n == 0 || n >= size)
		return cmk_error_set(CMK_EINVALID, "'%s' names no subscription", resource_id);
	memcpy(out, p, n);
	out[n] = '\0';
	return 0;
}

/* ---- writes ------------------------------------------------------------------ */

int adapter_write(cJSON **out, arm_client *c, const char *method, const char *url,
		  const char *api_version, const cJSON *body, arm_audience audience,
		  const char *resource_id, arm_error **err_out)
{
	char *text = NULL;
	arm_response *resp = NULL;
	cJSON *doc = NULL;
	int error;

	if (out)
		*out = NULL;
	if (err_out)
		*err_out = NULL;
	if (body && (text = cJSON_PrintUnformatted(body)) == NULL)
		return cmk_error_oom();
	arm_request req = { .method = method, .url = url, .api_version = api_version,
			    .body = text, .audience = audience, .resource_id = resource_id };
	if ((error = arm_send(&resp, c, &req)) < 0) {
		if (err_out && resp && resp->error) {
			*err_out = resp->error;
			resp->error = NULL;
		}
		goto out;
	}
	if (out && resp->body.len > 0) {
		if ((error = arm_response_json(&doc, resp)) < 0)
			goto out;
		*out = doc;
	}
out:
	arm_response_free(resp);
	free(text);
	return error;
}

int adapter_begin(arm_op **out, arm_client *c, arm_op_kind kind, const char *method,
		  const char *url, const char *api_version, const cJSON *body,
		  const char *resource_id, arm_final_via final_via, arm_error **err_out)
{
	char *text = NULL;
	int error;

	*out = NULL;
	if (err_out)
		*err_out = NULL;
	if (body && (text = cJSON_PrintUnformatted(body)) == NULL)
		return cmk_error_oom();
	arm_request req = { .method = method, .url = url, .api_version = api_version,
			    .body = text, .resource_id = resource_id };
	error = arm_op_begin(out, c, kind, &req, resource_id, final_via, err_out);
	free(text);
	return error;
}

int adapter_read(cJSON **out, arm_client *c, const char *url, const char *api_version,
		 arm_audience audience, const char *resource_id)
{
	arm_response *resp = NULL;
	arm_request req = { .method = "GET", .url = url, .api_version = api_version,
			    .audience = audience, .resource_id = resource_id };
	int error;

	*out = NULL;
	if ((error = arm_send(&resp, c, &req)) == 0)
		error = arm_response_json(out, resp);
	arm_response_free(resp);
	return error;
}

/* ---- paged lists in the loop ------------------------------------------------- */

typedef struct {
	arm_client *c;
	arm_audience audience;
	adapter_item_fn item;
	adapter_list_done_fn done;
	void *ud;
	size_t pages;
	uint64_t *seen; /* FNV-1a of every nextLink followed: a repeat is a loop */
	size_t nseen;
} adapter__lister;

static uint64_t adapter__hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static void adapter__page_done(void *ud, arm_response *resp, int rc);

static int adapter__page_submit(adapter__lister *l, const char *url, const char *api_version)
{
	arm_request req = { .method = "GET", .url = url, .api_version = api_version,
			    .audience = l->audience };

	return arm_submit(l->c, &req, 0, adapter__page_done, l);
}

static void adapter__page_done(void *ud, arm_response *resp, int rc)
{
	adapter__lister *l = ud;
	cJSON *page = NULL;
	const cJSON *value, *item, *next;

	if (rc < 0) {
		/* make sure the message is this call's, whatever ran since */
		if (resp && resp->error)
			arm_error_raise(resp->error);
		goto finish;
	}
	if ((rc = arm_response_json(&page, resp)) < 0)
		goto finish;
	value = adapter_get(page, "value");
	if (!cJSON_IsArray(value)) {
		rc = cmk_error_set(CMK_EINVALID, "listing: page %zu has no \"value\" array",
				   l->pages + 1);
		goto finish;
	}
	l->pages++;
	cJSON_ArrayForEach(item, value)
		if ((rc = l->item(l->ud, item)) < 0)
			goto finish;
	next = adapter_get(page, "nextLink");
	if (cJSON_IsString(next) && next->valuestring[0]) {
		uint64_t h = adapter__hash(next->valuestring), *grown;

		if (l->pages >= 10000) {
			rc = cmk_error_set(CMK_ERROR, "listing: more than 10000 pages (a nextLink loop?)");
			goto finish;
		}
		/* a server handing out a nextLink already followed would be
		 * listed until the page limit: 10000 reads of the budget */
		for (size_t i = 0; i < l->nseen; i++)
			if (l->seen[i] == h) {
				rc = cmk_error_set(CMK_ERROR, "listing: page %zu's nextLink repeats an "
						   "earlier page (a nextLink loop)", l->pages);
				goto finish;
			}
		if ((grown = realloc(l->seen, (l->nseen + 1) * sizeof(*l->seen))) == NULL) {
			rc = cmk_error_oom();
			goto finish;
		}
		l->seen = grown;
		l->seen[l->nseen++] = h;
		/* nextLink carries its own api-version and skip token */
		if ((rc = adapter__page_submit(l, next->valuestring, NULL)) < 0)
			goto finish;
		cJSON_Delete(page);
		arm_response_free(resp);
		return;
	}
	rc = 0;
finish:
	cJSON_Delete(page);
	arm_response_free(resp);
	l->done(l->ud, rc);
	free(l->seen);
	free(l);
}

int adapter_list_submit(arm_client *c, const char *url, const char *api_version,
			arm_audience audience, adapter_item_fn item, adapter_list_done_fn done,
			void *ud)
{
	adapter__lister *l = calloc(1, sizeof(*l));
	int error;

	if (!l)
		return cmk_error_oom();
	*l = (adapter__lister){ c, audience, item, done, ud, 0, NULL, 0 };
	if ((error = adapter__page_submit(l, url, api_version)) < 0)
		free(l);
	return error;
}

typedef struct {
	adapter_item_fn item;
	void *ud;
	int rc;
	int finished;
	char msg[1024];
} adapter__blocking;

static int adapter__blocking_item(void *ud, const cJSON *item)
{
	adapter__blocking *b = ud;

	return b->item(b->ud, item);
}

static void adapter__blocking_done(void *ud, int rc)
{
	adapter__blocking *b = ud;

	b->rc = rc;
	b->finished = 1;
	if (rc < 0)
		snprintf(b->msg, sizeof(b->msg), "%s", cmk_error_last());
}

static int adapter__blocking_until(void *ud)
{
	return ((adapter__blocking *)ud)->finished;
}

int adapter_list(arm_client *c, const char *url, const char *api_version, arm_audience audience,
		 adapter_item_fn item, void *ud)
{
	adapter__blocking b = { item, ud, 0, 0, "" };
	int error;

	if ((error = adapter_list_submit(c, url, api_version, audience, adapter__blocking_item,
					 adapter__blocking_done, &b)) < 0)
		return error;
	if ((error = arm_run(c, adapter__blocking_until, &b)) < 0)
		return error;
	if (!b.finished)
		return cmk_error_set(CMK_ERROR, "listing %s: the loop ended early", url);
	if (b.rc < 0)
		return cmk_error_set(b.rc, "%s", b.msg);
	return 0;
}
