/*
 * rp_testutil.h - helpers shared by the resource-provider tests of
 * armsim (Key Vault, keys data plane, RBAC, managed identity, Kusto,
 * Application Insights): reading armspec examples, comparing a response
 * with an example, data-plane requests and tokens.
 *
 * Comparison rule (rp_match): every member the example shows must be in
 * the response with the same value (objects recursively, arrays element by
 * element and of the same length); members the response has beyond the
 * example are allowed (real responses carry more than the examples). Paths
 * listed as "aside" (ids, generated values, timestamps) only have to be
 * present; "?path" ones may also be absent (values an example shows that
 * the request cannot produce; each use says why). Vault hosts are compared in their Azure form: the response's
 * "https://<vault>.vault.localhost:PORT" is read as
 * "https://<vault>.vault.azure.net".
 *
 * Header-only (static functions) so that each test executable stays one
 * file plus the shared check helpers.
 */
#ifndef ARMSIM_RP_TESTUTIL_H
#define ARMSIM_RP_TESTUTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "check.h"
#include "common/buf.h"

/* The parsed example file under ARMSPEC_DIR/examples (caller frees). */
static __attribute__((unused)) cJSON *rp_example(const char *rel)
{
	char path[1024];
	cmk_buf b = CMK_BUF_INIT;
	snprintf(path, sizeof path, "%s/examples/%s", ARMSPEC_DIR, rel);
	if (cmk_buf_read_file(&b, path) < 0)
		fail_msg("cannot read example %s: %s", path, cmk_error_last());
	cJSON *j = cJSON_ParseWithLength(b.ptr, b.len);
	cmk_buf_free(&b);
	if (!j)
		fail_msg("example %s is not JSON", path);
	return j;
}

/* Member of an example by path of exact names ("responses.200.body"). */
static __attribute__((unused)) const cJSON *rp_at(const cJSON *o, const char *path)
{
	const cJSON *v = check_get(o, path);
	if (!v)
		fail_msg("example has no %s", path);
	return v;
}

/* An example's request body ("parameters.<name>") printed (caller frees). */
static __attribute__((unused)) char *rp_body(const cJSON *ex, const char *param)
{
	char path[128];
	snprintf(path, sizeof path, "parameters.%s", param);
	return cJSON_PrintUnformatted(rp_at(ex, path));
}

/* 0: compared; 1: aside, must be present; 2: aside, may be absent ("?path"). */
static __attribute__((unused)) int rp__aside(const char *path, const char *const *aside)
{
	for (int i = 0; aside && aside[i]; i++) {
		if (!strcmp(aside[i], path))
			return 1;
		if (aside[i][0] == '?' && !strcmp(aside[i] + 1, path))
			return 2;
	}
	return 0;
}

/* "https://kv.vault.localhost:1234/..." -> "https://kv.vault.azure.net/..." */
static __attribute__((unused)) void rp__azure_host(char *out, size_t len, const char *s)
{
	const char *m = strstr(s, ".vault.localhost:");
	if (!m) {
		snprintf(out, len, "%s", s);
		return;
	}
	const char *rest = m + strlen(".vault.localhost:");
	while (*rest >= '0' && *rest <= '9')
		rest++;
	snprintf(out, len, "%.*s.vault.azure.net%s", (int)(m - s), s, rest);
}

static __attribute__((unused)) void rp__match(const cJSON *want, const cJSON *got, const char *path, const char *const *aside)
{
	char sub[512];
	int as = rp__aside(path, aside);
	if (!got && as == 2)
		return;
	if (!got)
		fail_msg("response lacks %s (example: %s)", path[0] ? path : "(body)", cJSON_PrintUnformatted(want));
	if (as)
		return;
	if (cJSON_IsObject(want)) {
		if (!cJSON_IsObject(got))
			fail_msg("%s: expected an object", path);
		const cJSON *w;
		cJSON_ArrayForEach(w, want) {
			snprintf(sub, sizeof sub, "%s%s%s", path, path[0] ? "." : "", w->string);
			rp__match(w, cJSON_GetObjectItemCaseSensitive(got, w->string), sub, aside);
		}
		return;
	}
	if (cJSON_IsArray(want)) {
		if (!cJSON_IsArray(got) || cJSON_GetArraySize(got) != cJSON_GetArraySize(want))
			fail_msg("%s: expected %s, got %s", path, cJSON_PrintUnformatted(want), cJSON_PrintUnformatted(got));
		for (int i = 0; i < cJSON_GetArraySize(want); i++) {
			snprintf(sub, sizeof sub, "%s[%d]", path, i);
			rp__match(cJSON_GetArrayItem(want, i), cJSON_GetArrayItem(got, i), sub, aside);
		}
		return;
	}
	if (cJSON_IsString(want)) {
		char g[4096];
		if (!cJSON_IsString(got))
			fail_msg("%s: expected \"%s\", got %s", path, want->valuestring, cJSON_PrintUnformatted(got));
		rp__azure_host(g, sizeof g, got->valuestring);
		if (strcmp(g, want->valuestring))
			fail_msg("%s: expected \"%s\", got \"%s\"", path, want->valuestring, got->valuestring);
		return;
	}
	if (cJSON_IsNumber(want)) {
		if (!cJSON_IsNumber(got) || got->valuedouble != want->valuedouble)
			fail_msg("%s: expected %g, got %s", path, want->valuedouble, cJSON_PrintUnformatted(got));
		return;
	}
	if (cJSON_IsBool(want)) {
		if (!cJSON_IsBool(got) || cJSON_IsTrue(got) != cJSON_IsTrue(want))
			fail_msg("%s: expected %s", path, cJSON_IsTrue(want) ? "true" : "false");
		return;
	}
	if (cJSON_IsNull(want) && !cJSON_IsNull(got))
		fail_msg("%s: expected null", path);
}

