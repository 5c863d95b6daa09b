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
