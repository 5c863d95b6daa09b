/*
 * conformance.c - example-vs-response comparison (see conformance.h).
 */
#include "conformance.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static bool conf__is_guid(const char *s)
{
	if (!s || strlen(s) < 32 || strlen(s) > 38)
		return false;
	for (const char *p = s; *p; p++)
		if (!isxdigit((unsigned char)*p) && *p != '-')
			return false;
	return true;
}

static bool conf__ignored(const char *key, const cJSON *expected, int depth)
{
	static const char *const ids[] = { "id", "resourceId", "keyVersion" };
	for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
		if (!strcmp(key, ids[i]))
			return true;
	if (depth == 1 && !strcmp(key, "name"))
		return true;
	size_t n = strlen(key);
	if ((n > 4 && !strcmp(key + n - 4, "Date")) || (n > 4 && !strcmp(key + n - 4, "Time")) ||
	    !strcmp(key, "lastSkuUpdate"))
		return true;
	return cJSON_IsString(expected) && conf__is_guid(expected->valuestring);
}

static bool conf__cmp(const cJSON *e, const cJSON *a, char *path, size_t plen, int depth, char *why, size_t wl);

static bool conf__cmp_array(const cJSON *e, const cJSON *a, char *path, size_t plen, int depth, char *why, size_t wl)
{
	int ne = cJSON_GetArraySize(e), na = cJSON_GetArraySize(a);
	if (ne != na) {
		snprintf(why, wl, "%s: expected %d elements, got %d", path, ne, na);
		return false;
	}
	bool used[256] = { false };
	int i = 0;
	const cJSON *x;
	cJSON_ArrayForEach(x, e) {
		bool found = false;
		for (int j = 0; j < na && j < 256 && !found; j++) {
			if (used[j])
				continue;
			char tmp[512];
			if (conf__cmp(x, cJSON_GetArrayItem(a, j), path, plen, depth, tmp, sizeof tmp)) {
				used[j] = true;
				found = true;
			}
		}
		if (!found) {
			/* report the difference against the same position */
			size_t l = strlen(path);
			snprintf(path + l, plen - l, "[%d]", i);
			conf__cmp(x, cJSON_GetArrayItem(a, i), path, plen, depth, why, wl);
			if (!why[0])
				snprintf(why, wl, "%s: no matching element", path);
			path[l] = '\0';
			return false;
		}
		i++;
	}
	return true;
}

static bool conf__cmp(const cJSON *e, const cJSON *a, char *path, size_t plen, int depth, char *why, size_t wl)
{
	why[0] = '\0';
	if (!a) {
		snprintf(why, wl, "%s: missing", path);
		return false;
	}
	if (cJSON_IsObject(e)) {
		if (!cJSON_IsObject(a)) {
			snprintf(why, wl, "%s: expected an object", path);
			return false;
		}
		for (const cJSON *m = e->child; m; m = m->next) {
			const cJSON *am = cJSON_GetObjectItemCaseSensitive(a, m->string);
			size_t l = strlen(path);
			snprintf(path + l, plen - l, ".%s", m->string);
			bool ok;
			if (conf__ignored(m->string, m, depth + 1)) {
				ok = am != NULL;
				if (!ok)
					snprintf(why, wl, "%s: missing", path);
			} else {
				ok = conf__cmp(m, am, path, plen, depth + 1, why, wl);
			}
			path[l] = '\0';
			if (!ok)
				return false;
		}
		return true;
	}
	if (cJSON_IsArray(e)) {
		if (!cJSON_IsArray(a)) {
			snprintf(why, wl, "%s: expected an array", path);
			return false;
		}
		return conf__cmp_array(e, a, path, plen, depth, why, wl);
	}
	if (cJSON_IsString(e)) {
		if (!cJSON_IsString(a) || strcmp(e->valuestring, a->valuestring) != 0) {
			snprintf(why, wl, "%s: expected \"%s\", got %s%s%s", path, e->valuestring,
				 cJSON_IsString(a) ? "\"" : "", cJSON_IsString(a) ? a->valuestring : "(not a string)",
				 cJSON_IsString(a) ? "\"" : "");
			return false;
		}
		return true;
	}
	if (cJSON_IsNumber(e)) {
		if (!cJSON_IsNumber(a) || e->valuedouble != a->valuedouble) {
			snprintf(why, wl, "%s: expected %g, got %g", path, e->valuedouble,
				 cJSON_IsNumber(a) ? a->valuedouble : -1.0);
			return false;
		}
		return true;
	}
	if (cJSON_IsBool(e)) {
		if (!cJSON_IsBool(a) || cJSON_IsTrue(e) != cJSON_IsTrue(a)) {
			snprintf(why, wl, "%s: expected %s", path, cJSON_IsTrue(e) ? "true" : "false");
			return false;
		}
		return true;
	}
	if (cJSON_IsNull(e) && !cJSON_IsNull(a)) {
		snprintf(why, wl, "%s: expected null", path);
		return false;
	}
	return true;
}

bool conformance_compare(const cJSON *expected, const cJSON *actual, char *why, size_t whylen)
{
	char path[1024] = "$";
	why[0] = '\0';
	return conf__cmp(expected, actual, path, sizeof path, 0, why, whylen);
}