/* Assert that the response body matches the example body (rule above). */
static __attribute__((unused)) void rp_match(const cJSON *example_body, const cJSON *got, const char *const *aside)
{
	rp__match(example_body, got, "", aside);
}

/* Assert an HTTP status with the body in the failure message. */
#define rp_status(r, want)                                                                      \
	do {                                                                                    \
		if ((r)->status != (want))                                                      \
			fail_msg("expected HTTP %d, got %ld: %s", (int)(want), (r)->status, (r)->body); \
	} while (0)

/* A token of `client_id` for `scope` (cached per client and scope for the
 * test executable's lifetime). */
static __attribute__((unused)) const char *rp_token(const char *client_id, const char *secret, const char *scope)
{
	static struct { char key[1024]; char *tok; } cache[16];
	char key[1024];
	/* per instance: each armsim signs with its own key */
	snprintf(key, sizeof key, "%s %s %s", client_id, scope, g_sim->dir);
	for (int i = 0; i < 16; i++)
		if (cache[i].tok && !strcmp(cache[i].key, key))
			return cache[i].tok;
	char *tok = NULL;
	if (armsim_token(&tok, g_sim, client_id, secret, scope) < 0)
		fail_msg("token for %s: %s", client_id, cmk_error_last());
	for (int i = 0; i < 16; i++)
		if (!cache[i].tok) {
			snprintf(cache[i].key, sizeof cache[i].key, "%s", key);
			cache[i].tok = tok;
			return tok;
		}
	return tok; /* leaks past 16 distinct tokens; fine for a test */
}

/* A data-plane request to host `<name>.<zone>.localhost` ("vault",
 * "managedhsm") with path and query ("/keys/k?api-version=7.4"). */
static __attribute__((unused)) armsim_http_resp rp_dataplane(const char *bearer, const char *method, const char *zone,
							     const char *name, const char *path_query, const char *body)
{
	char url[1024];
	armsim_http_resp r;
	snprintf(url, sizeof url, "https://%s.%s.localhost:%d%s", name, zone, g_sim->port, path_query);
	if (armsim_http(&r, g_sim, method, url, bearer, body, NULL) < 0)
		fail_msg("%s %s: %s", method, url, cmk_error_last());
	return r;
}

/* A Key Vault data-plane request to `vault` ("/keys/k?api-version=7.4"). */
static __attribute__((unused)) armsim_http_resp rp_kv(const char *bearer, const char *method, const char *vault,
			      const char *path_query, const char *body)
{
	return rp_dataplane(bearer, method, "vault", vault, path_query, body);
}

/* An ARM request with a bearer of choice. */
static __attribute__((unused)) armsim_http_resp rp_arm_as(const char *bearer, const char *method, const char *path, const char *body)
{
	armsim_http_resp r;
	if (armsim_http(&r, g_sim, method, path, bearer, body, NULL) < 0)
		fail_msg("%s %s: %s", method, path, cmk_error_last());
	return r;
}

/* Key Vault error: status, code, innererror code (NULL = none) and message
 * (NULL = not checked). */
static __attribute__((unused)) void rp_kv_error(const armsim_http_resp *r, long status, const char *code, const char *inner,
			const char *message)
{
	check_error(r, status, code, message);
	const char *i = check_str(r->json, "error.innererror.code");
	if (inner && (!i || strcmp(i, inner)))
		fail_msg("expected innererror %s, got %s (%s)", inner, i ? i : "(none)", r->body);
	if (!inner && i)
		fail_msg("unexpected innererror %s", i);
}

#endif
