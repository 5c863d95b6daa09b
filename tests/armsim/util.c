/*
 * util.c - seeded randomness, GUIDs, case-insensitive strings and JSON
 * lookups, base64url (see util.h).
 */
#include "util.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static pthread_mutex_t rng_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

void sim_rng_seed(uint64_t seed)
{
	pthread_mutex_lock(&rng_lock);
	rng_state = seed ? seed * 0x9e3779b97f4a7c15ull : 0x9e3779b97f4a7c15ull;
	pthread_mutex_unlock(&rng_lock);
}

uint64_t sim_rng_next(void)
{
	/* splitmix64: tiny, good enough, deterministic per seed */
	pthread_mutex_lock(&rng_lock);
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
	pthread_mutex_unlock(&rng_lock);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

double sim_rng_double(void)
{
	return (double)(sim_rng_next() >> 11) / (double)(1ull << 53);
}

void sim_guid(char out[37])
{
	uint64_t a = sim_rng_next(), b = sim_rng_next();
	snprintf(out, 37, "%08x-%04x-4%03x-%04x-%012llx", (unsigned)(a >> 32),
		 (unsigned)((a >> 16) & 0xffff), (unsigned)(a & 0xfff),
		 (unsigned)(0x8000 | ((b >> 48) & 0x3fff)),
		 (unsigned long long)(b & 0xffffffffffffull));
}

void sim_hex32(char out[33])
{
	uint64_t a = sim_rng_next(), b = sim_rng_next();
	snprintf(out, 33, "%016llx%016llx", (unsigned long long)a, (unsigned long long)b);
}

bool sim_streq_ci(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcasecmp(a, b) == 0;
}

bool sim_prefix_ci(const char *s, const char *prefix)
{
	return s && prefix && strncasecmp(s, prefix, strlen(prefix)) == 0;
}

void sim_lower(char *out, size_t outlen, const char *s)
{
	size_t i = 0;
	if (!outlen)
		return;
	for (; s && s[i] && i + 1 < outlen; i++)
		out[i] = (char)tolower((unsigned char)s[i]);
	out[i] = '\0';
}

void sim_location_norm(char *out, size_t outlen, const char *location)
{
	size_t o = 0;
	if (!outlen)
		return;
	for (const char *p = location ? location : ""; *p && o + 1 < outlen; p++)
		if (!isspace((unsigned char)*p))
			out[o++] = (char)tolower((unsigned char)*p);
	out[o] = '\0';
}

bool sim_location_eq(const char *a, const char *b)
{
	char x[128], y[128];
	sim_location_norm(x, sizeof x, a);
	sim_location_norm(y, sizeof y, b);
	return strcmp(x, y) == 0;
}

bool sim_is_guid(const char *s)
{
	static const int dash[] = { 8, 13, 18, 23 };
	if (!s || strlen(s) != 36)
		return false;
	for (int i = 0, d = 0; i < 36; i++) {
		if (d < 4 && i == dash[d]) {
			if (s[i] != '-')
				return false;
			d++;
		} else if (!isxdigit((unsigned char)s[i])) {
			return false;
		}
	}
	return true;
}

cJSON *sim_json_get(const cJSON *obj, const char *name)
{
	if (!obj || !cJSON_IsObject(obj) || !name)
		return NULL;
	return cJSON_GetObjectItem(obj, name);
}

cJSON *sim_json_path(const cJSON *obj, const char *path)
{
	char seg[128];
	const cJSON *cur = obj;
	const char *p = path;
	while (cur && p && *p) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		if (n >= sizeof seg)
			return NULL;
		memcpy(seg, p, n);
		seg[n] = '\0';
		cur = sim_json_get(cur, seg);
		p = dot ? dot + 1 : NULL;
	}
	return (cJSON *)cur;
}

