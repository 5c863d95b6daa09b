/*
 * arm_id.c - parse, compare and build ARM resource ids; canonical locations
 * (see arm_id.h).
 */
#include "arm_id.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Split `copy` (modified in place) on '/', dropping the leading empty part
 * and trailing empty parts. Empty parts in the middle ("a//b") are an error. */
static int arm_id__split(char **parts, size_t max, size_t *count, char *copy)
{
	size_t n = 0, len = strlen(copy);
	char *p;

	while (len > 1 && copy[len - 1] == '/')
		copy[--len] = '\0';
	if (copy[0] != '/')
		return cmk_error_set(CMK_EINVALID, "a resource id starts with '/subscriptions/'");
	p = copy + 1;
	for (;;) {
		char *slash = strchr(p, '/');

		if (slash)
			*slash = '\0';
		if (*p == '\0')
			return cmk_error_set(CMK_EINVALID, "empty segment ('//') in resource id");
		if (n == max)
			return cmk_error_set(CMK_EINVALID, "resource id has too many segments");
		parts[n++] = p;
		if (!slash)
			break;
		p = slash + 1;
	}
	*count = n;
	return 0;
}

int arm_id_parse(arm_id *out, const char *text)
{
	enum { MAX_PARTS = 6 + 2 * ARM_ID_MAX_DEPTH + 1 };
	char *parts[MAX_PARTS];
	size_t n = 0, i = 0;
	arm_id id;
	int error;

	memset(&id, 0, sizeof(id));
	memset(out, 0, sizeof(*out));
	if (!text || !*text)
		return cmk_error_set(CMK_EINVALID, "empty resource id");
	for (const char *c = text; *c; c++)
		if (isspace((unsigned char)*c) || iscntrl((unsigned char)*c))
			return cmk_error_set(CMK_EINVALID, "resource id contains whitespace or control characters");
	if ((id.storage_ = strdup(text)) == NULL)
		return cmk_error_oom();
	if ((error = arm_id__split(parts, MAX_PARTS, &n, id.storage_)) < 0)
		goto fail;

	if (n < 2 || strcasecmp(parts[0], "subscriptions") != 0) {
		error = cmk_error_set(CMK_EINVALID, "a resource id starts with '/subscriptions/{subscriptionId}'");
		goto fail;
	}
	id.subscription = parts[1];
	i = 2;
	if (i < n && strcasecmp(parts[i], "resourceGroups") == 0) {
		if (i + 1 >= n) {
			error = cmk_error_set(CMK_EINVALID, "'resourceGroups' has no name after it");
			goto fail;
		}
		id.resource_group = parts[i + 1];
		i += 2;
	}
	if (i < n) {
		if (strcasecmp(parts[i], "providers") != 0) {
			error = cmk_error_set(CMK_EINVALID, "expected 'providers' after the %s, found '%s'",
					      id.resource_group ? "resource group" : "subscription", parts[i]);
			goto fail;
		}
		if (i + 1 >= n || strchr(parts[i + 1], '.') == NULL) {
			error = cmk_error_set(CMK_EINVALID, "'providers' must be followed by a namespace such as 'Microsoft.KeyVault'");
			goto fail;
		}
		id.provider = parts[i + 1];
		i += 2;
		if (i >= n) {
			error = cmk_error_set(CMK_EINVALID, "provider '%s' has no resource type", id.provider);
			goto fail;
		}
		while (i < n) {
			if (strcasecmp(parts[i], "providers") == 0) {
				error = cmk_error_set(CMK_EINVALID, "extension resources (a second 'providers' segment) are not supported");
				goto fail;
			}
			if (i + 1 >= n) {
				error = cmk_error_set(CMK_EINVALID, "resource type '%s' has no name", parts[i]);
				goto fail;
			}
			if (id.depth == ARM_ID_MAX_DEPTH) {
				error = cmk_error_set(CMK_EINVALID, "resource id nests more than %d types", ARM_ID_MAX_DEPTH);
				goto fail;
			}
			id.segments[id.depth].type = parts[i];
			id.segments[id.depth].name = parts[i + 1];
			id.depth++;
			i += 2;
		}
	}
	*out = id;
	return 0;
fail:
	free(id.storage_);
	return error;
}

void arm_id_free(arm_id *id)
{
	if (!id)
		return;
	free(id->storage_);
	memset(id, 0, sizeof(*id));
}

const char *arm_id_name(const arm_id *id)
{
	if (id->depth)
		return id->segments[id->depth - 1].name;
	return id->resource_group ? id->resource_group : id->subscription;
}

size_t arm_id_type(char *out, size_t size, const arm_id *id)
{
	size_t need = 0;
	int n;

	if (size)
		out[0] = '\0';
	if (!id->provider)
		return 0;
	n = snprintf(out, size, "%s", id->provider);
	need = n > 0 ? (size_t)n : 0;
	for (size_t i = 0; i < id->depth; i++) {
		n = snprintf(need < size ? out + need : NULL, need < size ? size - need : 0, "/%s",
			     id->segments[i].type);
		need += n > 0 ? (size_t)n : 0;
	}
	return need;
}

