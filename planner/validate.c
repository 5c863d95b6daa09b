/*
 * validate.c - whole-set and documented-constraint checks on the desired
 * model (see validate.h).
 */
#include "planner/validate.h"

#include <ctype.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/arm_id.h"
#include "common/out.h"

typedef struct {
	manifest_diags *diags;
	manifest_set *set;
	int error; /* sticky CMK_ENOMEM */
} checker;

static void chk__err(checker *c, manifest_doc *d, manifest_loc loc, const char *hint,
		     const char *fmt, ...) CMK_PRINTF(5, 6);

static void chk__err(checker *c, manifest_doc *d, manifest_loc loc, const char *hint,
		     const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (d)
		d->has_errors = true;
	if (manifest_diag_add(c->diags, loc.file, loc.line, loc.column, hint, "%s", msg) < 0)
		c->error = CMK_ENOMEM;
}

static const char *const GUID_HINT = "a subscription id is a GUID such as 00000000-0000-0000-0000-000000000000";

/* ---- per-document rules ---- */

static void chk__metadata_name(checker *c, manifest_doc *d)
{
	const char *s = d->name.value;
	size_t len;
	bool ok = true;

	if (!s)
		return;
	len = strlen(s);
	if (len > 253 || !isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[len - 1]))
		ok = false;
	for (const char *p = s; ok && *p; p++)
		if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '-' || *p == '.'))
			ok = false;
	if (!ok)
		chk__err(c, d, d->name.loc,
			 "use lower-case letters, digits, '-' and '.', starting and ending with a letter or digit (at most 253 characters)",
			 "metadata.name '%s' is not a valid name", s);
}

static void chk__subscription(checker *c, manifest_doc *d, const manifest_string *s, const char *path)
{
	if (s->value && !arm_is_guid(s->value))
		chk__err(c, d, s->loc, GUID_HINT, "%s '%s' is not a GUID", path, s->value);
}

static void chk__resource_group(checker *c, manifest_doc *d, const manifest_string *s, const char *path)
{
	const char *problem;

	if (s->value && (problem = arm_resource_group_problem(s->value)) != NULL)
		chk__err(c, d, s->loc, problem, "%s '%s' is not a valid resource group name", path, s->value);
}

static bool chk__charset(const char *s, const char *extra)
{
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !(extra && strchr(extra, *s)))
			return false;
	return true;
}

/*
 * Log Analytics cluster names. The 2021 document: "Cluster name can contain
 * characters a-z, A-Z, 0-9 and length of 3-63". The 2026-03-01 API also
 * allows '-' inside names of 4-63 characters. Both stay accepted: clusters
 * named under the older rule still exist and must stay describable.
 */
static void chk__cluster_name(checker *c, manifest_doc *d, const manifest_string *s)
{
	const char *n = s->value;
	size_t len;
	bool old_rule, new_rule;

	if (!n)
		return;
	len = strlen(n);
	old_rule = len >= 3 && len <= 63 && chk__charset(n, NULL);
	new_rule = len >= 4 && len <= 63 && chk__charset(n, "-") && n[0] != '-' && n[len - 1] != '-';
	if (!old_rule && !new_rule)
		chk__err(c, d, s->loc,
			 "Cluster name can contain characters a-z, A-Z, 0-9 and length of 3-63 (api-version 2026-03-01 also allows '-' inside names of 4-63 characters)",
			 "spec.name '%s' is not a valid cluster name", n);
}

static void chk__identity_name(checker *c, manifest_doc *d, const manifest_string *s)
{
	const char *n = s->value;
	size_t len;

	if (!n)
		return;
	len = strlen(n);
	if (len < 3 || len > 120 || !isalnum((unsigned char)n[0]) || !chk__charset(n, "-_"))
		chk__err(c, d, s->loc,
			 "a user-assigned identity name has 3-120 characters: letters, digits, '-' and '_', starting with a letter or digit",
			 "spec.name '%s' is not a valid managed identity name", n);
}

