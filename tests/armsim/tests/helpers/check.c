/*
 * check.c - shared assertions for armsim's tests (see check.h).
 */
#include "check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"

armsim *g_sim;

int check_start(const char *fixture, double time_scale)
{
	char path[1024];
	armsim_opts o = { 0 };
	if (fixture) {
		snprintf(path, sizeof path, "%s/%s", ARMSIM_FIXTURES, fixture);
		o.fixture = path;
	}
	o.time_scale = time_scale;
	if (armsim_start(&g_sim, &o) < 0) {
		fprintf(stderr, "armsim_start: %s\n", cmk_error_last());
		return -1;
	}
	return 0;
}

int check_stop(void **state)
{
	(void)state;
	int rc = armsim_stop(g_sim);
	g_sim = NULL;
	/* a sanitizer report from armsim fails the suite */
	return rc < 0 ? -1 : 0;
}

armsim_http_resp check_arm(const char *method, const char *path, const char *body)
{
	armsim_http_resp r;
	if (armsim_arm(&r, g_sim, method, path, body) < 0)
		fail_msg("%s %s: %s", method, path, cmk_error_last());
	return r;
}

char *check_fmt(const char *fmt, ...)
{
	static _Thread_local char bufs[8][8192];
	static _Thread_local int next;
	char *b = bufs[next++ % 8];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(b, sizeof bufs[0], fmt, ap);
	va_end(ap);
	return b;
}

const cJSON *check_get(const cJSON *o, const char *path)
{
	char seg[256];
	const char *p = path;
	while (o && p && *p) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		snprintf(seg, sizeof seg, "%.*s", (int)n, p);
		o = cJSON_GetObjectItemCaseSensitive(o, seg);
		p = dot ? dot + 1 : NULL;
	}
	return o;
}

const char *check_str(const cJSON *o, const char *path)
{
	const cJSON *v = check_get(o, path);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

double check_num(const cJSON *o, const char *path)
{
	const cJSON *v = check_get(o, path);
	return cJSON_IsNumber(v) ? v->valuedouble : -1e300;
}

void check_error(const armsim_http_resp *r, long status, const char *code, const char *message)
{
	if (r->status != status)
		fail_msg("expected HTTP %ld, got %ld: %s", status, r->status, r->body);
	const char *c = check_str(r->json, "error.code"), *m = check_str(r->json, "error.message");
	if (code && (!c || strcmp(c, code) != 0))
		fail_msg("expected error code %s, got %s (%s)", code, c ? c : "(none)", r->body);
	if (message && (!m || strcmp(m, message) != 0))
		fail_msg("expected message\n  %s\ngot\n  %s", message, m ? m : "(none)");
}

cJSON *check_admin(const char *method, const char *path, const char *body)
{
	cJSON *out = NULL;
	int st = armsim_admin(g_sim, method, path, body, &out);
	if (st < 200 || st > 299) {
		char *txt = out ? cJSON_PrintUnformatted(out) : NULL;
		fail_msg("admin %s %s: HTTP %d %s (%s)", method, path, st, txt ? txt : "", cmk_error_last());
	}
	return out;
}

void check_advance(double seconds)
{
	if (armsim_advance(g_sim, seconds) < 0)
		fail_msg("clock advance: %s", cmk_error_last());
}

int check_run_group(const char *name, const struct CMUnitTest *tests, size_t n,
		    CMFixtureFunction group_setup, CMFixtureFunction group_teardown)
{
	struct CMUnitTest *run = calloc(n ? n : 1, sizeof *run);
	if (!run)
		return -1;
	memcpy(run, tests, n * sizeof *run);
	const char *order = getenv("CHECK_TEST_ORDER"), *filter = getenv("CHECK_TEST_FILTER");
	if (order && !strcmp(order, "reverse")) {
		for (size_t i = 0; i < n / 2; i++) {
			struct CMUnitTest t = run[i];
			run[i] = run[n - 1 - i];
			run[n - 1 - i] = t;
		}
	} else if (order && !strncmp(order, "shuffle:", 8)) {
		/* a seeded Fisher-Yates: the same seed gives the same order */
		uint64_t x = (uint64_t)strtoull(order + 8, NULL, 10) * 2654435761ULL + 1;
		for (size_t i = n; i > 1; i--) {
			x = x * 6364136223846793005ULL + 1442695040888963407ULL;
			size_t j = (size_t)((x >> 33) % i);
			struct CMUnitTest t = run[i - 1];
			run[i - 1] = run[j];
			run[j] = t;
		}
	}
	if (order)
		for (size_t i = 0; i < n; i++)
			fprintf(stderr, "order %zu: %s\n", i, run[i].name);
	if (filter && *filter)
		cmocka_set_test_filter(filter);
	int rc = _cmocka_run_group_tests(name, run, n, group_setup, group_teardown);
	free(run);
	return rc;
}

const char *check_ws_cluster(const char *ws)
{
	static char buf[1024];
	armsim_http_resp r = check_arm("GET", check_fmt(RGP "/workspaces/%s?api-version=2021-06-01", ws), NULL);
	assert_int_equal(r.status, 200);
	const char *c = check_str(r.json, "properties.features.clusterResourceId");
	snprintf(buf, sizeof buf, "%s", c ? c : "");
	armsim_http_free(&r);
	return buf;
}
