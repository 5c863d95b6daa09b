/*
 * throttle.c - token buckets per subscription + principal (see throttle.h).
 */
#include "throttle.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "simclock.h"
#include "util.h"

typedef struct bucket_cfg {
	double capacity;
	double refill; /* tokens per second */
} bucket_cfg;

enum { B_READ, B_WRITE, B_DELETE, B_N };
static const char *const bucket_names[B_N] = { "reads", "writes", "deletes" };
static const char *const header_names[B_N] = {
	"x-ms-ratelimit-remaining-subscription-reads",
	"x-ms-ratelimit-remaining-subscription-writes",
	"x-ms-ratelimit-remaining-subscription-deletes",
};
/* tenant-level calls (no subscription in the path, e.g. GET /subscriptions) */
static const char *const tenant_header_names[B_N] = {
	"x-ms-ratelimit-remaining-tenant-reads",
	"x-ms-ratelimit-remaining-tenant-writes",
	"x-ms-ratelimit-remaining-tenant-deletes",
};

typedef struct bucket {
	char key[160];
	double tokens[B_N];
	int64_t last_ms;
	struct bucket *next;
} bucket;

static pthread_mutex_t g_tlock = PTHREAD_MUTEX_INITIALIZER;
static bucket_cfg g_cfg[B_N];
static bucket *g_buckets;

void throttle_init(void)
{
	pthread_mutex_lock(&g_tlock);
	g_cfg[B_READ] = (bucket_cfg){ 250, 25 };
	g_cfg[B_WRITE] = (bucket_cfg){ 200, 10 };
	g_cfg[B_DELETE] = (bucket_cfg){ 200, 10 };
	pthread_mutex_unlock(&g_tlock);
}

static int throttle__kind(const char *method)
{
	if (!strcasecmp(method, "GET") || !strcasecmp(method, "HEAD"))
		return B_READ;
	if (!strcasecmp(method, "DELETE"))
		return B_DELETE;
	return B_WRITE;
}

bool throttle_take(const sim_req *req, sim_resp *resp, const char *subscription_id)
{
	int k = throttle__kind(req->method);
	char key[160];
	snprintf(key, sizeof key, "%s|%s", subscription_id, req->caller.object_id);
	sim_lower(key, sizeof key, key);
	pthread_mutex_lock(&g_tlock);
	bucket *b = g_buckets;
	while (b && strcmp(b->key, key) != 0)
		b = b->next;
	int64_t now = simclock_real_ms();
	if (!b) {
		b = calloc(1, sizeof *b);
		if (!b) {
			pthread_mutex_unlock(&g_tlock);
			return true;
		}
		snprintf(b->key, sizeof b->key, "%s", key);
		for (int i = 0; i < B_N; i++)
			b->tokens[i] = g_cfg[i].capacity;
		b->last_ms = now;
		b->next = g_buckets;
		g_buckets = b;
	}
	double dt = (double)(now - b->last_ms) / 1000.0;
	b->last_ms = now;
	for (int i = 0; i < B_N; i++) {
		b->tokens[i] += dt * g_cfg[i].refill;
		if (b->tokens[i] > g_cfg[i].capacity)
			b->tokens[i] = g_cfg[i].capacity;
	}
	bool ok = b->tokens[k] >= 1.0;
	double wait = 0;
	if (ok)
		b->tokens[k] -= 1.0;
	else
		wait = g_cfg[k].refill > 0 ? (1.0 - b->tokens[k]) / g_cfg[k].refill : 60;
	long remaining = (long)b->tokens[k];
	pthread_mutex_unlock(&g_tlock);
	resp_header(resp, subscription_id[0] ? header_names[k] : tenant_header_names[k], "%ld", remaining);
	if (!ok) {
		int ra = (int)(wait + 0.999);
		if (ra < 1)
			ra = 1;
		resp_header(resp, "Retry-After", "%d", ra);
		resp_arm_error(resp, 429, "TooManyRequests",
			       "The request is being throttled as the limit has been reached for operation "
			       "type - %s. For more information, see - https://aka.ms/srpthrottlinglimits",
			       k == B_READ ? "Read_ObservationWindow_00:05:00"
			       : k == B_DELETE ? "Delete_ObservationWindow_00:05:00"
					       : "Write_ObservationWindow_00:05:00");
	}
	return ok;
}

int throttle_configure(const cJSON *obj)
{
	if (!cJSON_IsObject(obj))
		return cmk_error_set(CMK_EINVALID, "throttling: expected an object");
	bucket_cfg next[B_N];
	pthread_mutex_lock(&g_tlock);
	memcpy(next, g_cfg, sizeof next);
	pthread_mutex_unlock(&g_tlock);
	for (const cJSON *m = obj->child; m; m = m->next) {
		int k = -1;
		for (int i = 0; i < B_N; i++)
			if (!strcasecmp(m->string, bucket_names[i]))
				k = i;
		if (k < 0)
			return cmk_error_set(CMK_EINVALID, "throttling: unknown bucket '%s' (reads, writes, deletes)", m->string);
		cJSON *c = sim_json_get(m, "capacity"), *r = sim_json_get(m, "refillPerSecond");
		if ((c && (!cJSON_IsNumber(c) || c->valuedouble < 0)) ||
		    (r && (!cJSON_IsNumber(r) || r->valuedouble < 0)))
			return cmk_error_set(CMK_EINVALID, "throttling.%s: capacity and refillPerSecond must be numbers >= 0", m->string);
		if (c)
			next[k].capacity = c->valuedouble;
		if (r)
			next[k].refill = r->valuedouble;
	}
	pthread_mutex_lock(&g_tlock);
	memcpy(g_cfg, next, sizeof next);
	pthread_mutex_unlock(&g_tlock);
	throttle_reset();
	return 0;
}

cJSON *throttle_dump(void)
{
	cJSON *o = cJSON_CreateObject();
	pthread_mutex_lock(&g_tlock);
	for (int i = 0; i < B_N; i++) {
		cJSON *b = cJSON_AddObjectToObject(o, bucket_names[i]);
		cJSON_AddNumberToObject(b, "capacity", g_cfg[i].capacity);
		cJSON_AddNumberToObject(b, "refillPerSecond", g_cfg[i].refill);
	}
	pthread_mutex_unlock(&g_tlock);
	return o;
}

void throttle_reset(void)
{
	pthread_mutex_lock(&g_tlock);
	while (g_buckets) {
		bucket *n = g_buckets->next;
		free(g_buckets);
		g_buckets = n;
	}
	pthread_mutex_unlock(&g_tlock);
}
