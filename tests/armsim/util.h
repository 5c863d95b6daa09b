/*
 * util.h - small helpers shared by armsim modules: seeded randomness and
 * GUIDs (deterministic for a given --seed), case-insensitive strings and
 * JSON lookups, location normalisation, base64url.
 */
#ifndef ARMSIM_UTIL_H
#define ARMSIM_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

void sim_rng_seed(uint64_t seed);
/* Next pseudo-random number (thread-safe; deterministic sequence). */
uint64_t sim_rng_next(void);
/* Uniform in [0,1). */
double sim_rng_double(void);
/* A lower-case GUID "xxxxxxxx-xxxx-4xxx-8xxx-xxxxxxxxxxxx" into out[37]. */
void sim_guid(char out[37]);
/* 32 lower-case hex characters (Key Vault key versions) into out[33]. */
void sim_hex32(char out[33]);

bool sim_streq_ci(const char *a, const char *b);       /* NULL-safe */
bool sim_prefix_ci(const char *s, const char *prefix);
/* Lower-case copy into out (truncates). */
void sim_lower(char *out, size_t outlen, const char *s);
/* "East US" -> "eastus" (ARM location normalisation). */
void sim_location_norm(char *out, size_t outlen, const char *location);
bool sim_location_eq(const char *a, const char *b);
bool sim_is_guid(const char *s);

/* Case-insensitive member (cJSON_GetObjectItem already is; NULL-safe). */
cJSON *sim_json_get(const cJSON *obj, const char *name);
/* Dotted path "properties.keyVaultProperties.keyName", case-insensitive. */
cJSON *sim_json_path(const cJSON *obj, const char *path);
/* String value at path, or NULL when absent or not a string. */
const char *sim_json_str(const cJSON *obj, const char *path);
/* Replace (or add) member `name` of obj, matching existing names
 * case-insensitively (the request's casing is dropped). Takes `item`. */
void sim_json_set(cJSON *obj, const char *name, cJSON *item);
void sim_json_set_str(cJSON *obj, const char *name, const char *value);
/* Get member object `name`, creating an empty one when absent. */
cJSON *sim_json_obj(cJSON *obj, const char *name);
/* Merge-patch `patch` into `target` (RFC 7386, case-insensitive names;
 * null deletes). */
void sim_json_merge(cJSON *target, const cJSON *patch);

/* base64url without padding; caller frees. */
char *sim_b64url(const unsigned char *data, size_t len);
/* Decode base64url (padding optional); caller frees; NULL on error. */
unsigned char *sim_b64url_decode(const char *s, size_t *len_out);

/* Percent-decode a query component into a new string. */
char *sim_url_decode(const char *s, size_t len);

#endif
