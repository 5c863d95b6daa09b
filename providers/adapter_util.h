/*
 * adapter_util.h - what every resource adapter (providers/adapter_*.h) shares:
 * the api-versions cmkctl speaks, tolerant reading of ARM JSON, appending to
 * the live model, and sending a write.
 *
 * Reading ARM JSON tolerantly: property names are matched without ASCII case
 * ("KeyVaultProperties" and "keyVaultProperties" are the same member, as ARM
 * treats them), unknown members are ignored, a missing optional member is
 * NULL/0/default, a boolean may come as "true"/"false", a location as a
 * display name ("East US" -> "eastus"), a date as RFC 1123 or ISO 8601 (kept
 * as ISO 8601 UTC).
 *
 * Writing: request bodies are built member by member from what the caller
 * wants, never by echoing a GET body, so no read-only member
 * (provisioningState, clusterId, associatedWorkspaces, createdDate,
 * principalId, ...) is ever sent back; the one adapter that must send a
 * full PUT of a read body (components) strips them explicitly.
 *
 * Ownership: strings written through `char **out` are the caller's (free()).
 * A live_state given as `into` receives appended items; an item that failed
 * half-way stays counted, so live_state_free releases it with the rest.
 */
#ifndef CMK_PROVIDERS_ADAPTER_UTIL_H
#define CMK_PROVIDERS_ADAPTER_UTIL_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "common/error.h"
#include "common/live.h"
#include "providers/arm.h"
#include "providers/lro.h"

/* api-versions (armspec; every one is accepted by armsim). */
#define ADAPTER_API_LA "2026-03-01"            /* Microsoft.OperationalInsights */
#define ADAPTER_API_KEYVAULT "2024-11-01"      /* Microsoft.KeyVault (ARM) */
#define ADAPTER_API_KEYS "7.6"                 /* Key Vault keys data plane */
#define ADAPTER_API_MSI "2026-05-31"           /* Microsoft.ManagedIdentity */
#define ADAPTER_API_KUSTO "2024-04-13"         /* Microsoft.Kusto */
#define ADAPTER_API_COMPONENTS "2020-02-02"    /* Microsoft.Insights/components */
#define ADAPTER_API_COMPONENTS_LEGACY "2015-05-01" /* clusterDefinitionId (seed 000) */
#define ADAPTER_API_AUTHZ "2022-04-01"         /* Microsoft.Authorization */
#define ADAPTER_API_SUBSCRIPTIONS "2022-12-01" /* Microsoft.Resources subscriptions */

/* A member of `obj` by name, ASCII case-insensitive; NULL when absent or
 * when `obj` is not an object. */
const cJSON *adapter_get(const cJSON *obj, const char *name);
/* A dotted path ("properties.keyVaultProperties.keyName"), each step
 * case-insensitive; NULL when any step is missing. */
const cJSON *adapter_path(const cJSON *obj, const char *path);
/* The string at `path`, or NULL when absent, null or not a string. */
const char *adapter_str(const cJSON *obj, const char *path);
/* A boolean at `path`: JSON true/false or the strings "true"/"false" (any
 * case); `dflt` otherwise. */
bool adapter_bool(const cJSON *obj, const char *path, bool dflt);
/* A number at `path` (JSON number or a numeric string, within long long);
 * `dflt` otherwise. */
long long adapter_num(const cJSON *obj, const char *path, long long dflt);

/* strdup that accepts NULL (-> NULL). CMK_ENOMEM on failure. */
int adapter_dup(char **out, const char *s) CMK_WUR;
/* Copy the string at `path` (NULL when absent). */
int adapter_dup_str(char **out, const cJSON *obj, const char *path) CMK_WUR;
/* Copy a location in canonical form ("East US" -> "eastus"); text that is
 * no region name is kept as written. */
int adapter_dup_location(char **out, const char *location) CMK_WUR;
/* Copy a date as ISO 8601 UTC ("2022-11-03T07:31:31Z"): accepts RFC 1123
 * ("Thu, 03 Nov 2022 07:31:31 GMT") and ISO 8601 with or without fraction
 * and offset. Text that is neither is kept as written (a read must not fail
 * on a date). */