bool arm_id_is_type(const arm_id *id, const char *type)
{
	size_t plen;
	const char *p = type;

	if (!id->provider || !id->depth)
		return false;
	plen = strlen(id->provider);
	if (strncasecmp(p, id->provider, plen) != 0 || p[plen] != '/')
		return false;
	p += plen + 1;
	for (size_t i = 0; i < id->depth; i++) {
		size_t tlen = strlen(id->segments[i].type);

		if (strncasecmp(p, id->segments[i].type, tlen) != 0)
			return false;
		p += tlen;
		if (i + 1 < id->depth) {
			if (*p != '/')
				return false;
			p++;
		}
	}
	return *p == '\0';
}

/* Length of an id without its trailing slashes. */
static size_t arm_id__trimmed_len(const char *s)
{
	size_t len = strlen(s);

	while (len > 1 && s[len - 1] == '/')
		len--;
	return len;
}

int arm_id_compare(const char *a, const char *b)
{
	size_t la = arm_id__trimmed_len(a), lb = arm_id__trimmed_len(b);
	size_t n = la < lb ? la : lb;
	int c = strncasecmp(a, b, n);

	if (c != 0)
		return c;
	return la < lb ? -1 : la > lb ? 1 : 0;
}

bool arm_id_equal(const char *a, const char *b)
{
	return arm_id_compare(a, b) == 0;
}

unsigned long arm_id_hash(const char *id)
{
	size_t len = arm_id__trimmed_len(id);
	unsigned long h = 1469598103934665603UL; /* FNV-1a */

	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)tolower((unsigned char)id[i]);
		h *= 1099511628211UL;
	}
	return h;
}

static int arm_id__check_part(const char *what, const char *s)
{
	if (!s || !*s)
		return cmk_error_set(CMK_EINVALID, "cannot build a resource id: %s is empty", what);
	if (strchr(s, '/'))
		return cmk_error_set(CMK_EINVALID, "cannot build a resource id: %s '%s' contains '/'", what, s);
	return 0;
}

int arm_id_build(char **out, const char *subscription, const char *resource_group,
		 const char *type, const char *name)
{
	int error, n;
	size_t len;

	*out = NULL;
	if ((error = arm_id__check_part("the subscription", subscription)) < 0 ||
	    (error = arm_id__check_part("the resource group", resource_group)) < 0 ||
	    (error = arm_id__check_part("the name", name)) < 0)
		return error;
	if (!type || !strchr(type, '/'))
		return cmk_error_set(CMK_EINVALID, "cannot build a resource id: type must be 'Namespace/type'");
	len = strlen(subscription) + strlen(resource_group) + strlen(type) + strlen(name) + 48;
	if ((*out = malloc(len)) == NULL)
		return cmk_error_oom();
	n = snprintf(*out, len, "/subscriptions/%s/resourceGroups/%s/providers/%s/%s",
		     subscription, resource_group, type, name);
	(void)n;
	return 0;
}

bool arm_is_guid(const char *s)
{
	static const int groups[] = { 8, 4, 4, 4, 12 };

	for (size_t g = 0; g < 5; g++) {
		for (int i = 0; i < groups[g]; i++, s++)
			if (!isxdigit((unsigned char)*s))
				return false;
		if (g < 4 && *s++ != '-')
			return false;
	}
	return *s == '\0';
}

const char *arm_resource_group_problem(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len > 90)
		return "a resource group name has 1-90 characters";
	for (const char *c = name; *c; c++) {
		unsigned char u = (unsigned char)*c;

		/* ARM allows Unicode letters and digits too: accept non-ASCII bytes. */
		if (!(isalnum(u) || u >= 0x80 || strchr("_-.()", u)))
			return "a resource group name may contain only letters, digits, '_', '-', '.', '(' and ')'";
	}
	if (name[len - 1] == '.')
		return "a resource group name cannot end with '.'";
	return NULL;
}

int arm_location_canonical(char *out, size_t size, const char *location)
{
	size_t n = 0;

	if (size)
		out[0] = '\0';
	for (const char *c = location; *c; c++) {
		unsigned char u = (unsigned char)*c;

		if (u == ' ')
			continue;
		if (!isalnum(u))
			return cmk_error_set(CMK_EINVALID, "'%s' is not a location: only letters, digits and spaces", location);
		if (n + 1 >= size)
			return cmk_error_set(CMK_EINVALID, "location '%s' is too long", location);
		out[n++] = (char)tolower(u);
	}
	if (n == 0)
		return cmk_error_set(CMK_EINVALID, "empty location");
	out[n] = '\0';
	return 0;
}

bool arm_location_equal(const char *a, const char *b)
{
	char ca[64], cb[64];

	if (arm_location_canonical(ca, sizeof(ca), a) < 0 ||
	    arm_location_canonical(cb, sizeof(cb), b) < 0)
		return false;
	return strcmp(ca, cb) == 0;
}
