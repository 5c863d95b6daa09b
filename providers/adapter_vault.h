/*
 * adapter_vault.h - Key Vault vaults and their access policies
 * (Microsoft.KeyVault/vaults, 2024-11-01), read into live_vault.
 *
 * cmkctl never creates or reconfigures a vault (it verifies that it is
 * recoverable); its only vault writes are access policies for a cluster's
 * identity: add = PUT vaults/{v}/accessPolicies/add with get, wrapKey,
 * unwrapKey on keys, remove = PUT .../accessPolicies/remove (revocation:
 * only on explicit request). Both are synchronous and merge with what the
 * vault holds: other principals' policies are never touched.
 *
 * Defaults of missing members follow the spec: enableSoftDelete true,
 * enablePurgeProtection false, enableRbacAuthorization false.
 */
#ifndef CMK_PROVIDERS_ADAPTER_VAULT_H
#define CMK_PROVIDERS_ADAPTER_VAULT_H

#include <cjson/cJSON.h>

#include "common/error.h"
#include "common/live.h"
#include "providers/arm.h"

/* Append the vault `doc` to into->vaults. */
int adapter_vault_add(live_state *into, const cJSON *doc) CMK_WUR;

/* GET one vault; CMK_ENOTFOUND when it does not exist. */
int adapter_vault_get(live_state *into, arm_client *c, const char *vault_id) CMK_WUR;

/* The body of an accessPolicies add/remove for one principal with key
 * permissions get, wrapKey, unwrapKey (*out owned by the caller). */
int adapter_access_policy_body(cJSON **out, const char *tenant_id,
			       const char *object_id) CMK_WUR;

/* PUT accessPolicies/add (grant) or /remove (revoke) for `object_id` of
 * `tenant_id`. *out (may be NULL) gets the answer's body. */
int adapter_access_policy_grant(cJSON **out, arm_client *c, const char *vault_id,
				const char *tenant_id, const char *object_id,
				arm_error **err_out) CMK_WUR;
int adapter_access_policy_revoke(cJSON **out, arm_client *c, const char *vault_id,
				 const char *tenant_id, const char *object_id,
				 arm_error **err_out) CMK_WUR;

#endif
