/*
 * auth.h - Azure AD credentials and the token cache (azure-identity names).
 *
 * Kinds, each selectable by name (CMKCTL_CREDENTIAL or arm_client_opts):
 *   client-secret      AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET
 *   workload-identity  AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_FEDERATED_TOKEN_FILE
 *                      (the file is re-read on every refresh: it is rotated)
 *   managed-identity   IDENTITY_ENDPOINT + IDENTITY_HEADER (App Service, Arc),
 *                      MSI_ENDPOINT + MSI_SECRET (older App Service), else IMDS
 *                      at 169.254.169.254 (AZURE_POD_IDENTITY_AUTHORITY_HOST
 *                      overrides); AZURE_CLIENT_ID selects a user-assigned identity
 *   azure-cli          `az account get-access-token --resource <aud> -o json`
 *                      run from PATH, nothing secret in its argv
 *   default            the first of the above that is configured/available, in
 *                      that order (like DefaultAzureCredential); once one has
 *                      produced a token it is kept. A kind that is configured
 *                      (its variables set, or an identity endpoint given) and
 *                      fails - TLS, unreachable, refused - ends the chain with
 *                      its own error. Unavailable means: not configured, IMDS
 *                      not answering the probe, `az` not on PATH or not
 *                      logged in; when every kind is, the error lists each
 *                      one and why.
 * The authority host comes from the cloud (AZURE_AUTHORITY_HOST overrides it).
 *
 * Tokens are cached per audience (ARM, Key Vault) and refreshed when less than
 * min(5 min, 10% of their lifetime) is left (at least 1 s); a caller that got a 401 with a
 * token invalidates it, and the next request fetches a new one. Every secret
 * and token is registered with cmk_log_add_secret and never logged.
 */
#ifndef CMK_PROVIDERS_AUTH_H
#define CMK_PROVIDERS_AUTH_H

#include <time.h>

#include "common/error.h"
#include "providers/http.h"
#include "providers/cloud.h"

typedef enum {
	ARM_CRED_DEFAULT = 0,
	ARM_CRED_CLIENT_SECRET,
	ARM_CRED_WORKLOAD_IDENTITY,
	ARM_CRED_MANAGED_IDENTITY,
	ARM_CRED_AZURE_CLI,
} arm_cred_kind;

/* "client-secret" -> ARM_CRED_CLIENT_SECRET etc. (case-insensitive;
 * "msi"/"imds" accepted for managed-identity, "cli" for azure-cli).
 * CMK_EINVALID listing the valid names otherwise. */
int arm_cred_kind_parse(arm_cred_kind *out, const char *name) CMK_WUR;
const char *arm_cred_kind_name(arm_cred_kind kind);

/* An access token. */
typedef struct {
	char *token;       /* owned */
	time_t expires_on; /* epoch seconds */
	time_t obtained;   /* epoch seconds when it was received */
} arm_token;

/*
 * Parse a token response of any kind: Azure AD v2 (`access_token`,
 * `expires_in` number), IMDS / App Service (numbers as strings: "3599",
 * `expires_on` epoch string), MSI 2017-09-01 (`expires_on` as
 * "09/14/2017 00:00:00 PM +00:00"), Azure CLI (`accessToken`, `expires_on`
 * epoch or `expiresOn` local time). `now` is the receive time.
 * CMK_EINVALID (message names the missing field, never the token) otherwise.
 */
int arm_token_parse(arm_token *out, const char *json, size_t len, time_t now) CMK_WUR;

/* Whether the token must be refreshed at `now`: missing, expired, or less
 * than min(300 s, 10% of its lifetime) - but at least 1 s - left. */
int arm_token_needs_refresh(const arm_token *t, time_t now);

void arm_token_clear(arm_token *t);

/* The credential and its cache. */
typedef struct arm_auth arm_auth;

/* How the credential sends its HTTP requests (the client's loop). Same
 * contract as arm_send. */
typedef int (*arm_auth_send_fn)(arm_response **out, void *ctx, const arm_request *req);

/* `kind_name` NULL: CMKCTL_CREDENTIAL, else "default". Reads the environment
 * now (except the federated token file, read per refresh). */
int arm_auth_new(arm_auth **out, const char *kind_name, const arm_cloud *cloud,
		 arm_auth_send_fn send, void *send_ctx) CMK_WUR;
void arm_auth_free(arm_auth *a);

/* A valid token for `aud` (cached or fetched now); *out stays valid until the
 * next call on `a`. CMK_EAUTH with a message saying which credential failed
 * and why (and, for default, what each kind lacked). */
int arm_auth_get(const char **out, arm_auth *a, arm_audience aud) CMK_WUR;

/* Drop the cached token of `aud` if it is still `token` (a 401 said so). */
void arm_auth_invalidate(arm_auth *a, arm_audience aud, const char *token);

/* The kind in use (for default: the one chosen, once a token was obtained). */
arm_cred_kind arm_auth_kind(const arm_auth *a);

/* Tokens fetched so far (tests and benchmarks). */
unsigned long arm_auth_fetches(const arm_auth *a);

#endif