static void chk__tags(checker *c, manifest_doc *d, const manifest_map *tags)
{
	if (tags->count > VALIDATE_MAX_TAGS)
		chk__err(c, d, tags->loc, "Azure allows at most 50 tags on a resource",
			 "spec.tags has %zu tags, more than %d", tags->count, VALIDATE_MAX_TAGS);
	for (size_t i = 0; i < tags->count; i++) {
		const manifest_pair *p = &tags->items[i];

		if (strlen(p->key.value) > VALIDATE_MAX_TAG_NAME)
			chk__err(c, d, p->key.loc, "Azure tag names have at most 512 characters",
				 "tag name '%.40s...' is longer than %d characters", p->key.value, VALIDATE_MAX_TAG_NAME);
		else if (strpbrk(p->key.value, "<>%&\\?/"))
			chk__err(c, d, p->key.loc, "Azure tag names cannot contain < > % & \\ ? /",
				 "tag name '%s' contains a character Azure does not allow", p->key.value);
		if (strlen(p->value.value) > VALIDATE_MAX_TAG_VALUE)
			chk__err(c, d, p->value.loc, "Azure tag values have at most 256 characters",
				 "tag '%.40s' has a value longer than %d characters", p->key.value, VALIDATE_MAX_TAG_VALUE);
	}
}

static bool chk__is_hex32(const char *s)
{
	size_t n = 0;

	for (; *s; s++, n++)
		if (!isxdigit((unsigned char)*s))
			return false;
	return n == 32;
}

static void chk__key_vault_key(checker *c, manifest_doc *d)
{
	manifest_key_vault_key *k = &d->spec.key_vault_key;
	const char *v;

	chk__subscription(c, d, &k->vault_subscription, "spec.vault subscription");
	chk__resource_group(c, d, &k->vault_resource_group, "spec.vault resource group");
	if ((v = k->vault_name.value) != NULL &&
	    (strlen(v) < 3 || strlen(v) > 24 || !chk__charset(v, "-")))
		chk__err(c, d, k->vault_name.loc, "a Key Vault name has 3-24 characters: letters, digits and '-'",
			 "vault name '%s' is not a valid Key Vault name", v);
	if ((v = k->key.value) != NULL && (strlen(v) > 127 || !chk__charset(v, "-")))
		chk__err(c, d, k->key.loc, "a Key Vault key name has 1-127 characters: letters, digits and '-'",
			 "spec.key '%s' is not a valid key name", v);
	if ((v = k->version.value) != NULL && strcmp(v, "latest") != 0 && !chk__is_hex32(v))
		chk__err(c, d, k->version.loc,
			 "write 'latest' or the 32-character version from the key identifier (https://<vault>.vault.azure.net/keys/<key>/<version>)",
			 "spec.version '%s' is neither 'latest' nor a 32-character hexadecimal key version", v);
	if (k->key_size.set) {
		bool rsa = !k->key_type.set || k->key_type.value == MANIFEST_KEY_TYPE_RSA ||
			   k->key_type.value == MANIFEST_KEY_TYPE_RSA_HSM;

		if (!rsa)
			chk__err(c, d, k->key_size.loc, "remove keySize, or declare keyType: RSA",
				 "spec.keySize applies to RSA keys, but keyType is %s",
				 manifest_key_type_name(k->key_type.value));
		else if (k->key_size.value != 2048 && k->key_size.value != 3072 && k->key_size.value != 4096)
			chk__err(c, d, k->key_size.loc, "Key Vault RSA keys are 2048, 3072 or 4096 bits",
				 "spec.keySize %lld is not an RSA key size", k->key_size.value);
	}
}

int validate_capacity(long long gb)
{
	if (gb > VALIDATE_MAX_CAPACITY_GB)
		return cmk_error_set(CMK_EINVALID,
				     "Write a commitment tier of %d GB per day or less.",
				     VALIDATE_MAX_CAPACITY_GB);
	if (gb >= 1000) {
		if (gb % 100)
			return cmk_error_set(CMK_EINVALID, "Set Capacity value to 1000 or higher in steps of 100 (GB).");
		return 0;
	}
	if (gb == 100 || gb == 200 || gb == 300 || gb == 400 || gb == 500)
		return 0;
	return cmk_error_set(CMK_EINVALID,
			     "Capacity in SKU is not in range. Should be minimum 1000 and up to the max allowed capacity "
			     "(api-version 2026-03-01 also accepts the commitment tiers 100, 200, 300, 400 and 500).");
}

static void chk__identity(checker *c, manifest_doc *d, const manifest_identity *id)
{
	if (!id->type.set)
		return;
	if (id->type.value == MANIFEST_IDENTITY_USER_ASSIGNED && !id->ref.name.value)
		chk__err(c, d, id->type.loc, "add 'ref: <metadata.name of a ManagedIdentity>' to spec.identity",
			 "spec.identity of type UserAssigned needs a ref to a ManagedIdentity");
	if (id->type.value == MANIFEST_IDENTITY_SYSTEM_ASSIGNED && id->ref.name.value)
		chk__err(c, d, id->ref.name.loc, "remove ref, or use type: UserAssigned",
			 "spec.identity.ref is only for type UserAssigned; a SystemAssigned identity comes with the resource");
}

