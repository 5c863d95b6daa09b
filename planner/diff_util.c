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
#include "planner/plan.h"

bool diff_state_terminal(const char *state)
{
	return !state || !*state || strcasecmp(state, "Succeeded") == 0 ||
	       strcasecmp(state, "Failed") == 0 || strcasecmp(state, "Canceled") == 0;
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

static int diff__digits(const char **p, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if ((*p)[i] < '0' || (*p)[i] > '9')
			return -1;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return 0;
}

int diff_parse_time(time_t *out, const char *text)
{
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;
	const char *p = text;
	int y, mo, d, h, mi, s, off = 0;

	memset(&tm, 0, sizeof(tm));
	if (!text)
		goto bad;
	if (diff__digits(&p, 4, &y) == 0) {
		/* ISO 8601 */
		if (*p++ != '-' || diff__digits(&p, 2, &mo) < 0 || *p++ != '-' ||
		    diff__digits(&p, 2, &d) < 0 || (*p != 'T' && *p != 't' && *p != ' '))
			goto bad;
		p++;
		if (diff__digits(&p, 2, &h) < 0 || *p++ != ':' || diff__digits(&p, 2, &mi) < 0 ||
		    *p++ != ':' || diff__digits(&p, 2, &s) < 0)
			goto bad;
		if (*p == '.')
			for (p++; *p >= '0' && *p <= '9'; p++)
				;
		if (*p == 'Z' || *p == 'z') {
			p++;
		} else if (*p == '+' || *p == '-') {
			int sign = *p == '-' ? -1 : 1, oh, om;

			p++;
			if (diff__digits(&p, 2, &oh) < 0 || *p++ != ':' || diff__digits(&p, 2, &om) < 0)
				goto bad;
			off = sign * (oh * 3600 + om * 60);
		}
		if (*p)
			goto bad;
	} else {
		/* RFC 1123: "Thu, 03 Nov 2022 07:31:31 GMT" */
		char mon[4] = "";
		int i;

		p = strchr(text, ',');
		if (!p || sscanf(p + 1, " %2d %3s %4d %2d:%2d:%2d GMT", &d, mon, &y, &h, &mi, &s) != 6)
			goto bad;
		for (i = 0; i < 12 && strcmp(months[i], mon) != 0; i++)
			;
		if (i == 12)
			goto bad;
		mo = i + 1;
	}
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60)
		goto bad;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	*out = timegm(&tm) - off;
	return 0;
bad:
	return cmk_error_set(CMK_EINVALID, "'%s' is not a timestamp (ISO 8601 or RFC 1123)",
			     text ? text : "");
}

void diff_format_time(char *out, size_t size, time_t t)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
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
