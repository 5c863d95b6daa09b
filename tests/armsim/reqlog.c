/*
 * reqlog.c - request log ring, counters and the hazard audit (see reqlog.h).
 */
#include "reqlog.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "simclock.h"
#include "util.h"

#define RING 20000
#define MAX_HAZARDS 10000

typedef struct entry {
	long seq;
	int64_t time_ms;
	char method[8];
	char *path;
	char type[96];
	int status;
	char principal[64];
	char client_request_id[64];
	char *detail;   /* JSON text {"headers":{...},"body":...}; see reqlog__detail */
	size_t detail_len;
} entry;

static pthread_mutex_t g_rlock = PTHREAD_MUTEX_INITIALIZER;
static entry g_ring[RING];
static long g_seq;
static cJSON *g_counters; /* {"GET|type|200": n} */
static cJSON *g_hazards;
static size_t g_detail_bytes; /* sum of detail_len over the ring */

/* Bodies are kept up to BODY_CAP each, and the ring keeps at most
 * DETAIL_BUDGET bytes of them (a 1000-workspace run must not hold gigabytes);
 * past that, new entries say "bodyOmitted" instead. */
#define BODY_CAP (64 * 1024)
#define DETAIL_BUDGET ((size_t)256 * 1024 * 1024)

/* Form fields whose values are credentials: never logged. */
static const char *const reqlog__secret_fields[] = {
	"client_secret", "client_assertion", "assertion", "refresh_token",
	"password", "code", "code_verifier", NULL
};

static bool reqlog__secret_field(const char *name)
{
	for (int i = 0; reqlog__secret_fields[i]; i++)
		if (sim_streq_ci(name, reqlog__secret_fields[i]))
			return true;
	return false;
}

/* A form body as {"field":"value"}, credentials replaced by "[REDACTED]". */
static cJSON *reqlog__form(const char *body, size_t len)
{
	cJSON *o = cJSON_CreateObject();
	const char *p = body, *end = body + len;
	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *stop = amp ? amp : end;
		const char *eq = memchr(p, '=', (size_t)(stop - p));
		char *name = sim_url_decode(p, (size_t)((eq ? eq : stop) - p));
		if (name && *name) {
			if (reqlog__secret_field(name)) {
				cJSON_AddStringToObject(o, name, "[REDACTED]");
			} else {
				char *v = eq ? sim_url_decode(eq + 1, (size_t)(stop - eq - 1)) : NULL;
				cJSON_AddStringToObject(o, name, v ? v : "");
				free(v);
			}
		}
		free(name);
		p = stop + 1;
	}
	return o;
}

/* The request headers a client test asserts on, and the body: parsed JSON,
 * a redacted form (token endpoints: the form carries client_secret /
 * client_assertion), or text; capped at BODY_CAP. */
static char *reqlog__detail(const sim_req *req, bool keep_body)
{
	static const char *const names[] = { "User-Agent", "x-ms-client-request-id",
		"x-ms-correlation-request-id", "Content-Type", "If-Match", "If-None-Match", NULL };
	cJSON *d = cJSON_CreateObject(), *h = cJSON_AddObjectToObject(d, "headers");
	for (int i = 0; names[i]; i++) {
		const char *v = req_header(req, names[i]);
		if (v)
			cJSON_AddStringToObject(h, names[i], v);
	}
	cJSON_AddBoolToObject(d, "authorization", req_header(req, "Authorization") != NULL);
	if (req->body_len && !keep_body) {
		cJSON_AddStringToObject(d, "bodyOmitted", "request log body budget exhausted");
	} else if (req->body_len) {
		const char *ct = req_header(req, "Content-Type");
		bool form = sim_prefix_ci(ct ? ct : "", "application/x-www-form-urlencoded") ||
			    strstr(req->path, "/oauth2/") != NULL;
		if (form) {
			/* whole form parsed (redaction must see every field), whatever its size */
			cJSON_AddItemToObject(d, "body", reqlog__form(req->body, req->body_len));
		} else if (req->body_len > BODY_CAP) {
			char *t = strndup(req->body, BODY_CAP);
			cJSON_AddStringToObject(d, "body", t ? t : "");
			cJSON_AddTrueToObject(d, "bodyTruncated");
			free(t);
		} else if (req->json) {
			cJSON_AddItemToObject(d, "body", cJSON_Duplicate(req->json, 1));
		} else {
			cJSON_AddStringToObject(d, "body", req->body);
		}
	}
	char *text = cJSON_PrintUnformatted(d);
	cJSON_Delete(d);
	return text;
}