static void chk__cluster(checker *c, manifest_doc *d)
{
	manifest_log_analytics_cluster *s = &d->spec.cluster;

	chk__subscription(c, d, &s->subscription, "spec.subscription");
	chk__resource_group(c, d, &s->resource_group, "spec.resourceGroup");
	chk__cluster_name(c, d, &s->name);
	chk__identity(c, d, &s->identity);
	chk__tags(c, d, &s->tags);
	if (s->capacity.set && validate_capacity(s->capacity.value) < 0) {
		if (s->capacity.value > VALIDATE_MAX_CAPACITY_GB)
			chk__err(c, d, s->capacity.loc, cmk_error_last(),
				 "spec.capacity %lld is more than the largest commitment tier, %d GB per day",
				 s->capacity.value, VALIDATE_MAX_CAPACITY_GB);
		else
			chk__err(c, d, s->capacity.loc, cmk_error_last(),
				 "spec.capacity %lld is not a valid capacity reservation (GB per day)",
				 s->capacity.value);
	}
	if (s->key_at_creation.set && s->key_at_creation.value) {
		if (!s->key.name.value)
			chk__err(c, d, s->key_at_creation.loc, "add key: {ref: <KeyVaultKey>} or remove keyAtCreation",
				 "spec.keyAtCreation is true but the cluster has no key");
		else if (s->identity.type.set && s->identity.type.value == MANIFEST_IDENTITY_SYSTEM_ASSIGNED)
			chk__err(c, d, s->key_at_creation.loc,
				 "remove keyAtCreation: cmkctl creates the cluster, grants its system-assigned identity access, then sets the key; or use a UserAssigned identity granted beforehand",
				 "a cluster with a SystemAssigned identity cannot get its key at creation: \"KeyVaultProperties are set on creation. Update KeyVaultProperties after cluster creation.\" (400)");
	}
}

static void chk__kusto(checker *c, manifest_doc *d)
{
	manifest_kusto_cluster_key *s = &d->spec.kusto;

	chk__identity(c, d, &s->identity);
	if (s->role.set && s->role.value != MANIFEST_KUSTO_ROLE_STANDALONE)
		chk__err(c, d, s->role.loc, "customer-managed keys need a standalone Azure Data Explorer cluster",
			 "spec.role is %s: data encryption using customer managed keys is not supported on leader and follower clusters",
			 manifest_kusto_role_name(s->role.value));
}

static void chk__linked_storage(checker *c, manifest_doc *d)
{
	manifest_linked_storage_account *s = &d->spec.linked_storage;

	if (s->storage_account_count > 1)
		chk__err(c, d, s->storage_accounts[1].loc,
			 "list one storage account; it can serve both the Query and the Alerts links",
			 "spec.storageAccounts lists %zu accounts: a single storage account can be linked to a workspace for saved queries and alerts",
			 s->storage_account_count);
	else if (s->storage_account_count == 0 && s->storage_accounts_loc.line)
		chk__err(c, d, s->storage_accounts_loc, "list the storage account to link",
			 "spec.storageAccounts is empty");
}

/* ---- control characters ---- */

static const char *const CONTROL_HINT =
	"names, tag keys and tag values cannot hold control characters (newline, tab, ESC, BEL, ...): "
	"they would reach terminals and CI logs";

static void chk__printable(checker *c, manifest_doc *d, const manifest_string *s, const char *what)
{
	if (s->value && cmk_out_has_control(s->value))
		chk__err(c, d, s->loc, CONTROL_HINT, "%s '%s' contains a control character", what, s->value);
}

static void chk__printable_map(checker *c, manifest_doc *d, const manifest_map *m, const char *what)
{
	char key_what[64], value_what[64];

	snprintf(key_what, sizeof(key_what), "%s key", what);
	snprintf(value_what, sizeof(value_what), "%s value", what);
	for (size_t i = 0; i < m->count; i++) {
		chk__printable(c, d, &m->items[i].key, key_what);
		chk__printable(c, d, &m->items[i].value, value_what);
	}
}

/* Text that cmkctl prints and sends must not drive a terminal or a CI log
 * (common/out.h escapes it anyway): refused where it is written. Names with
 * a fixed character set are refused by their own rules. */
