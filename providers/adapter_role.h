/*
 * adapter_role.h - Azure RBAC role assignments
 * (Microsoft.Authorization/roleAssignments, 2022-04-01) for vaults that use
 * RBAC authorization: the cluster's identity gets "Key Vault Crypto Service
 * Encryption User" at the key or vault scope.
 *
 * The assignment's name is a name-based (version 5, SHA-1) UUID of the
 * scope, the principal and the role, all lower-cased, so a retried or
 * repeated grant PUTs the same resource and can never create a duplicate.
 * A 409 RoleAssignmentExists (the same grant made by someone else under
 * another name) means the access is there: it is success.
 */
#ifndef CMK_PROVIDERS_ADAPTER_ROLE_H
#define CMK_PROVIDERS_ADAPTER_ROLE_H

#include <cjson/cJSON.h>

#include "common/error.h"
#include "common/live.h"
#include "providers/arm.h"

/* Key Vault Crypto Service Encryption User */
#define ADAPTER_ROLE_KV_CRYPTO_SERVICE_ENCRYPTION "e147488a-f6f5-4113-8e2d-b22465e65bf6"

/* The deterministic assignment name (36 characters + NUL into out[37]). */
void adapter_role_assignment_name(char out[37], const char *scope, const char *principal_id,
				  const char *role_guid);

/* Append an assignment `doc` to into->role_assignments. */
int adapter_role_assignment_add(live_state *into, const cJSON *doc) CMK_WUR;

/* Every assignment that applies at `scope` or below it (one paged list). */
int adapter_role_assignment_list(live_state *into, arm_client *c, const char *scope) CMK_WUR;

/* The PUT body {properties: {roleDefinitionId, principalId, principalType:
 * "ServicePrincipal"}} (*out owned by the caller). */
int adapter_role_assignment_body(cJSON **out, const char *scope, const char *principal_id,
				 const char *role_guid) CMK_WUR;

/* PUT the assignment of `role_guid` to `principal_id` at `scope`; *out (may
 * be NULL) gets the assignment's body (NULL when it already existed under
 * another name). */
int adapter_role_assign(cJSON **out, arm_client *c, const char *scope,
			const char *principal_id, const char *role_guid,
			arm_error **err_out) CMK_WUR;

/* DELETE the deterministic assignment (absent is success). */
int adapter_role_unassign(arm_client *c, const char *scope, const char *principal_id,
			  const char *role_guid, arm_error **err_out) CMK_WUR;

#endif
