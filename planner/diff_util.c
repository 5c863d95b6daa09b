/*
 * diff_util.c - the small comparisons of diff.h: provisioning states, vault
 * URIs, key versions, Azure timestamps, key access of a principal.
 */
#include "planner/diff.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/arm_id.h"
#include "common/time.h"
#include "planner/plan.h"

bool diff_state_terminal(const char *state)
{
	return live_provisioning_terminal(state);
}

static size_t diff__trim_len(const char *s)
{
	size_t n = strlen(s);

	while (n && s[n - 1] == '/')
		n--;
	return n;
}

bool diff_vault_uri_equal(const char *a, const char *b)
{
	size_t na, nb;

	if (!a || !b)
		return a == b;
	na = diff__trim_len(a);
	nb = diff__trim_len(b);
	return na == nb && strncasecmp(a, b, na) == 0;
}

bool diff_key_version_equal(const char *a, const char *b)
{
	return strcasecmp(a ? a : "", b ? b : "") == 0;
}

int diff_parse_time(time_t *out, const char *text)
{
	return cmk_time_parse(out, text);
}

void diff_format_time(char *out, size_t size, time_t t)
{
	(void)cmk_time_format(out, size, t);
}

/* Whether `scope` is `id` or one of its parents, on segment boundaries. */
static bool diff__scope_covers(const char *scope, const char *id)
{
	size_t n;

	if (!scope || !id)
		return false;
	n = diff__trim_len(scope);
	if (strncasecmp(scope, id, n) != 0)
		return false;
	return id[n] == '\0' || id[n] == '/';
}

static bool diff__role_is(const char *role_definition_id, const char *guid)
{
	size_t n, g = strlen(guid);

	if (!role_definition_id)
		return false;
	n = strlen(role_definition_id);
	return n >= g && strcasecmp(role_definition_id + n - g, guid) == 0 &&
	       (n == g || role_definition_id[n - g - 1] == '/');
}

bool diff_principal_has_key_access(const live_state *live, const live_vault *vault,
				   const char *key_id, const char *principal, char *missing,
				   size_t missing_size)
{
	if (missing && missing_size)
		missing[0] = '\0';
	if (!vault || !principal)
		return false;
	if (vault->rbac_authorization) {
		for (size_t i = 0; i < live->role_assignment_count; i++) {
			const live_role_assignment *ra = &live->role_assignments[i];

			if (ra->principal_id && strcasecmp(ra->principal_id, principal) == 0 &&
			    diff__role_is(ra->role_definition_id, PLAN_ROLE_CRYPTO_SERVICE_ENCRYPTION_USER) &&
			    (diff__scope_covers(ra->scope, vault->id) ||
			     (key_id && diff__scope_covers(ra->scope, key_id))))
				return true;
		}
		if (missing)
			snprintf(missing, missing_size, "no role assignment of %s",
				 PLAN_ROLE_CRYPTO_SERVICE_ENCRYPTION_USER_NAME);
		return false;
	}
	for (size_t i = 0; i < vault->access_policy_count; i++) {
		const live_access_policy *ap = &vault->access_policies[i];
		static const char *const need[] = { "get", "wrapKey", "unwrapKey" };
		size_t len = 0;

		if (!ap->object_id || strcasecmp(ap->object_id, principal) != 0)
			continue;
		if (live_access_policy_grants_key_use(ap))
			return true;
		for (size_t k = 0; k < 3 && missing; k++) {
			bool has = false;

			for (size_t j = 0; j < ap->key_permission_count; j++)
				if (strcasecmp(ap->key_permissions[j], need[k]) == 0)
					has = true;
			if (!has && len < missing_size)
				len += (size_t)snprintf(missing + len, missing_size - len, "%s%s",
							len ? ", " : "access policy lacks ", need[k]);
		}
		return false;
	}
	if (missing)
		snprintf(missing, missing_size, "no access policy");
	return false;
}