static void chk__control_characters(checker *c, manifest_doc *d)
{
	chk__printable_map(c, d, &d->labels, "label");
	chk__printable_map(c, d, &d->annotations, "annotation");
	switch (d->kind) {
	case MANIFEST_KIND_LOG_ANALYTICS_CLUSTER:
		chk__printable_map(c, d, &d->spec.cluster.tags, "tag");
		break;
	case MANIFEST_KIND_MANAGED_IDENTITY:
		chk__printable_map(c, d, &d->spec.managed_identity.tags, "tag");
		break;
	case MANIFEST_KIND_WORKSPACE_LINK:
		for (size_t i = 0; i < d->spec.workspace_link.workspace_count; i++)
			chk__printable(c, d, &d->spec.workspace_link.workspaces[i].id, "workspace");
		break;
	case MANIFEST_KIND_LINKED_STORAGE_ACCOUNT:
		chk__printable(c, d, &d->spec.linked_storage.workspace, "spec.workspace");
		break;
	default:
		break;
	}
}

static void chk__document(checker *c, manifest_doc *d)
{
	chk__metadata_name(c, d);
	chk__control_characters(c, d);
	switch (d->kind) {
	case MANIFEST_KIND_KEY_VAULT_KEY:
		chk__key_vault_key(c, d);
		break;
	case MANIFEST_KIND_MANAGED_IDENTITY:
		chk__subscription(c, d, &d->spec.managed_identity.subscription, "spec.subscription");
		chk__resource_group(c, d, &d->spec.managed_identity.resource_group, "spec.resourceGroup");
		chk__identity_name(c, d, &d->spec.managed_identity.name);
		chk__tags(c, d, &d->spec.managed_identity.tags);
		break;
	case MANIFEST_KIND_LOG_ANALYTICS_CLUSTER:
		chk__cluster(c, d);
		break;
	case MANIFEST_KIND_KUSTO_CLUSTER_KEY:
		chk__kusto(c, d);
		break;
	case MANIFEST_KIND_LINKED_STORAGE_ACCOUNT:
		chk__linked_storage(c, d);
		break;
	default:
		break;
	}
}

/* ---- names and references ---- */

/* The set's documents sorted by (kind, name, load order), for lookups in
 * O(log n) and duplicate detection in one pass. */
typedef struct {
	manifest_doc *doc;
	size_t order;
} name_entry;

static int chk__name_cmp(const void *pa, const void *pb)
{
	const name_entry *a = pa, *b = pb;
	int c;

	if (a->doc->kind != b->doc->kind)
		return a->doc->kind < b->doc->kind ? -1 : 1;
	if ((c = strcmp(a->doc->name.value, b->doc->name.value)) != 0)
		return c;
	return a->order < b->order ? -1 : a->order > b->order;
}

static manifest_doc *chk__find(const name_entry *idx, size_t n, manifest_kind kind, const char *name)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const manifest_doc *d = idx[mid].doc;
		int c = d->kind != kind ? (d->kind < kind ? -1 : 1) : strcmp(d->name.value, name);

		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < n && idx[lo].doc->kind == kind && strcmp(idx[lo].doc->name.value, name) == 0)
		return idx[lo].doc;
	return NULL;
}

static void chk__duplicate_names(checker *c, const name_entry *idx, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		manifest_doc *d = idx[i].doc;
		size_t first = i - 1;
		char hint[512];

		if (idx[first].doc->kind != d->kind || strcmp(idx[first].doc->name.value, d->name.value) != 0)
			continue;
		while (first > 0 && idx[first - 1].doc->kind == d->kind &&
		       strcmp(idx[first - 1].doc->name.value, d->name.value) == 0)
			first--;
		snprintf(hint, sizeof(hint), "the first is at %s:%u:%u; names are unique per kind",
			 idx[first].doc->name.loc.file, idx[first].doc->name.loc.line,
			 idx[first].doc->name.loc.column);
		chk__err(c, d, d->name.loc, hint, "duplicate %s name '%s'", manifest_kind_name(d->kind),
			 d->name.value);
	}
}

