/*
 * auth.h - Azure AD as armsim plays it: principals with credentials, the
 * token endpoints (client secret, federated client assertion, IMDS, App
 * Service MSI), RS256 JWTs signed with a key made at start, validation of
 * bearer tokens on ARM and Key Vault, and role-based access control.
 *
 * Audiences are the real ones: ARM "https://management.azure.com/" (also
 * accepted: without slash, management.core.windows.net forms), Key Vault
 * "https://vault.azure.net". Tokens carry aud, iss, tid, oid, appid, iat,
 * nbf, exp; lifetime is --token-lifetime seconds of *real* time (tokens are
 * about the client's clock, not the virtual one).
 */
#ifndef ARMSIM_AUTH_H
#define ARMSIM_AUTH_H

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "http.h"

#define ARM_AUDIENCE "https://management.azure.com/"
#define KV_AUDIENCE "https://vault.azure.net"
#define HSM_AUDIENCE "https://managedhsm.azure.net"

typedef enum {
	SIM_PRINCIPAL_APP = 0,   /* service principal of an app registration */
	SIM_PRINCIPAL_MSI,       /* managed identity (system or user assigned) */
	SIM_PRINCIPAL_USER,
} sim_principal_kind;

typedef struct sim_principal {
	sim_principal_kind kind;
	char tenant_id[64];
	char client_id[64];   /* appid */
	char object_id[64];   /* oid */
	char display_name[128];
	char *secret;         /* client secret, or NULL */
	cJSON *federated;     /* [{issuer, subject, audiences[]}] or NULL */
	char *msi_resource_id;/* managed identities: the owning resource id */
	bool disabled;
	int64_t created_ms;   /* virtual ms it was made at run time; 0 = from the start (fixture) */
} sim_principal;

/* Start: make the signing key. 0 or CMK_E*. */
int auth_init(void);
/* Register the token/IMDS/metadata/subscription routes. */
void auth_register_routes(void);

/* Has Azure AD replicated `p` to Key Vault and role assignments yet
 * (setting principalReplicationSeconds after a principal made at run time)?
 * true for NULL's callers to decide, and for principals of the fixture. */
bool auth_principal_replicated(const sim_principal *p);
/* Every principal counts as replicated (a fixture or state load). */
void auth_principals_settle(void);

/* The tenant armsim serves by default (fixture "tenantId"). */
const char *auth_default_tenant(void);
void auth_set_default_tenant(const char *tenant_id);

/* Principals (store lock held). add copies `p` (deep) and returns the
 * stored one. */
sim_principal *auth_principal_add(const sim_principal *p);
sim_principal *auth_principal_by_client_id(const char *client_id);
sim_principal *auth_principal_by_object_id(const char *object_id);
/* A new managed-identity principal for `resource_id` (fresh oid and appid);
 * used for system-assigned identities and user-assigned identities. */
sim_principal *auth_principal_new_msi(const char *tenant_id, const char *resource_id);
void auth_principal_remove(const char *object_id);
/* Dump/load helpers: principals as a fixture array; load appends. */
cJSON *auth_principals_dump(void);
int auth_principals_load(const cJSON *arr);
void auth_clear(void);

/* The identity IMDS / App Service endpoints hand out when no client_id /
 * object_id / msi_res_id selects another (fixture "hostIdentity"). */
void auth_set_host_identity(const char *client_id);
/* The secret App Service clients send as X-IDENTITY-HEADER (or MSI_SECRET
 * as "secret"); made at start and published in the ready line. */
void auth_set_identity_header(const char *value);

/* Sign a token for `p` and `audience` (caller frees). expires_on_out gets
 * the exp claim. */
char *auth_token_issue(const sim_principal *p, const char *audience, long *expires_on_out);

/* Validate the request's bearer token for `audience`. On success fills
 * req->caller and returns true; else fills resp with the 401 of the plane
 * (dataplane = Key Vault style) and returns false. */
bool auth_check_bearer(sim_req *req, sim_resp *resp, const char *audience, bool dataplane);
/* The 401 of an expired token, whatever the request's token (fault "401"):
 * ARM's ExpiredAuthenticationToken with its WWW-Authenticate
 * authorization_uri challenge, or on the Key Vault data plane AKV10021 with
 * the authorization/resource challenge. */
void auth_fault_401(const sim_req *req, sim_resp *resp);

/* --- RBAC ------------------------------------------------------------------- */

/* Built-in role definitions: name -> guid, actions, dataActions. Returns
 * the role definition guid for a role name or id (full id or guid), or
 * NULL when unknown. */
const char *rbac_role_guid(const char *name_or_id);
/* Display name of a role guid, or NULL. */
const char *rbac_role_name(const char *guid);
/* Full role definition id for a subscription scope. */
void rbac_role_definition_id(char *out, size_t outlen, const char *subscription_id,
			     const char *guid);
/* Does `object_id` hold a role assignment on `scope` (or any parent) whose
 * role grants `action` (ARM actions) ... */
bool rbac_allowed(const char *object_id, const char *scope, const char *action);
/* ... or `data_action` (data actions, e.g. Microsoft.KeyVault/vaults/keys/wrap/action). */
bool rbac_data_allowed(const char *object_id, const char *scope, const char *data_action);
/* Create a role assignment resource (fixture sugar and tests). Returns 0 or
 * CMK_EINVALID for an unknown role. */
int rbac_assign(const char *scope, const char *role, const char *principal_id,
		const char *principal_type);
/* ARM's linked access check: a write that references another resource
 * (a cluster a workspace links to, an identity a cluster uses) needs
 * `linked_action` on that resource too. Returns true when allowed, else
 * fills resp with 403 LinkedAuthorizationFailed and returns false. */
bool rbac_linked_check(const sim_req *req, sim_resp *resp, const char *linked_action,
		       const char *linked_scope);
/* Fill resp with ARM's 403 AuthorizationFailed for the caller. */
void rbac_forbidden(sim_resp *resp, const sim_caller *caller, const char *action,
		    const char *scope);

#endif