void reqlog_init(void)
{
	pthread_mutex_lock(&g_rlock);
	if (!g_counters)
		g_counters = cJSON_CreateObject();
	if (!g_hazards)
		g_hazards = cJSON_CreateArray();
	pthread_mutex_unlock(&g_rlock);
}

void reqlog_record(const sim_req *req, const sim_resp *resp)
{
	char key[256];
	const char *type = req->resource_type ? req->resource_type : "-";
	/* the log is what clients did: the test's own admin calls stay out */
	if (!strncmp(req->path, "/_sim/", 6))
		return;
	const char *cid = req_header(req, "x-ms-client-request-id");
	snprintf(key, sizeof key, "%s|%s|%d", req->method, type, resp->status);
	pthread_mutex_lock(&g_rlock);
	bool keep_body = g_detail_bytes + req->body_len < DETAIL_BUDGET;
	pthread_mutex_unlock(&g_rlock);
	char *detail = reqlog__detail(req, keep_body);
	pthread_mutex_lock(&g_rlock);
	entry *e = &g_ring[g_seq % RING];
	free(e->path);
	free(e->detail);
	g_detail_bytes -= e->detail_len;
	e->detail = detail;
	e->detail_len = detail ? strlen(detail) : 0;
	g_detail_bytes += e->detail_len;
	e->seq = ++g_seq;
	e->time_ms = simclock_now_ms();
	snprintf(e->method, sizeof e->method, "%s", req->method);
	e->path = strdup(req->raw_url ? req->raw_url : req->path);
	snprintf(e->type, sizeof e->type, "%s", type);
	e->status = resp->status;
	snprintf(e->principal, sizeof e->principal, "%s", req->caller.object_id);
	snprintf(e->client_request_id, sizeof e->client_request_id, "%s", cid ? cid : "");
	cJSON *c = cJSON_GetObjectItemCaseSensitive(g_counters, key);
	if (c)
		cJSON_SetNumberValue(c, c->valuedouble + 1);
	else
		cJSON_AddNumberToObject(g_counters, key, 1);
	pthread_mutex_unlock(&g_rlock);
}

cJSON *reqlog_dump(long since)
{
	cJSON *o = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(o, "requests");
	pthread_mutex_lock(&g_rlock);
	long first = g_seq - RING + 1;
	if (first < 1)
		first = 1;
	if (since + 1 > first)
		first = since + 1;
	for (long s = first; s <= g_seq; s++) {
		const entry *e = &g_ring[(s - 1) % RING];
		cJSON *x = cJSON_CreateObject();
		char t[40];
		simclock_iso8601(t, sizeof t, e->time_ms);
		cJSON_AddNumberToObject(x, "seq", (double)e->seq);
		cJSON_AddStringToObject(x, "time", t);
		cJSON_AddStringToObject(x, "method", e->method);
		cJSON_AddStringToObject(x, "path", e->path ? e->path : "");
		cJSON_AddStringToObject(x, "resourceType", e->type);
		cJSON_AddNumberToObject(x, "status", e->status);
		cJSON_AddStringToObject(x, "principal", e->principal);
		if (e->client_request_id[0])
			cJSON_AddStringToObject(x, "clientRequestId", e->client_request_id);
		cJSON *d = e->detail ? cJSON_Parse(e->detail) : NULL;
		if (d) {
			while (d->child) {
				cJSON *m = cJSON_DetachItemViaPointer(d, d->child);
				cJSON_AddItemToObject(x, m->string, m);
			}
			cJSON_Delete(d);
		}
		cJSON_AddItemToArray(arr, x);
	}
	cJSON_AddNumberToObject(o, "lastSeq", (double)g_seq);
	pthread_mutex_unlock(&g_rlock);
	return o;
}

