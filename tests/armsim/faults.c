/*
 * faults.c - seeded fault injection (see faults.h). The RNG stream is its
 * own (seeded from --seed) so that the same request sequence draws the
 * same faults whatever else consumes randomness.
 */
#include "faults.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth.h"
#include "util.h"

typedef enum { F_500, F_503, F_429, F_RESET, F_SLOW, F_ASYNC_FAIL, F_401 } fault_kind;
static const char *const kind_names[] = { "500", "503", "429", "reset", "slow", "async_fail", "401" };
#define NKINDS ((int)(sizeof kind_names / sizeof kind_names[0]))

typedef struct rule {
	char method[16];
	char type[128];
	char path[256];
	fault_kind kind;
	double rate;
	int count;   /* remaining; -1 unlimited */
	int delay_ms;
	int retry_after;
	int fired;
} rule;

static pthread_mutex_t g_flock = PTHREAD_MUTEX_INITIALIZER;
static rule *g_rules;
static int g_nrules;
static uint64_t g_frng = 0x2545f4914f6cdd1dull;
static uint64_t g_fseed = 0x2545f4914f6cdd1dull;

void faults_seed(uint64_t seed)
{
	pthread_mutex_lock(&g_flock);
	g_fseed = g_frng = seed ? seed ^ 0x2545f4914f6cdd1dull : 0x2545f4914f6cdd1dull;
	pthread_mutex_unlock(&g_flock);
}

static double faults__draw(void)
{
	uint64_t z = (g_frng += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	z ^= z >> 31;
	return (double)(z >> 11) / (double)(1ull << 53);
}

int faults_set(const cJSON *in)
{
	const cJSON *arr = cJSON_IsArray(in) ? in : sim_json_get(in, "rules");
	if (!cJSON_IsArray(arr))
		return cmk_error_set(CMK_EINVALID, "faults: expected an array of rules or {\"rules\":[...]}");
	int n = cJSON_GetArraySize(arr), i = 0;
	rule *rules = calloc((size_t)(n ? n : 1), sizeof *rules);
	if (!rules)
		return cmk_error_oom();
	const cJSON *r;
	cJSON_ArrayForEach(r, arr) {
		rule *x = &rules[i];
		const char *m = sim_json_str(r, "method"), *t = sim_json_str(r, "resourceType"),
			   *p = sim_json_str(r, "path"), *f = sim_json_str(r, "fault");
		cJSON *rate = sim_json_get(r, "rate"), *count = sim_json_get(r, "count");
		snprintf(x->method, sizeof x->method, "%s", m ? m : "*");
		snprintf(x->type, sizeof x->type, "%s", t ? t : "*");
		snprintf(x->path, sizeof x->path, "%s", p ? p : "");
		int k = -1;
		for (int j = 0; f && j < NKINDS; j++)
			if (!strcasecmp(f, kind_names[j]))
				k = j;
		if (k < 0) {
			free(rules);
			return cmk_error_set(CMK_EINVALID,
					     "faults[%d].fault: '%s' is not one of 500, 503, 429, 401, reset, slow, async_fail",
					     i, f ? f : "");
		}
		x->kind = (fault_kind)k;
		x->rate = cJSON_IsNumber(rate) ? rate->valuedouble : 1.0;
		if (x->rate < 0 || x->rate > 1) {
			free(rules);
			return cmk_error_set(CMK_EINVALID, "faults[%d].rate must be within 0..1", i);
		}
		x->count = cJSON_IsNumber(count) && count->valueint > 0 ? count->valueint : -1;
		cJSON *d = sim_json_get(r, "delayMs"), *ra = sim_json_get(r, "retryAfter");
		x->delay_ms = cJSON_IsNumber(d) ? d->valueint : 2000;
		x->retry_after = cJSON_IsNumber(ra) ? ra->valueint : 1;
		i++;
	}
	pthread_mutex_lock(&g_flock);
	free(g_rules);
	g_rules = rules;
	g_nrules = n;
	/* a new rule set restarts the stream: same rules + same requests =
	 * same faults, whatever happened before */
	g_frng = g_fseed;
	pthread_mutex_unlock(&g_flock);
	return 0;
}

void faults_clear(void)
{
	pthread_mutex_lock(&g_flock);
	free(g_rules);
	g_rules = NULL;
	g_nrules = 0;
	pthread_mutex_unlock(&g_flock);
}

cJSON *faults_dump(void)
{
	cJSON *arr = cJSON_CreateArray();
	pthread_mutex_lock(&g_flock);
	for (int i = 0; i < g_nrules; i++) {
		const rule *x = &g_rules[i];
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "method", x->method);
		cJSON_AddStringToObject(o, "resourceType", x->type);
		if (x->path[0])
			cJSON_AddStringToObject(o, "path", x->path);
		cJSON_AddStringToObject(o, "fault", kind_names[x->kind]);
		cJSON_AddNumberToObject(o, "rate", x->rate);
		cJSON_AddNumberToObject(o, "remaining", x->count);
		cJSON_AddNumberToObject(o, "fired", x->fired);
		cJSON_AddItemToArray(arr, o);
	}
	pthread_mutex_unlock(&g_flock);
	return arr;
}