static void chk__resolve(checker *c, const name_entry *idx, size_t nidx, manifest_doc *d,
			 manifest_ref *r, const char *path)
{
	manifest_doc *t;
	const char *names[64], *near = NULL;
	size_t n = 0;
	char hint[256];

	r->target = NULL;
	if (!r->name.value)
		return;
	if ((t = chk__find(idx, nidx, r->kind, r->name.value)) != NULL) {
		r->target = t;
		return;
	}
	for (int k = 0; k < MANIFEST_KIND__COUNT; k++) {
		if (chk__find(idx, nidx, (manifest_kind)k, r->name.value)) {
			snprintf(hint, sizeof(hint), "%s needs a %s", path, manifest_kind_name(r->kind));
			chk__err(c, d, r->name.loc, hint, "%s refers to '%s', which is a %s, not a %s", path,
				 r->name.value, manifest_kind_name((manifest_kind)k), manifest_kind_name(r->kind));
			return;
		}
	}
	for (size_t i = 0; i < nidx && n < 64; i++)
		if (idx[i].doc->kind == r->kind)
			names[n++] = idx[i].doc->name.value;
	near = manifest_suggest(r->name.value, names, n);
	if (near)
		snprintf(hint, sizeof(hint), "did you mean '%s'?", near);
	else
		snprintf(hint, sizeof(hint), "define a %s with metadata.name: %s", manifest_kind_name(r->kind),
			 r->name.value);
	chk__err(c, d, r->name.loc, hint, "%s refers to %s '%s', which is not defined", path,
		 manifest_kind_name(r->kind), r->name.value);
}

/* Documents' positions in the set, for the cycle search's colour array. */
typedef struct {
	const manifest_doc *doc;
	size_t index;
} pos_entry;

static int chk__pos_cmp(const void *pa, const void *pb)
{
	const pos_entry *a = pa, *b = pb;

	return (uintptr_t)a->doc < (uintptr_t)b->doc ? -1 : (uintptr_t)a->doc > (uintptr_t)b->doc;
}

static size_t chk__pos(const pos_entry *pos, size_t n, const manifest_doc *d)
{
	pos_entry key = { d, 0 };
	const pos_entry *hit = bsearch(&key, pos, n, sizeof(*pos), chk__pos_cmp);

	return hit ? hit->index : 0;
}

static void chk__report_cycle(checker *c, manifest_doc **stack, size_t depth, size_t from,
			      const manifest_ref *closing)
{
	char path[1024] = "";

	for (size_t i = from; i < depth; i++)
		snprintf(path + strlen(path), sizeof(path) - strlen(path), "%s/%s -> ",
			 manifest_kind_name(stack[i]->kind), stack[i]->name.value);
	snprintf(path + strlen(path), sizeof(path) - strlen(path), "%s/%s",
		 manifest_kind_name(stack[from]->kind), stack[from]->name.value);
	chk__err(c, stack[depth - 1], closing->name.loc,
		 "remove one of these references (metadata.dependsOn is the usual culprit)",
		 "reference cycle: %s", path);
}

/* Iterative depth-first search (no recursion on user-controlled depth);
 * colour 0 unvisited, 1 on the stack, 2 done. Each cycle is reported once,
 * at the reference that closes it. */
static void chk__cycles(checker *c)
{
	size_t n = c->set->count;
	unsigned char *colour = calloc(n ? n : 1, 1);
	manifest_doc **stack = calloc(n ? n : 1, sizeof(*stack));
	size_t *next = calloc(n ? n : 1, sizeof(*next));
	pos_entry *pos = calloc(n ? n : 1, sizeof(*pos));

	if (!colour || !stack || !next || !pos) {
		c->error = CMK_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		pos[i].doc = c->set->docs[i];
		pos[i].index = i;
	}
	qsort(pos, n, sizeof(*pos), chk__pos_cmp);
	for (size_t root = 0; root < n; root++) {
		size_t depth = 0;

		if (colour[root])
			continue;
		stack[depth++] = c->set->docs[root];
		colour[root] = 1;
		while (depth) {
			manifest_doc *d = stack[depth - 1];
			size_t di = chk__pos(pos, n, d), ti;
			const char *path;
			manifest_ref *r = manifest_doc_ref_at(d, next[di], &path);
			manifest_doc *t;

			if (!r) {
				colour[di] = 2;
				depth--;
				continue;
			}
			next[di]++;
			if ((t = r->target) == NULL)
				continue;
			ti = chk__pos(pos, n, t);
			if (colour[ti] == 1) {
				size_t from = 0;

				while (stack[from] != t)
					from++;
				chk__report_cycle(c, stack, depth, from, r);
			} else if (colour[ti] == 0) {
				colour[ti] = 1;
				stack[depth++] = t;
			}
		}
	}
out:
	free(colour);
	free(stack);
	free(next);
	free(pos);
}