int adapter_dup_date(char **out, const char *text) CMK_WUR;
/* Parse a date as above into epoch seconds; CMK_EINVALID when it is not. */
int adapter_parse_date(long long *out, const char *text) CMK_WUR;
/* Format epoch seconds as ISO 8601 UTC into a new string. */
int adapter_iso_from_epoch(char **out, long long epoch) CMK_WUR;

/* Fill an identity ({type, principalId, tenantId, userAssignedIdentities})
 * and tags; both tolerate absence. */
int adapter_identity_parse(live_identity *out, const cJSON *identity) CMK_WUR;
int adapter_tags_parse(live_tags *out, const cJSON *tags) CMK_WUR;
/* The tags object of a request body (NULL -> empty object). */
cJSON *adapter_tags_json(const live_tags *tags);

/* Grow `*items` (of `*count` elements of `size` bytes) by one zeroed
 * element and return it; NULL (and CMK_ENOMEM set) when out of memory. */
void *adapter_append(void *items, size_t *count, size_t size);
#define ADAPTER_APPEND(arr, count) \
	((__typeof__(arr))adapter_append(&(arr), &(count), sizeof(*(arr))))

/* Lower-case copy of `s` into `out` (size bytes, always terminated). */
void adapter_lower(char *out, size_t size, const char *s);

/* The subscription id of a resource id into `out`; CMK_EINVALID when the
 * id names none. */
int adapter_subscription_of(char *out, size_t size, const char *resource_id) CMK_WUR;

/*
 * Send a synchronous write (PUT/PATCH/DELETE/POST) with a JSON body (may be
 * NULL) and return the answer's JSON (*out may be NULL; NULL when the
 * answer had no body). Errors as arm_send, with *err_out (may be NULL) the
 * structured error owned by the caller.
 */
int adapter_write(cJSON **out, arm_client *c, const char *method, const char *url,
		  const char *api_version, const cJSON *body, arm_audience audience,
		  const char *resource_id, arm_error **err_out) CMK_WUR;

/* Start a long-running write (arm_op_begin with a JSON body). */
int adapter_begin(arm_op **out, arm_client *c, arm_op_kind kind, const char *method,
		  const char *url, const char *api_version, const cJSON *body,
		  const char *resource_id, arm_final_via final_via, arm_error **err_out) CMK_WUR;

/* An operation on `id` that is followed by reading the resource's
 * provisioningState (ARM_POLL_RESOURCE), polled at once: how a wait is
 * kept on an operation cmkctl did not start (or has not sent yet).
 * timeout_s 0: the kind's. */
int adapter_resource_op(arm_op **out, arm_op_kind kind, const char *method, const char *id,
			bool observed, int64_t timeout_s) CMK_WUR;

/* GET one resource as JSON; CMK_ENOTFOUND on 404 (message set). */
int adapter_read(cJSON **out, arm_client *c, const char *url, const char *api_version,
		 arm_audience audience, const char *resource_id) CMK_WUR;

/*
 * A paged list run in the client's loop without blocking (arm_submit), for
 * readers that run many reads at once: every item of every page is handed
 * to `item` (which must not keep it), nextLink is followed until absent;
 * `done` runs once at the end with 0 or the error code (message set as the
 * thread's last error at that moment). At most 10000 pages; a nextLink
 * that repeats one already followed is an error (a loop), at once.
 */
typedef int (*adapter_item_fn)(void *ud, const cJSON *item);
typedef void (*adapter_list_done_fn)(void *ud, int rc);
int adapter_list_submit(arm_client *c, const char *url, const char *api_version,
			arm_audience audience, adapter_item_fn item, adapter_list_done_fn done,
			void *ud) CMK_WUR;

/* The blocking form: every item to `item`. */
int adapter_list(arm_client *c, const char *url, const char *api_version, arm_audience audience,
		 adapter_item_fn item, void *ud) CMK_WUR;

#endif