static bool faults__match(const rule *x, const char *method, const char *type, const char *path)
{
	if (strcmp(x->method, "*") && strcasecmp(x->method, method))
		return false;
	if (strcmp(x->type, "*") && !sim_streq_ci(x->type, type))
		return false;
	if (x->path[0] && (!path || !strcasestr(path, x->path)))
		return false;
	return x->count != 0;
}

/* Decide under the lock; the draw happens only for matching rules so
 * unrelated traffic does not shift the sequence. */
static int faults__pick(const char *method, const char *type, const char *path, bool async)
{
	int hit = -1;
	pthread_mutex_lock(&g_flock);
	for (int i = 0; i < g_nrules && hit < 0; i++) {
		rule *x = &g_rules[i];
		if ((x->kind == F_ASYNC_FAIL) != async || !faults__match(x, method, type, path))
			continue;
		if (faults__draw() < x->rate) {
			hit = i;
			x->fired++;
			if (x->count > 0)
				x->count--;
		}
	}
	pthread_mutex_unlock(&g_flock);
	return hit;
}

bool faults_apply(const sim_req *req, sim_resp *resp)
{
	if (!g_nrules || sim_prefix_ci(req->path, "/_sim/"))
		return false;
	int i = faults__pick(req->method, req->resource_type, req->path, false);
	if (i < 0)
		return false;
	pthread_mutex_lock(&g_flock);
	rule x = g_rules[i];
	pthread_mutex_unlock(&g_flock);
	switch (x.kind) {
	case F_500:
		resp_arm_error(resp, 500, "InternalServerError",
			       "Encountered internal server error. Diagnostic information: timestamp '', "
			       "subscription id '', tracking id '', request correlation id ''.");
		return true;
	case F_503:
		resp_header(resp, "Retry-After", "%d", x.retry_after);
		resp_arm_error(resp, 503, "ServiceUnavailable",
			       "The service is temporarily unavailable. Please retry later.");
		return true;
	case F_429:
		resp_header(resp, "Retry-After", "%d", x.retry_after);
		resp_arm_error(resp, 429, "TooManyRequests",
			       "The request is being throttled as the limit has been reached for operation "
			       "type - Read_ObservationWindow_00:05:00. For more information, see - "
			       "https://aka.ms/srpthrottlinglimits");
		return true;
	case F_401:
		/* as for an expired token: the client should get a new one and retry */
		auth_fault_401(req, resp);
		return true;
	case F_RESET:
		resp->status = 500; /* logged as such; the connection is dropped */
		resp->drop_connection = true;
		return true;
	case F_SLOW:
		resp->slow_ms = (unsigned)x.delay_ms;
		return false;
	case F_ASYNC_FAIL:
		break;
	}
	return false;
}

bool faults_async_fail(const char *method, const char *resource_type)
{
	if (!g_nrules)
		return false;
	return faults__pick(method, resource_type, NULL, true) >= 0;
}