/* ---- regions ---- */

static void chk__same_region(checker *c, manifest_doc *d, const manifest_string *loc, const char *what,
			     const manifest_doc *anchor_doc, const char *anchor_loc)
{
	char hint[512];

	if (!loc->value || !anchor_loc || strcmp(loc->value, anchor_loc) == 0)
		return;
	snprintf(hint, sizeof(hint),
		 "customer-managed key capability is regional: the Key Vault, the cluster and the linked workspaces must be in the same region (%s '%s' is in %s)",
		 manifest_kind_name(anchor_doc->kind), anchor_doc->name.value ? anchor_doc->name.value : "?", anchor_loc);
	chk__err(c, d, loc->loc, hint, "%s location '%s' differs from %s '%s' location '%s'", what, loc->value,
		 manifest_kind_name(anchor_doc->kind), anchor_doc->name.value ? anchor_doc->name.value : "?", anchor_loc);
}

/* ---- workspaces across links ---- */

typedef struct {
	const char *id;        /* NULL: empty slot */
	manifest_doc *link;
	const manifest_resource *entry;
} ws_slot;

static void chk__workspaces(checker *c)
{
	size_t total = 0, cap = 16;
	ws_slot *table = NULL;

	for (size_t i = 0; i < c->set->count; i++)
		if (c->set->docs[i]->kind == MANIFEST_KIND_WORKSPACE_LINK)
			total += c->set->docs[i]->spec.workspace_link.workspace_count;
	while (cap < total * 2)
		cap *= 2;
	if ((table = calloc(cap, sizeof(*table))) == NULL) {
		c->error = CMK_ENOMEM;
		return;
	}
	for (size_t i = 0; i < c->set->count; i++) {
		manifest_doc *d = c->set->docs[i];
		manifest_workspace_link *s = &d->spec.workspace_link;
		manifest_doc *cl;

		if (d->kind != MANIFEST_KIND_WORKSPACE_LINK)
			continue;
		cl = s->cluster.target;
		for (size_t w = 0; w < s->workspace_count; w++) {
			const manifest_resource *e = &s->workspaces[w];
			size_t h = arm_id_hash(e->id.value) & (cap - 1);
			char hint[512];

			while (table[h].id && !arm_id_equal(table[h].id, e->id.value))
				h = (h + 1) & (cap - 1);
			if (!table[h].id) {
				table[h].id = e->id.value;
				table[h].link = d;
				table[h].entry = e;
			} else {
				manifest_doc *first = table[h].link;
				manifest_doc *first_cl = first->spec.workspace_link.cluster.target;

				snprintf(hint, sizeof(hint), "first listed at %s:%u:%u",
					 table[h].entry->id.loc.file, table[h].entry->id.loc.line,
					 table[h].entry->id.loc.column);
				if (first_cl && cl && first_cl != cl)
					chk__err(c, d, e->id.loc, hint,
						 "workspace is listed under two clusters ('%s' and '%s'); a workspace can be linked to one cluster only",
						 first_cl->name.value, cl->name.value);
				else
					chk__err(c, d, e->id.loc, hint, "workspace is listed twice");
			}
			if (cl && cl->kind == MANIFEST_KIND_LOG_ANALYTICS_CLUSTER)
				chk__same_region(c, d, &e->location, "workspace", cl, cl->spec.cluster.location.value);
		}
	}
	free(table);

	/* at most 1000 per cluster, counted over every link to it */
	for (size_t i = 0; i < c->set->count; i++) {
		manifest_doc *cl = c->set->docs[i];
		size_t count = 0;
		bool reported = false;

		if (cl->kind != MANIFEST_KIND_LOG_ANALYTICS_CLUSTER)
			continue;
		for (size_t j = 0; j < c->set->count && !reported; j++) {
			manifest_doc *d = c->set->docs[j];
			manifest_workspace_link *s = &d->spec.workspace_link;

			if (d->kind != MANIFEST_KIND_WORKSPACE_LINK || s->cluster.target != cl)
				continue;
			if (count + s->workspace_count > VALIDATE_MAX_WORKSPACES_PER_CLUSTER) {
				size_t over = VALIDATE_MAX_WORKSPACES_PER_CLUSTER - count;

				chk__err(c, d, s->workspaces[over].id.loc,
					 "The maximum number of workspaces that can be linked to a cluster is 1000: use another cluster",
					 "cluster '%s' would have more than %d linked workspaces (this is number %d)",
					 cl->name.value, VALIDATE_MAX_WORKSPACES_PER_CLUSTER,
					 VALIDATE_MAX_WORKSPACES_PER_CLUSTER + 1);
				reported = true;
			}
			count += s->workspace_count;
		}
	}
}

