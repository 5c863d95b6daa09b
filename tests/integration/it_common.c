/*
 * it_common.c - shared helpers of the provider integration tests (see
 * it_common.h).
 */
#include "tests/integration/it_common.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "providers/cloud.h"
#include "providers/paging.h"

static const char *const it__cleared[] = {
	"CMKCTL_CREDENTIAL", "AZURE_FEDERATED_TOKEN_FILE", "MSI_ENDPOINT", "MSI_SECRET",
	"AZURE_POD_IDENTITY_AUTHORITY_HOST", "CMKCTL_MANAGED_IDENTITY_CLIENT_ID",
	"CMKCTL_KEYVAULT_AUDIENCE", "CURL_CA_BUNDLE", NULL
};

armsim *it_start(const armsim_opts *opts)
{
	armsim *sim = NULL;

	for (int i = 0; it__cleared[i]; i++)
		unsetenv(it__cleared[i]);
	if (armsim_start(&sim, opts) < 0)
		fail_msg("armsim did not start: %s", cmk_error_last());
	armsim_setenv(sim);
	return sim;
}

typedef struct {
	arm_client *c;
	arm_cloud *cloud;
} it__pair;

static it__pair it__pairs[16];

arm_client *it_client(const char *credential, double time_scale)
{
	return it_client_with(credential, time_scale, 0, 0);
}

arm_client *it_client_with(const char *credential, double time_scale, unsigned max_attempts,
			   size_t max_body)
{
	arm_cloud *cloud = NULL;
	arm_client *c = NULL;
	arm_client_opts o = { 0 };

	if (arm_cloud_resolve(&cloud, NULL) < 0)
		fail_msg("cloud: %s", cmk_error_last());
	o.cloud = cloud;
	o.credential = credential;
	o.time_scale = time_scale;
	o.seed = 1234;
	o.backoff_base_ms = 200;
	o.backoff_cap_ms = 2000;
	o.max_attempts = max_attempts;
	o.max_body = max_body;
	if (arm_client_new(&c, &o) < 0)
		fail_msg("client: %s", cmk_error_last());
	for (size_t i = 0; i < sizeof(it__pairs) / sizeof(it__pairs[0]); i++)
		if (!it__pairs[i].c) {
			it__pairs[i] = (it__pair){ c, cloud };
			return c;
		}
	fail_msg("too many test clients");
	return NULL;
}

void it_client_free(arm_client *c)
{
	for (size_t i = 0; i < sizeof(it__pairs) / sizeof(it__pairs[0]); i++)
		if (it__pairs[i].c == c) {
			arm_client_free(c);
			arm_cloud_free(it__pairs[i].cloud);
			it__pairs[i] = (it__pair){ NULL, NULL };
			return;
		}
	arm_client_free(c);
}

cJSON *it_requests(armsim *sim, long since)
{
	char path[64];
	cJSON *doc = NULL;
	int status;

	snprintf(path, sizeof(path), "/_sim/requests?since=%ld", since);
	status = armsim_admin(sim, "GET", path, NULL, &doc);
	if (status != 200 || !cJSON_IsArray(cJSON_GetObjectItem(doc, "requests")))
		fail_msg("GET %s: %d %s", path, status, cmk_error_last());
	if (getenv("IT_DEBUG_LOG")) {
		const cJSON *r;
		cJSON_ArrayForEach(r, cJSON_GetObjectItem(doc, "requests"))
			fprintf(stderr, "log %g %s %.150s %g\n",
				cJSON_GetNumberValue(cJSON_GetObjectItem(r, "seq")),
				cJSON_GetStringValue(cJSON_GetObjectItem(r, "method")),
				cJSON_GetStringValue(cJSON_GetObjectItem(r, "path")),
				cJSON_GetNumberValue(cJSON_GetObjectItem(r, "status")));
	}
	return doc;
}

long it_last_seq(armsim *sim)
{
	cJSON *doc = it_requests(sim, 1L << 40);
	/* armsim keeps its admin calls (this one too) out of the log */
	long seq = (long)cJSON_GetNumberValue(cJSON_GetObjectItem(doc, "lastSeq"));

	cJSON_Delete(doc);
	return seq;
}

size_t it_count(const cJSON *doc, const char *method, const char *part, int status)
{
	const cJSON *reqs = cJSON_IsArray(doc) ? doc : cJSON_GetObjectItem(doc, "requests");
	const cJSON *r;
	size_t n = 0;

	cJSON_ArrayForEach(r, reqs) {
		const char *m = cJSON_GetStringValue(cJSON_GetObjectItem(r, "method"));
		const char *p = cJSON_GetStringValue(cJSON_GetObjectItem(r, "path"));
		int s = (int)cJSON_GetNumberValue(cJSON_GetObjectItem(r, "status"));
		if (method && (!m || strcmp(m, method) != 0))
			continue;
		if (part && (!p || !strcasestr(p, part)))
			continue;
		if (status && s != status)
			continue;
		n++;
	}
	return n;
}

const char *it_subscription(arm_client *c)
{
	static char sub[64];
	cJSON *list = NULL;
	const char *id;

	if (arm_list_all(&list, c, "/subscriptions", "2022-12-01", 0, NULL) < 0)
		fail_msg("list subscriptions: %s", cmk_error_last());
	id = cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(list, 0),
						      "subscriptionId"));
	if (!id)
		fail_msg("armsim has no subscription");
	snprintf(sub, sizeof(sub), "%s", id);
	cJSON_Delete(list);
	return sub;
}

void it_admin(armsim *sim, const char *method, const char *path, const char *json)
{
	int status = armsim_admin(sim, method, path, json, NULL);

	if (status < 200 || status > 299)
		fail_msg("%s %s: %d %s", method, path, status, cmk_error_last());
}

static long long it__ms(const char *iso)
{
	struct tm tm;
	const char *rest;
	int ms = 0;

	memset(&tm, 0, sizeof(tm));
	if (!iso || (rest = strptime(iso, "%Y-%m-%dT%H:%M:%S", &tm)) == NULL)
		fail_msg("bad time in the request log: %s", iso ? iso : "(none)");
	if (*rest == '.')
		ms = atoi(rest + 1);
	return (long long)timegm(&tm) * 1000 + ms;
}

long it_min_gap_ms(const cJSON *doc, const char *method, const char *part, size_t *count)
{
	const cJSON *reqs = cJSON_IsArray(doc) ? doc : cJSON_GetObjectItem(doc, "requests");
	const cJSON *r;
	long long prev = -1, gap = -1;
	size_t n = 0;

	cJSON_ArrayForEach(r, reqs) {
		const char *m = cJSON_GetStringValue(cJSON_GetObjectItem(r, "method"));
		const char *p = cJSON_GetStringValue(cJSON_GetObjectItem(r, "path"));
		long long t;
		if ((method && (!m || strcmp(m, method) != 0)) || !p || !strcasestr(p, part))
			continue;
		t = it__ms(cJSON_GetStringValue(cJSON_GetObjectItem(r, "time")));
		if (prev >= 0 && (gap < 0 || t - prev < gap))
			gap = t - prev;
		prev = t;
		n++;
	}
	if (count)
		*count = n;
	return (long)gap;
}
