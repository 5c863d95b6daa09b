/*
 * cloud.h - which Azure cloud cmkctl talks to: ARM endpoint, token authority,
 * Key Vault DNS suffix and the token audiences of both.
 *
 * Three named profiles (AzureCloud, AzureUSGovernment, AzureChinaCloud) and a
 * `custom` profile assembled from flags or the environment, which is what a
 * sovereign or private cloud, and armsim, need:
 *
 *   CMKCTL_CLOUD                AzureCloud | AzureUSGovernment | AzureChinaCloud | custom
 *   CMKCTL_ARM_ENDPOINT         https://management.example (custom: required)
 *   CMKCTL_ARM_AUDIENCE         token audience for ARM (custom: defaults to the endpoint)
 *   CMKCTL_KEYVAULT_DNS_SUFFIX  vault.example (custom: Key Vault calls refused when unset)
 *   CMKCTL_KEYVAULT_AUDIENCE    token audience for Key Vault (default: the profile's;
 *                               custom: https://vault.azure.net, as armsim expects)
 *   AZURE_AUTHORITY_HOST        overrides the authority host of any profile
 *
 * Flags win over the environment, the environment over the named profile.
 */
#ifndef CMK_PROVIDERS_CLOUD_H
#define CMK_PROVIDERS_CLOUD_H

#include <cjson/cJSON.h>

#include "common/error.h"

/* A resolved cloud. All strings are owned by the value and never end in '/'.
 * `keyvault_suffix` has no leading dot ("vault.azure.net") and may be NULL
 * for a custom cloud without Key Vault. */
typedef struct {
	char *name;              /* "AzureCloud", ..., or "custom" */
	char *arm_endpoint;      /* "https://management.azure.com" */
	char *arm_audience;      /* "https://management.azure.com" (scope: + "/.default") */
	char *authority_host;    /* "https://login.microsoftonline.com" */
	char *keyvault_suffix;   /* "vault.azure.net" */
	char *keyvault_audience; /* "https://vault.azure.net" */
} arm_cloud;

/* Explicit settings (command-line flags). Any field may be NULL: it then comes
 * from the environment, then from the named profile. */
typedef struct {
	const char *name;
	const char *arm_endpoint;
	const char *arm_audience;
	const char *authority_host;
	const char *keyvault_suffix;
	const char *keyvault_audience;
} arm_cloud_settings;

/* Build the cloud from `settings` (may be NULL) and the environment.
 * Fails with CMK_EINVALID naming the variable or flag when a name is unknown,
 * a custom cloud has no ARM endpoint, or an endpoint is not an http(s) URL.
 * *out is owned by the caller: arm_cloud_free. */
int arm_cloud_resolve(arm_cloud **out, const arm_cloud_settings *settings) CMK_WUR;

/* The named profile `name` (case-insensitive), without environment overrides.
 * CMK_ENOTFOUND for unknown names. */
int arm_cloud_named(arm_cloud **out, const char *name) CMK_WUR;

/* Build a cloud from the document ARM serves at
 * `{arm}/metadata/endpoints?api-version=2015-01-01` (an object; a list as
 * served by newer api-versions is accepted and its first entry whose
 * resourceManager matches `arm_endpoint` - or the first entry - is used).
 * `arm_endpoint` is the endpoint the document was fetched from. */
int arm_cloud_from_metadata(arm_cloud **out, const char *arm_endpoint,
			    const cJSON *doc) CMK_WUR;

/* The OAuth scope for an audience: audience + "/.default" (caller frees). */
char *arm_cloud_scope(const char *audience);

void arm_cloud_free(arm_cloud *cloud);

#endif