/* ---- the rest of the cross-document rules ---- */

/* Two documents that manage one Azure resource (ids compare like ARM's). */
static void chk__same_resource(checker *c, manifest_kind kind, const char *what,
			       const manifest_string *(*where)(const manifest_doc *))
{
	char **ids = calloc(c->set->count ? c->set->count : 1, sizeof(*ids));
	int error;

	if (!ids) {
		c->error = CMK_ENOMEM;
		return;
	}
	for (size_t i = 0; i < c->set->count; i++) {
		manifest_doc *d = c->set->docs[i];

		if (d->kind != kind)
			continue;
		if ((error = manifest_doc_resource_id(&ids[i], d)) == CMK_ENOMEM) {
			c->error = CMK_ENOMEM;
			goto out;
		}
		if (!ids[i])
			continue;
		for (size_t j = 0; j < i; j++) {
			manifest_doc *e = c->set->docs[j];
			char hint[512];

			if (!ids[j] || !arm_id_equal(ids[i], ids[j]))
				continue;
			snprintf(hint, sizeof(hint), "%s '%s' (%s:%u) already describes it; keep one document per Azure resource",
				 manifest_kind_name(kind), e->name.value ? e->name.value : "?", e->loc.file, e->loc.line);
			chk__err(c, d, where(d)->loc, hint, "%s is already managed by another document", what);
			break;
		}
	}
out:
	for (size_t i = 0; i < c->set->count; i++)
		free(ids[i]);
	free(ids);
}

static const manifest_string *where_cluster(const manifest_doc *d) { return &d->spec.cluster.name; }
static const manifest_string *where_identity(const manifest_doc *d) { return &d->spec.managed_identity.name; }
static const manifest_string *where_kusto(const manifest_doc *d) { return &d->spec.kusto.cluster; }
static const manifest_string *where_component(const manifest_doc *d) { return &d->spec.app_insights.component; }
static const manifest_string *where_storage(const manifest_doc *d) { return &d->spec.linked_storage.workspace; }

static void chk__clusters_per_region(checker *c)
{
	for (size_t i = 0; i < c->set->count; i++) {
		manifest_doc *d = c->set->docs[i];
		const manifest_log_analytics_cluster *s = &d->spec.cluster;
		size_t same = 0;

		if (d->kind != MANIFEST_KIND_LOG_ANALYTICS_CLUSTER || !s->subscription.value || !s->location.value)
			continue;
		for (size_t j = 0; j < i; j++) {
			const manifest_doc *e = c->set->docs[j];

			if (e->kind == MANIFEST_KIND_LOG_ANALYTICS_CLUSTER && e->spec.cluster.subscription.value &&
			    e->spec.cluster.location.value &&
			    strcasecmp(e->spec.cluster.subscription.value, s->subscription.value) == 0 &&
			    strcmp(e->spec.cluster.location.value, s->location.value) == 0)
				same++;
		}
		if (same == VALIDATE_MAX_CLUSTERS_PER_REGION)
			chk__err(c, d, s->location.loc,
				 "The max number of cluster per region and subscription is 2: use another subscription or region",
				 "a third cluster in subscription %s and region %s", s->subscription.value, s->location.value);
	}
}

static void chk__kusto_key(checker *c, manifest_doc *d)
{
	manifest_kusto_cluster_key *s = &d->spec.kusto;
	manifest_doc *kd = s->key.target;
	manifest_key_vault_key *k;

	if (!kd)
		return;
	k = &kd->spec.key_vault_key;
	if ((k->key_type.set && k->key_type.value != MANIFEST_KEY_TYPE_RSA &&
	     k->key_type.value != MANIFEST_KEY_TYPE_RSA_HSM) ||
	    (k->key_size.set && k->key_size.value != 2048)) {
		char what[64];

		if (k->key_type.set && k->key_type.value != MANIFEST_KEY_TYPE_RSA &&
		    k->key_type.value != MANIFEST_KEY_TYPE_RSA_HSM)
			snprintf(what, sizeof(what), "a key of type %s", manifest_key_type_name(k->key_type.value));
		else
			snprintf(what, sizeof(what), "an RSA key of %lld bits", k->key_size.value);
		chk__err(c, d, s->key.name.loc, "Only RSA keys of size 2048 are supported (Azure Data Explorer)",
			 "spec.key refers to KeyVaultKey '%s', %s; Azure Data Explorer needs RSA 2048",
			 kd->name.value, what);
	}
	chk__same_region(c, d, &k->location, "key vault", d, s->location.value);
}