static void reqlog__add(cJSON *obj, const char *k, double n)
{
	cJSON *c = cJSON_GetObjectItemCaseSensitive(obj, k);
	if (c)
		cJSON_SetNumberValue(c, c->valuedouble + n);
	else
		cJSON_AddNumberToObject(obj, k, n);
}

cJSON *reqlog_counters(void)
{
	cJSON *o = cJSON_CreateObject();
	cJSON *bm = cJSON_CreateObject(), *bt = cJSON_CreateObject(), *bs = cJSON_CreateObject(),
	      *bk = cJSON_CreateObject();
	double total = 0;
	pthread_mutex_lock(&g_rlock);
	for (cJSON *c = g_counters ? g_counters->child : NULL; c; c = c->next) {
		char m[16], t[128], st[16], k[200];
		if (sscanf(c->string, "%15[^|]|%127[^|]|%15s", m, t, st) != 3)
			continue;
		reqlog__add(bm, m, c->valuedouble);
		reqlog__add(bt, t, c->valuedouble);
		reqlog__add(bs, st, c->valuedouble);
		snprintf(k, sizeof k, "%s %s %s", m, t, st);
		reqlog__add(bk, k, c->valuedouble);
		total += c->valuedouble;
	}
	pthread_mutex_unlock(&g_rlock);
	cJSON_AddNumberToObject(o, "total", total);
	cJSON_AddItemToObject(o, "byMethod", bm);
	cJSON_AddItemToObject(o, "byResourceType", bt);
	cJSON_AddItemToObject(o, "byStatus", bs);
	cJSON_AddItemToObject(o, "byKey", bk);
	return o;
}

void reqlog_reset(void)
{
	pthread_mutex_lock(&g_rlock);
	for (int i = 0; i < RING; i++) {
		free(g_ring[i].path);
		g_ring[i].path = NULL;
		free(g_ring[i].detail);
		g_ring[i].detail = NULL;
		g_ring[i].detail_len = 0;
	}
	g_detail_bytes = 0;
	g_seq = 0;
	cJSON_Delete(g_counters);
	g_counters = cJSON_CreateObject();
	pthread_mutex_unlock(&g_rlock);
}

void hazard_record(const char *kind, const char *resource_id, const char *fmt, ...)
{
	char detail[1024], t[40];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof detail, fmt, ap);
	va_end(ap);
	simclock_iso8601(t, sizeof t, simclock_now_ms());
	cJSON *h = cJSON_CreateObject();
	cJSON_AddStringToObject(h, "kind", kind);
	cJSON_AddStringToObject(h, "resourceId", resource_id ? resource_id : "");
	cJSON_AddStringToObject(h, "detail", detail);
	cJSON_AddStringToObject(h, "time", t);
	pthread_mutex_lock(&g_rlock);
	if (!g_hazards)
		g_hazards = cJSON_CreateArray();
	if (cJSON_GetArraySize(g_hazards) < MAX_HAZARDS)
		cJSON_AddItemToArray(g_hazards, h);
	else
		cJSON_Delete(h);
	pthread_mutex_unlock(&g_rlock);
}

cJSON *hazard_dump(void)
{
	cJSON *o = cJSON_CreateObject();
	pthread_mutex_lock(&g_rlock);
	cJSON *arr = g_hazards ? cJSON_Duplicate(g_hazards, 1) : cJSON_CreateArray();
	pthread_mutex_unlock(&g_rlock);
	cJSON *counts = cJSON_CreateObject(), *h;
	cJSON_ArrayForEach(h, arr)
		reqlog__add(counts, sim_json_str(h, "kind"), 1);
	cJSON_AddNumberToObject(o, "total", cJSON_GetArraySize(arr));
	cJSON_AddItemToObject(o, "byKind", counts);
	cJSON_AddItemToObject(o, "hazards", arr);
	return o;
}

void hazard_reset(void)
{
	pthread_mutex_lock(&g_rlock);
	cJSON_Delete(g_hazards);
	g_hazards = cJSON_CreateArray();
	pthread_mutex_unlock(&g_rlock);
}
