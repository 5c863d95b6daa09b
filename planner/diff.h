/*
 * diff.h - small pure comparisons the planner's diff uses and the executor
 * and drift reports can reuse, so "is this the same" has one answer.
 *
 * The diff itself (desired manifests against the live model, producing
 * resources, steps, preflight blocks and findings) is plan_build in
 * planner/plan.h, implemented in diff.c (the order of the passes) and one
 * diff_<kind>.c per resource kind around diff_internal.h.
 */
#ifndef CMK_DIFF_H
#define CMK_DIFF_H

#include <stdbool.h>
#include <time.h>

#include "common/error.h"
#include "common/live.h"

/* Whether a provisioning state is terminal (Succeeded, Failed, Canceled,
 * compared without case; NULL counts as Succeeded, as ARM says). */
bool diff_state_terminal(const char *state);

/* Two vault URIs name the same vault: case-insensitive, trailing '/'
 * ignored. NULL equals only NULL. */
bool diff_vault_uri_equal(const char *a, const char *b);

/* Key versions: NULL and "" are the same (versionless). */
bool diff_key_version_equal(const char *a, const char *b);

/*
 * Parse a timestamp as Azure writes them: ISO 8601 ("2026-11-01T10:00:00Z",
 * fractional seconds and "+hh:mm" offsets allowed) or RFC 1123 ("Thu, 03
 * Nov 2022 07:31:31 GMT"). CMK_EINVALID when neither.
 */
int diff_parse_time(time_t *out, const char *text) CMK_WUR;

/* Format `t` as "2026-11-01T10:00:00Z" into `out` (at least 21 bytes). */
void diff_format_time(char *out, size_t size, time_t t);

/*
 * Whether `principal` may use keys of `vault`: on an RBAC vault, a role
 * assignment of Key Vault Crypto Service Encryption User at the vault,
 * the key (`key_id`, may be NULL) or a parent scope; otherwise an access
 * policy granting get, wrapKey and unwrapKey. When it may not, and
 * `missing` is not NULL, writes what is missing ("wrapKey, unwrapKey",
 * "no access policy", "no role assignment") into it.
 */
bool diff_principal_has_key_access(const live_state *live, const live_vault *vault,
				   const char *key_id, const char *principal, char *missing,
				   size_t missing_size);

#endif