static void chk__cross(checker *c)
{
	for (size_t i = 0; i < c->set->count; i++) {
		manifest_doc *d = c->set->docs[i];

		switch (d->kind) {
		case MANIFEST_KIND_LOG_ANALYTICS_CLUSTER: {
			manifest_log_analytics_cluster *s = &d->spec.cluster;

			if (s->key.target)
				chk__same_region(c, s->key.target, &s->key.target->spec.key_vault_key.location,
						 "key vault", d, s->location.value);
			break;
		}
		case MANIFEST_KIND_WORKSPACE_LINK: {
			manifest_doc *cl = d->spec.workspace_link.cluster.target;

			if (cl && cl->spec.cluster.cluster_type.value == MANIFEST_CLUSTER_TYPE_APPLICATION_INSIGHTS)
				chk__err(c, d, d->spec.workspace_link.cluster.name.loc,
					 "Application Insights and Log Analytics require separate clusters: link components with an AppInsightsComponentLink",
					 "spec.cluster '%s' is an ApplicationInsights cluster; workspaces link to LogAnalytics clusters",
					 cl->name.value);
			break;
		}
		case MANIFEST_KIND_APP_INSIGHTS_COMPONENT_LINK: {
			manifest_app_insights_component_link *s = &d->spec.app_insights;
			manifest_doc *cl = s->cluster.target;

			if (!cl)
				break;
			if (cl->spec.cluster.cluster_type.value != MANIFEST_CLUSTER_TYPE_APPLICATION_INSIGHTS)
				chk__err(c, d, s->cluster.name.loc,
					 "set clusterType: ApplicationInsights on that cluster (it cannot change after creation), or link a workspace instead",
					 "spec.cluster '%s' is a LogAnalytics cluster; components need an ApplicationInsights cluster",
					 cl->name.value);
			chk__same_region(c, d, &s->location, "component", cl, cl->spec.cluster.location.value);
			break;
		}
		case MANIFEST_KIND_KUSTO_CLUSTER_KEY:
			chk__kusto_key(c, d);
			break;
		default:
			break;
		}
	}
}

int validate_manifest_set(manifest_diags *diags, manifest_set *set)
{
	checker c = { diags, set, 0 };
	name_entry *idx = NULL;
	size_t nidx = 0;

	for (size_t i = 0; i < set->count && !c.error; i++)
		chk__document(&c, set->docs[i]);
	if (set->incomplete || c.error)
		return c.error;

	if ((idx = calloc(set->count ? set->count : 1, sizeof(*idx))) == NULL)
		return CMK_ENOMEM;
	for (size_t i = 0; i < set->count; i++) {
		if (!set->docs[i]->name.value)
			continue;
		idx[nidx].doc = set->docs[i];
		idx[nidx].order = i;
		nidx++;
	}
	qsort(idx, nidx, sizeof(*idx), chk__name_cmp);
	chk__duplicate_names(&c, idx, nidx);
	for (size_t i = 0; i < set->count && !c.error; i++) {
		manifest_doc *d = set->docs[i];
		const char *path;
		manifest_ref *r;

		for (size_t k = 0; (r = manifest_doc_ref_at(d, k, &path)) != NULL; k++)
			chk__resolve(&c, idx, nidx, d, r, path);
	}
	free(idx);
	if (c.error)
		return c.error;
	chk__cycles(&c);
	chk__same_resource(&c, MANIFEST_KIND_LOG_ANALYTICS_CLUSTER, "this cluster", where_cluster);
	chk__same_resource(&c, MANIFEST_KIND_MANAGED_IDENTITY, "this identity", where_identity);
	chk__same_resource(&c, MANIFEST_KIND_KUSTO_CLUSTER_KEY, "this Azure Data Explorer cluster", where_kusto);
	chk__same_resource(&c, MANIFEST_KIND_APP_INSIGHTS_COMPONENT_LINK, "this component", where_component);
	chk__same_resource(&c, MANIFEST_KIND_LINKED_STORAGE_ACCOUNT,
			   "the linked storage account for this workspace and dataSourceType", where_storage);
	chk__clusters_per_region(&c);
	chk__workspaces(&c);
	chk__cross(&c);
	return c.error;
}