const char *sim_json_str(const cJSON *obj, const char *path)
{
	cJSON *v = sim_json_path(obj, path);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

void sim_json_set(cJSON *obj, const char *name, cJSON *item)
{
	if (!obj || !item)
		return;
	if (cJSON_GetObjectItem(obj, name))
		cJSON_DeleteItemFromObject(obj, name);
	cJSON_AddItemToObject(obj, name, item);
}

void sim_json_set_str(cJSON *obj, const char *name, const char *value)
{
	sim_json_set(obj, name, value ? cJSON_CreateString(value) : cJSON_CreateNull());
}

cJSON *sim_json_obj(cJSON *obj, const char *name)
{
	cJSON *o = cJSON_GetObjectItem(obj, name);
	if (cJSON_IsObject(o))
		return o;
	o = cJSON_CreateObject();
	sim_json_set(obj, name, o);
	return o;
}

void sim_json_merge(cJSON *target, const cJSON *patch)
{
	if (!cJSON_IsObject(target) || !cJSON_IsObject(patch))
		return;
	for (const cJSON *m = patch->child; m; m = m->next) {
		cJSON *cur = cJSON_GetObjectItem(target, m->string);
		if (cJSON_IsNull(m)) {
			if (cur)
				cJSON_DeleteItemFromObject(target, m->string);
		} else if (cJSON_IsObject(m) && cJSON_IsObject(cur)) {
			sim_json_merge(cur, m);
		} else if (cur) {
			/* keep the stored casing of the name */
			char *name = strdup(cur->string);
			cJSON_ReplaceItemInObject(target, name, cJSON_Duplicate(m, 1));
			free(name);
		} else {
			cJSON_AddItemToObject(target, m->string, cJSON_Duplicate(m, 1));
		}
	}
}

static const char b64u[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

char *sim_b64url(const unsigned char *d, size_t len)
{
	char *out = malloc(len * 4 / 3 + 4);
	size_t o = 0, i = 0;
	if (!out)
		return NULL;
	for (; i + 2 < len; i += 3) {
		unsigned v = (unsigned)d[i] << 16 | (unsigned)d[i + 1] << 8 | d[i + 2];
		out[o++] = b64u[v >> 18];
		out[o++] = b64u[(v >> 12) & 63];
		out[o++] = b64u[(v >> 6) & 63];
		out[o++] = b64u[v & 63];
	}
	if (len - i == 1) {
		unsigned v = (unsigned)d[i] << 16;
		out[o++] = b64u[v >> 18];
		out[o++] = b64u[(v >> 12) & 63];
	} else if (len - i == 2) {
		unsigned v = (unsigned)d[i] << 16 | (unsigned)d[i + 1] << 8;
		out[o++] = b64u[v >> 18];
		out[o++] = b64u[(v >> 12) & 63];
		out[o++] = b64u[(v >> 6) & 63];
	}
	out[o] = '\0';
	return out;
}

static int b64val(int c)
{
	if (c >= 'A' && c <= 'Z') return c - 'A';
	if (c >= 'a' && c <= 'z') return c - 'a' + 26;
	if (c >= '0' && c <= '9') return c - '0' + 52;
	if (c == '-' || c == '+') return 62;
	if (c == '_' || c == '/') return 63;
	return -1;
}

unsigned char *sim_b64url_decode(const char *s, size_t *len_out)
{
	size_t n = strlen(s), o = 0;
	unsigned char *out = malloc(n * 3 / 4 + 3);
	unsigned acc = 0;
	int bits = 0;
	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '=')
			break;
		int v = b64val((unsigned char)s[i]);
		if (v < 0) {
			free(out);
			return NULL;
		}
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)((acc >> bits) & 0xff);
		}
	}
	*len_out = o;
	return out;
}

char *sim_url_decode(const char *s, size_t len)
{
	char *out = malloc(len + 1);
	size_t o = 0;
	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '%' && i + 2 < len + 0 + 1 && i + 2 <= len - 1 + 0 &&
		    isxdigit((unsigned char)s[i + 1]) && isxdigit((unsigned char)s[i + 2])) {
			char hex[3] = { s[i + 1], s[i + 2], 0 };
			out[o++] = (char)strtol(hex, NULL, 16);
			i += 2;
		} else if (s[i] == '+') {
			out[o++] = ' ';
		} else {
			out[o++] = s[i];
		}
	}
	out[o] = '\0';
	return out;
}
