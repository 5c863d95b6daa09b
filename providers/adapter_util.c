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
#include "common/vec.h"
#include "providers/paging.h"

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
	time_t t = 0;
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
	long long t = 0;

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
	return cmk_vec_append(items, count, size);
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

int adapter_list_submit(arm_client *c, const char *url, const char *api_version,
			arm_audience audience, adapter_item_fn item, adapter_list_done_fn done,
			void *ud)
{
	arm_list_req req = { .url = url, .api_version = api_version, .audience = audience };

	return arm_list_submit(c, &req, item, done, ud);
}

int adapter_list(arm_client *c, const char *url, const char *api_version, arm_audience audience,
		 adapter_item_fn item, void *ud)
{
	arm_list_req req = { .url = url, .api_version = api_version, .audience = audience };

	return arm_list_each(c, &req, item, ud);
}
