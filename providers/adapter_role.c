/*
 * adapter_role.c - RBAC role assignments with deterministic names (see
 * adapter_role.h).
 */
#include "providers/adapter_role.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "providers/adapter_util.h"

/* RFC 4122 URL namespace: the name hashed is a URL-like path. */
static const unsigned char role__ns[16] = { 0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1,
					    0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8 };

void adapter_role_assignment_name(char out[37], const char *scope, const char *principal_id,
				  const char *role_guid)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	const char *parts[3] = { scope, principal_id, role_guid };
	size_t n;

	/* trailing slashes do not change a scope */
	n = strlen(scope);
	while (n > 1 && scope[n - 1] == '/')
		n--;
	EVP_DigestInit_ex(ctx, EVP_sha1(), NULL);
	EVP_DigestUpdate(ctx, role__ns, sizeof(role__ns));
	for (int i = 0; i < 3; i++) {
		size_t len = i == 0 ? n : strlen(parts[i]);

		for (size_t j = 0; j < len; j++) {
			char ch = parts[i][j];

			if (ch >= 'A' && ch <= 'Z')
				ch = (char)(ch - 'A' + 'a');
			EVP_DigestUpdate(ctx, &ch, 1);
		}
		EVP_DigestUpdate(ctx, "|", 1);
	}
	EVP_DigestFinal_ex(ctx, md, &mdlen);
	EVP_MD_CTX_free(ctx);
	md[6] = (unsigned char)((md[6] & 0x0f) | 0x50); /* version 5 */
	md[8] = (unsigned char)((md[8] & 0x3f) | 0x80); /* RFC 4122 variant */
	snprintf(out, 37,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 md[0], md[1], md[2], md[3], md[4], md[5], md[6], md[7], md[8], md[9], md[10],
		 md[11], md[12], md[13], md[14], md[15]);
}

int adapter_role_assignment_add(live_state *into, const cJSON *doc)
{
	live_role_assignment *ra;
	const cJSON *props = adapter_get(doc, "properties");
	int error;

	if (!cJSON_IsObject(doc) || !adapter_str(doc, "id"))
		return cmk_error_set(CMK_EINVALID, "role assignment: the answer is not a resource");
	if ((ra = ADAPTER_APPEND(into->role_assignments, into->role_assignment_count)) == NULL)
		return CMK_ENOMEM;
	if ((error = adapter_dup_str(&ra->id, doc, "id")) < 0 ||
	    (error = adapter_dup_str(&ra->scope, props, "scope")) < 0 ||
	    (error = adapter_dup_str(&ra->role_definition_id, props, "roleDefinitionId")) < 0 ||
	    (error = adapter_dup_str(&ra->principal_id, props, "principalId")) < 0)
		return error;
	return 0;
}

static int role__item(void *ud, const cJSON *item)
{
	return adapter_role_assignment_add(ud, item);
}

int adapter_role_assignment_list(live_state *into, arm_client *c, const char *scope)
{
	char *url = NULL;
	int error;

	if (asprintf(&url, "%s/providers/Microsoft.Authorization/roleAssignments", scope) < 0)
		return cmk_error_oom();
	error = adapter_list(c, url, ADAPTER_API_AUTHZ, ARM_AUD_ARM, role__item, into);
	free(url);
	return error;
}

int adapter_role_assignment_body(cJSON **out, const char *scope, const char *principal_id,
				 const char *role_guid)
{
	char sub[128], def[512];
	cJSON *b = NULL, *props;

	*out = NULL;
	if (adapter_subscription_of(sub, sizeof(sub), scope) < 0)
		return CMK_EINVALID;
	snprintf(def, sizeof(def),
		 "/subscriptions/%s/providers/Microsoft.Authorization/roleDefinitions/%s", sub,
		 role_guid);
	if ((b = cJSON_CreateObject()) == NULL ||
	    (props = cJSON_AddObjectToObject(b, "properties")) == NULL ||
	    !cJSON_AddStringToObject(props, "roleDefinitionId", def) ||
	    !cJSON_AddStringToObject(props, "principalId", principal_id) ||
	    /* a managed identity just created may not have replicated yet:
	     * the type spares the directory lookup (PrincipalNotFound) */
	    !cJSON_AddStringToObject(props, "principalType", "ServicePrincipal")) {
		cJSON_Delete(b);
		return cmk_error_oom();
	}
	*out = b;
	return 0;
}

static int role__url(char **out, const char *scope, const char *principal_id,
		     const char *role_guid)
{
	char name[37];
	size_t n = strlen(scope);

	while (n > 1 && scope[n - 1] == '/')
		n--;
	adapter_role_assignment_name(name, scope, principal_id, role_guid);
	if (asprintf(out, "%.*s/providers/Microsoft.Authorization/roleAssignments/%s", (int)n,
		     scope, name) < 0) {
		*out = NULL;
		return cmk_error_oom();
	}
	return 0;
}

int adapter_role_assign(cJSON **out, arm_client *c, const char *scope, const char *principal_id,
			const char *role_guid, arm_error **err_out)
{
	cJSON *body = NULL;
	char *url = NULL;
	arm_error *err = NULL;
	int error;

	if (out)
		*out = NULL;
	if (err_out)
		*err_out = NULL;
	if ((error = role__url(&url, scope, principal_id, role_guid)) < 0 ||
	    (error = adapter_role_assignment_body(&body, scope, principal_id, role_guid)) < 0)
		goto out;
	error = adapter_write(out, c, "PUT", url, ADAPTER_API_AUTHZ, body, ARM_AUD_ARM, url, &err);
	if (error == CMK_ECONFLICT && err && err->arm_code &&
	    strcasecmp(err->arm_code, "RoleAssignmentExists") == 0) {
		/* granted already, under another name: the access is there */
		cmk_error_clear();
		error = 0;
	}
	if (error < 0 && err_out) {
		*err_out = err;
		err = NULL;
	}
out:
	arm_error_free(err);
	cJSON_Delete(body);
	free(url);
	return error;
}

int adapter_role_unassign(arm_client *c, const char *scope, const char *principal_id,
			  const char *role_guid, arm_error **err_out)
{
	char *url = NULL;
	int error;

	if ((error = role__url(&url, scope, principal_id, role_guid)) < 0)
		return error;
	error = adapter_write(NULL, c, "DELETE", url, ADAPTER_API_AUTHZ, NULL, ARM_AUD_ARM, url,
			      err_out);
	free(url);
	return error;
}
