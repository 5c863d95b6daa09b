/*
 * arm_id.h - Azure Resource Manager resource ids and locations.
 *
 * A resource id names one ARM resource:
 *
 *   /subscriptions/{sub}/resourceGroups/{rg}/providers/{Namespace}/{type}/{name}[/{type}/{name}...]
 *
 * ARM treats ids case-insensitively ("resourcegroups" and "resourceGroups",
 * "Microsoft.OperationalInsights" and "microsoft.operationalinsights" name the
 * same thing), so every comparison here ignores ASCII case. Parsing keeps the
 * segments as written; comparing and type checks never depend on their case.
 *
 * Supported shapes: a subscription (`/subscriptions/{sub}`), a resource group
 * (`.../resourceGroups/{rg}`), and provider resources at subscription or
 * resource-group scope with up to ARM_ID_MAX_DEPTH type/name pairs. Extension
 * resources (a second `/providers/` segment) are rejected: cmkctl never
 * names one.
 */
#ifndef CMK_ARM_ID_H
#define CMK_ARM_ID_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

#define ARM_ID_MAX_DEPTH 4

typedef struct {
	const char *type; /* e.g. "workspaces", "linkedStorageAccounts" */
	const char *name;
} arm_id_segment;

/*
 * A parsed resource id. Every string points into one allocation owned by
 * the struct (free with arm_id_free). Missing parts are NULL.
 */
typedef struct {
	const char *subscription;   /* the subscription id, as written */
	const char *resource_group; /* NULL at subscription scope */
	const char *provider;       /* namespace, e.g. "Microsoft.KeyVault"; NULL when none */
	size_t depth;               /* number of type/name pairs after the namespace */
	arm_id_segment segments[ARM_ID_MAX_DEPTH];
	char *storage_;             /* private: the split copy the pointers refer to */
} arm_id;

/*
 * Parse `text` into `out`. Fails with CMK_EINVALID and a message saying what
 * is wrong (for instance "expected '/subscriptions/' at the start", "resource
 * type 'workspaces' has no name") when `text` is not a resource id. On
 * failure `out` holds nothing to free. Trailing slashes are tolerated.
 */
int arm_id_parse(arm_id *out, const char *text) CMK_WUR;

/* Release what arm_id_parse allocated; safe on a zeroed struct. */
void arm_id_free(arm_id *id);

/* The resource's own name (the last segment name, else the resource group,
 * else the subscription); never NULL after a successful parse. */
const char *arm_id_name(const arm_id *id);

/*
 * Whether the id names a resource of the full type `type`, compared without
 * case: "Microsoft.OperationalInsights/workspaces" or a nested type such as
 * "Microsoft.OperationalInsights/workspaces/linkedStorageAccounts".
 */
bool arm_id_is_type(const arm_id *id, const char *type);

/*
 * Write the full type of `id` ("Microsoft.KeyVault/vaults") into `out`
 * (at most `size` bytes, always terminated); "" when the id names no
 * provider resource. Returns the length it needed, like snprintf.
 */
size_t arm_id_type(char *out, size_t size, const arm_id *id);

/*
 * Compare two id strings the way ARM does: ASCII case-insensitive (so
 * "resourcegroups" and "resourceGroups" match) and ignoring trailing
 * slashes. Returns <0, 0 or >0 like strcmp; 0 means the same resource.
 * Works on unparsed strings so it can be used on live data as-is.
 */
int arm_id_compare(const char *a, const char *b);
bool arm_id_equal(const char *a, const char *b);

/*
 * A hash consistent with arm_id_compare (equal ids hash equally), for hash
 * tables of ids.
 */
unsigned long arm_id_hash(const char *id);

/*
 * Build the id of a provider resource at resource-group scope:
 * "/subscriptions/{sub}/resourceGroups/{rg}/providers/{type}/{name}", where
 * `type` is the full type ("Microsoft.KeyVault/vaults"). `*out` is allocated
 * and owned by the caller (free()). Fails with CMK_EINVALID when a part is
 * empty or contains '/', CMK_ENOMEM when allocation fails.
 */
int arm_id_build(char **out, const char *subscription, const char *resource_group,
		 const char *type, const char *name) CMK_WUR;

/* Whether `s` is a GUID in the 8-4-4-4-12 hex form (any case). */
bool arm_is_guid(const char *s);

/*
 * Check a resource group name against ARM's rule (1-90 characters: letters,
 * digits, '_', '-', '.', '(' and ')', not ending in '.'). Returns NULL when
 * valid, else a static description of the problem.
 */
const char *arm_resource_group_problem(const char *name);

/*
 * Canonicalise a location the way ARM compares them: "East US", "east us"
 * and "eastus" are the same region. Writes the lower-case form without
 * spaces (at most `size` bytes, terminated) and returns 0, or CMK_EINVALID
 * when the text holds characters no region name has (anything but letters,
 * digits and spaces) or is empty.
 */
int arm_location_canonical(char *out, size_t size, const char *location) CMK_WUR;

/* Whether two locations name the same region (per arm_location_canonical). */
bool arm_location_equal(const char *a, const char *b);

#endif
