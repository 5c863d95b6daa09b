/*
 * live_read.c - the live model of a scope from list calls first, every read
 * concurrent in the client's loop (see live_read.h).
 *
 * Each read is a job: submitted with arm_submit (or adapter_list_submit for
 * paged lists), handled in its completion callback, which may submit the
 * reads that depend on it (a vault's keys once its URI is known). The
 * reader counts jobs in flight and drives the loop until none is left.
 */
#include "providers/live_read.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/arm_id.h"
#include "common/vec.h"
#include "providers/adapter_cluster.h"
#include "providers/adapter_component.h"
#include "providers/adapter_identity.h"
#include "providers/adapter_key.h"
#include "providers/adapter_kusto.h"
#include "providers/adapter_link.h"
#include "providers/adapter_linked_storage.h"
#include "providers/adapter_role.h"
#include "providers/adapter_util.h"
#include "providers/adapter_vault.h"
#include "providers/adapter_workspace.h"

typedef struct {
	arm_client *c;
	live_state *out;
	const live_scope *scope;
	size_t inflight;
	size_t link_probes; /* link-state GETs submitted */
	live_state assoc; /* workspaces the clusters' associatedWorkspaces name */
	int rc;          /* first failure */
	char msg[2048];  /* its message */
} reader;

typedef struct job job;
/* Handle a GET answer (doc NULL: 404) or a list item. */
typedef int (*job_fn)(job *j, const cJSON *doc);

struct job {
	reader *r;
	job_fn fn;
	char *a;  /* the resource id (or workspace id) the job is about */
	char *b;  /* a second string (a subscription, a vault URI) */
};

static void reader__fail(reader *r, int rc)
{
	if (r->rc == 0 && rc < 0) {
		r->rc = rc;
		snprintf(r->msg, sizeof(r->msg), "%s", cmk_error_last());
	}
}

static job *job__new(reader *r, job_fn fn, const char *a, const char *b)
{
	job *j = calloc(1, sizeof(*j));

	if (!j || (a && (j->a = strdup(a)) == NULL) || (b && (j->b = strdup(b)) == NULL)) {
		if (j) {
			free(j->a);
			free(j);
		}
		reader__fail(r, cmk_error_oom());
		return NULL;
	}
	j->r = r;
	j->fn = fn;
	return j;
}

static void job__free(job *j)
{
	if (!j)
		return;
	free(j->a);
	free(j->b);
	free(j);
}

/* ---- single GETs --------------------------------------------------------------- */

static int on_key(job *j, const cJSON *doc);

/* Whether a data-plane answer says the key is disabled (403 KeyDisabled,
 * "Operation get is not allowed on a disabled key."). */
static bool live_read__key_disabled(const arm_response *resp)
{
	const arm_error *e = resp ? resp->error : NULL;

	return e && e->http_status == 403 &&
	       ((e->additional_info && strstr(e->additional_info, "KeyDisabled")) ||
		(e->message && strstr(e->message, "disabled key")));
}

static void get__done(void *ud, arm_response *resp, int rc)
{
	job *j = ud;
	reader *r = j->r;
	cJSON *doc = NULL;

	r->inflight--;
	if (rc == CMK_ENOTFOUND) {
		cmk_error_clear();
		rc = j->fn(j, NULL);
	} else if (rc < 0 && j->fn == on_key && live_read__key_disabled(resp)) {
		/* Key Vault refuses to GET a disabled key (403, innererror
		 * KeyDisabled): that is the answer - the key exists, disabled,
		 * and drift must report the revocation, not fail */
		cJSON *disabled = cJSON_Parse("{\"attributes\":{\"enabled\":false}}");

		cmk_error_clear();
		rc = disabled ? j->fn(j, disabled) : cmk_error_oom();
		cJSON_Delete(disabled);
	} else if (rc < 0) {
		if (resp && resp->error)
			arm_error_raise(resp->error);
	} else if ((rc = arm_response_json(&doc, resp)) == 0) {
		rc = j->fn(j, doc);
	}
	reader__fail(r, rc);
	cJSON_Delete(doc);
	arm_response_free(resp);
	job__free(j);
}

static void get__submit(reader *r, const char *url, const char *api_version,
			arm_audience audience, job_fn fn, const char *a, const char *b)
{
	job *j = job__new(r, fn, a, b);
	arm_request req = { .method = "GET", .url = url, .api_version = api_version,
			    .audience = audience, .resource_id = a };
	int rc;

	if (!j)
		return;
	if ((rc = arm_submit(r->c, &req, 0, get__done, j)) < 0) {
		reader__fail(r, rc);
		job__free(j);
		return;
	}
	r->inflight++;
}

/* ---- paged lists -------------------------------------------------------------------- */

static int list__item(void *ud, const cJSON *item)
{
	job *j = ud;

	return j->fn(j, item);
}

static void list__done(void *ud, int rc)
{
	job *j = ud;

	j->r->inflight--;
	reader__fail(j->r, rc);
	/* a list's follow-ups (link states) run when it is complete */
	if (rc == 0 && j->fn)
		reader__fail(j->r, j->fn(j, NULL));
	job__free(j);
}

/* `fn` gets every item, then NULL once the list is complete. */
static void list__submit(reader *r, const char *url, const char *api_version, job_fn fn,
			 const char *a, const char *b)
{
	job *j = job__new(r, fn, a, b);
	int rc;

	if (!j)
		return;
	if ((rc = adapter_list_submit(r->c, url, api_version, ARM_AUD_ARM, list__item, list__done,
				      j)) < 0) {
		reader__fail(r, rc);
		job__free(j);
		return;
	}
	r->inflight++;
}

/* ---- handlers --------------------------------------------------------------------- */

static int on_subscription(job *j, const cJSON *doc)
{
	live_subscription *s;
	int error;

	if (!doc)
		return cmk_error_set(CMK_ENOTFOUND, "subscription '%s' was not found (or the "
				     "credential cannot see it)", j->a);
	if ((s = ADAPTER_APPEND(j->r->out->subscriptions, j->r->out->subscription_count)) == NULL)
		return CMK_ENOMEM;
	if ((error = adapter_dup(&s->id, j->a)) < 0 ||
	    (error = adapter_dup_str(&s->tenant_id, doc, "tenantId")) < 0)
		return error;
	return 0;
}

static int on_cluster(job *j, const cJSON *doc)
{
	const cJSON *aw;
	const char *cid = adapter_str(doc, "id");
	int error;

	if (!doc)
		return 0;
	if ((error = adapter_cluster_add(j->r->out, doc)) < 0)
		return error;
	/* a cluster names every workspace linked to it, in any subscription:
	 * kept aside for those no workspace list covers */
	cJSON_ArrayForEach(aw, adapter_path(doc, "properties.associatedWorkspaces")) {
		live_workspace *ws;
		const char *wid = adapter_str(aw, "resourceId");

		if (!wid)
			continue;
		if ((ws = ADAPTER_APPEND(j->r->assoc.workspaces, j->r->assoc.workspace_count)) == NULL)
			return CMK_ENOMEM;
		ws->link_operations_30d = -1;
		if ((error = adapter_dup(&ws->id, wid)) < 0 ||
		    (error = adapter_dup_str(&ws->name, aw, "workspaceName")) < 0 ||
		    (error = adapter_dup_str(&ws->customer_id, aw, "workspaceId")) < 0 ||
		    (error = adapter_dup(&ws->cluster_resource_id, cid)) < 0)
			return error;
	}
	return 0;
}

static int on_workspace_link(job *j, const cJSON *doc)
{
	live_workspace *ws = live_find_workspace(j->r->out, j->a);
	char *state = NULL;

	if (!ws)
		return 0;
	if (doc && adapter_dup_str(&state, doc, "properties.provisioningState") < 0)
		return CMK_ENOMEM;
	free(ws->link_state);
	ws->link_state = state;
	return 0;
}

static int on_workspace(job *j, const cJSON *doc)
{
	reader *r = j->r;
	const live_scope *sc = r->scope;

	if (doc)
		return adapter_workspace_add(r->out, doc);
	/* the list is complete: look for links in flight where asked */
	for (size_t i = 0; sc->link_state && i < sc->workspace_count; i++) {
		char sub[128], *url = NULL;
		const live_workspace *ws;

		if (adapter_subscription_of(sub, sizeof(sub), sc->workspaces[i]) < 0 ||
		    strcasecmp(sub, j->b) != 0)
			continue;
		ws = live_find_workspace(r->out, sc->workspaces[i]);
		if (!ws || ws->cluster_resource_id)
			continue;
		if (r->link_probes >= (sc->link_state_max ? sc->link_state_max : 100))
			break;
		r->link_probes++;
		if (adapter_link_url(&url, sc->workspaces[i]) < 0)
			return CMK_ENOMEM;
		get__submit(r, url, ADAPTER_API_LA, ARM_AUD_ARM, on_workspace_link,
			    sc->workspaces[i], NULL);
		free(url);
	}
	return 0;
}

static int on_key(job *j, const cJSON *doc)
{
	live_vault *v = live_find_vault(j->r->out, j->a);

	/* j->a: vault id, j->b: key name */
	return adapter_key_add(j->r->out, j->a, v ? v->vault_uri : NULL, j->b, doc);
}

static int on_role_assignment(job *j, const cJSON *doc)
{
	return doc ? adapter_role_assignment_add(j->r->out, doc) : 0;
}

static int on_vault(job *j, const cJSON *doc)
{
	reader *r = j->r;
	const live_scope *sc = r->scope;
	const char *uri;
	int error;

	if (!doc)
		return 0; /* absent: the planner says so; its keys cannot be read */
	if ((error = adapter_vault_add(r->out, doc)) < 0)
		return error;
	uri = adapter_str(doc, "properties.vaultUri");
	for (size_t i = 0; uri && i < sc->key_count; i++) {
		char *url = NULL;

		if (!arm_id_equal(sc->keys[i].vault_id, j->a))
			continue;
		if ((error = adapter_key_url(&url, uri, sc->keys[i].name)) < 0)
			return error;
		get__submit(r, url, ADAPTER_API_KEYS, ARM_AUD_KEYVAULT, on_key, j->a,
			    sc->keys[i].name);
		free(url);
	}
	if (adapter_bool(doc, "properties.enableRbacAuthorization", false)) {
		char *url = NULL;

		/* assignments at, above and below the vault (key scopes) */
		if (asprintf(&url, "%s/providers/Microsoft.Authorization/roleAssignments",
			     j->a) < 0)
			return cmk_error_oom();
		list__submit(r, url, ADAPTER_API_AUTHZ, on_role_assignment, j->a, NULL);
		free(url);
	}
	return 0;
}

static int on_identity(job *j, const cJSON *doc)
{
	return doc ? adapter_identity_add(j->r->out, doc) : 0;
}

static int on_kusto(job *j, const cJSON *doc)
{
	return doc ? adapter_kusto_add(j->r->out, doc) : 0;
}

static int on_component(job *j, const cJSON *doc)
{
	return doc ? adapter_component_add(j->r->out, doc) : 0;
}

static int on_linked_storage(job *j, const cJSON *doc)
{
	return doc ? adapter_linked_storage_add(j->r->out, j->a, doc) : 0;
}

/* The workspace itself may be gone: a 404 of the list is no linked storage. */
static void linked_storage__done(void *ud, arm_response *resp, int rc)
{
	job *j = ud;
	reader *r = j->r;
	cJSON *doc = NULL;
	const cJSON *item;

	r->inflight--;
	if (rc == CMK_ENOTFOUND) {
		cmk_error_clear();
		rc = 0;
	} else if (rc < 0) {
		if (resp && resp->error)
			arm_error_raise(resp->error);
	} else if ((rc = arm_response_json(&doc, resp)) == 0) {
		cJSON_ArrayForEach(item, adapter_get(doc, "value"))
			if ((rc = on_linked_storage(j, item)) < 0)
				break;
	}
	reader__fail(r, rc);
	cJSON_Delete(doc);
	arm_response_free(resp);
	job__free(j);
}

/* ---- planning the reads ------------------------------------------------------------ */

typedef struct {
	char **items;
	size_t count;
} strset;

static int strset_add(strset *s, const char *v)
{
	char **slot;

	for (size_t i = 0; i < s->count; i++)
		if (strcasecmp(s->items[i], v) == 0)
			return 0;
	if ((slot = CMK_VEC_APPEND(s->items, s->count)) == NULL)
		return cmk_error_last_code();
	if ((*slot = strdup(v)) == NULL) {
		s->count--;
		return cmk_error_oom();
	}
	return 0;
}

static void strset_free(strset *s)
{
	for (size_t i = 0; i < s->count; i++)
		free(s->items[i]);
	free(s->items);
	memset(s, 0, sizeof(*s));
}

static int subs_of(strset *s, const char *const *ids, size_t n)
{
	char sub[128];
	int error;

	for (size_t i = 0; i < n; i++) {
		if ((error = adapter_subscription_of(sub, sizeof(sub), ids[i])) < 0 ||
		    (error = strset_add(s, sub)) < 0)
			return error;
	}
	return 0;
}

/* Identities, Kusto clusters, components: per subscription, a list when
 * the scope names two or more there, else a GET each. */
static int read_kind(reader *r, const char *const *ids, size_t n, const char *list_fmt,
		     const char *api_version, job_fn fn)
{
	strset subs = { 0 };
	char sub[128];
	int error;

	if ((error = subs_of(&subs, ids, n)) < 0)
		goto out;
	for (size_t s = 0; s < subs.count; s++) {
		size_t here = 0;

		for (size_t i = 0; i < n; i++)
			if (adapter_subscription_of(sub, sizeof(sub), ids[i]) == 0 &&
			    strcasecmp(sub, subs.items[s]) == 0)
				here++;
		if (here >= 2) {
			char url[512];

			snprintf(url, sizeof(url), list_fmt, subs.items[s]);
			list__submit(r, url, api_version, fn, NULL, subs.items[s]);
			continue;
		}
		for (size_t i = 0; i < n; i++)
			if (adapter_subscription_of(sub, sizeof(sub), ids[i]) == 0 &&
			    strcasecmp(sub, subs.items[s]) == 0)
				get__submit(r, ids[i], api_version, ARM_AUD_ARM, fn, ids[i], NULL);
	}
out:
	strset_free(&subs);
	return error;
}

static int reader__idle(void *ud)
{
	return ((reader *)ud)->inflight == 0;
}

/* Drop items a list returned that another read of the same resource also
 * returned (a vault's role assignments overlap a subscription's, a GET and
 * a list of the same identity): the first stays. */
static void dedupe_roles(live_state *s)
{
	size_t w = 0;

	for (size_t i = 0; i < s->role_assignment_count; i++) {
		bool dup = false;

		for (size_t k = 0; k < w && !dup; k++)
			dup = s->role_assignments[k].id && s->role_assignments[i].id &&
			      arm_id_equal(s->role_assignments[k].id, s->role_assignments[i].id);
		if (dup) {
			free(s->role_assignments[i].id);
			free(s->role_assignments[i].scope);
			free(s->role_assignments[i].role_definition_id);
			free(s->role_assignments[i].principal_id);
			continue;
		}
		s->role_assignments[w++] = s->role_assignments[i];
	}
	s->role_assignment_count = w;
}

/* Reads complete in any order: sort every collection so that the same
 * Azure state always gives the same model (saved plans fingerprint it). */
static int cmp_str(const char *a, const char *b)
{
	return arm_id_compare(a ? a : "", b ? b : "");
}
#define CMP_BY(name, T, expr_a, expr_b)                \
	static int name(const void *x, const void *y) \
	{                                             \
		const T *a = x, *b = y;               \
		return cmp_str(expr_a, expr_b);       \
	}
CMP_BY(cmp_sub, live_subscription, a->id, b->id)
CMP_BY(cmp_cluster, live_la_cluster, a->id, b->id)
CMP_BY(cmp_ws, live_workspace, a->id, b->id)
CMP_BY(cmp_vault, live_vault, a->id, b->id)
CMP_BY(cmp_ra, live_role_assignment, a->id, b->id)
CMP_BY(cmp_identity, live_user_identity, a->id, b->id)
CMP_BY(cmp_kusto, live_kusto_cluster, a->id, b->id)
CMP_BY(cmp_component, live_component, a->id, b->id)

static int cmp_lsa(const void *x, const void *y)
{
	const live_linked_storage *a = x, *b = y;
	int r = cmp_str(a->workspace_id, b->workspace_id);

	return r ? r : cmp_str(a->data_source_type, b->data_source_type);
}

static int cmp_key(const void *x, const void *y)
{
	const live_key *a = x, *b = y;
	int r = cmp_str(a->vault_id, b->vault_id);

	return r ? r : cmp_str(a->name, b->name);
}

static void sort_model(live_state *s)
{
#define SORT(arr, n, fn) \
	if ((n) > 1)     \
		qsort((arr), (n), sizeof(*(arr)), (fn))
	SORT(s->subscriptions, s->subscription_count, cmp_sub);
	SORT(s->clusters, s->cluster_count, cmp_cluster);
	SORT(s->workspaces, s->workspace_count, cmp_ws);
	SORT(s->linked_storage, s->linked_storage_count, cmp_lsa);
	SORT(s->vaults, s->vault_count, cmp_vault);
	SORT(s->keys, s->key_count, cmp_key);
	SORT(s->role_assignments, s->role_assignment_count, cmp_ra);
	SORT(s->identities, s->identity_count, cmp_identity);
	SORT(s->kusto_clusters, s->kusto_cluster_count, cmp_kusto);
	SORT(s->components, s->component_count, cmp_component);
#undef SORT
}

/* Which subscriptions get which lists, and which vaults are read: a bad id
 * fails here, before any request. */
static int read__plan(strset *all, strset *clusters, strset *ws, strset *vaults,
		      const live_scope *sc)
{
	int error;

	if ((error = subs_of(clusters, sc->subscriptions, sc->subscription_count)) < 0 ||
	    (error = subs_of(clusters, sc->clusters, sc->cluster_count)) < 0 ||
	    (error = subs_of(ws, sc->subscriptions, sc->subscription_count)) < 0 ||
	    (error = subs_of(ws, sc->workspaces, sc->workspace_count)) < 0 ||
	    (error = subs_of(ws, sc->linked_storage_workspaces,
			     sc->linked_storage_workspace_count)) < 0 ||
	    (error = subs_of(all, sc->subscriptions, sc->subscription_count)) < 0 ||
	    (error = subs_of(all, sc->clusters, sc->cluster_count)) < 0 ||
	    (error = subs_of(all, sc->workspaces, sc->workspace_count)) < 0 ||
	    (error = subs_of(all, sc->identities, sc->identity_count)) < 0 ||
	    (error = subs_of(all, sc->kusto_clusters, sc->kusto_cluster_count)) < 0 ||
	    (error = subs_of(all, sc->components, sc->component_count)) < 0 ||
	    (error = subs_of(all, sc->vaults, sc->vault_count)) < 0)
		return error;
	for (size_t i = 0; i < sc->vault_count; i++)
		if ((error = strset_add(vaults, sc->vaults[i])) < 0)
			return error;
	for (size_t i = 0; i < sc->key_count; i++) {
		char sub[128];

		if ((error = adapter_subscription_of(sub, sizeof(sub), sc->keys[i].vault_id)) < 0 ||
		    (error = strset_add(vaults, sc->keys[i].vault_id)) < 0 ||
		    (error = strset_add(all, sub)) < 0)
			return error;
	}
	return 0;
}

/* One linkedStorageAccounts list per workspace asked for. */
static void read__submit_linked_storage(reader *r, const live_scope *sc)
{
	int error;

	for (size_t i = 0; i < sc->linked_storage_workspace_count; i++) {
		job *j = job__new(r, on_linked_storage, sc->linked_storage_workspaces[i], NULL);
		char lurl[1200];

		if (!j)
			break;
		snprintf(lurl, sizeof(lurl), "%s/linkedStorageAccounts",
			 sc->linked_storage_workspaces[i]);
		arm_request req = { .method = "GET", .url = lurl, .api_version = ADAPTER_API_LA,
				    .resource_id = sc->linked_storage_workspaces[i] };
		if ((error = arm_submit(r->c, &req, 0, linked_storage__done, j)) < 0) {
			reader__fail(r, error);
			job__free(j);
			break;
		}
		r->inflight++;
	}
}

/* Links to a read cluster from workspaces in subscriptions no list covered:
 * known from the cluster alone (the lists are authoritative where they ran). */
static int read__adopt_links(live_state *out, reader *r, const strset *ws_subs)
{
	for (size_t i = 0; i < r->assoc.workspace_count; i++) {
		live_workspace *a = &r->assoc.workspaces[i], *ws;
		char sub[128];
		bool listed = false;

		if (adapter_subscription_of(sub, sizeof(sub), a->id) < 0) {
			cmk_error_clear();
			continue;
		}
		for (size_t k = 0; k < ws_subs->count && !listed; k++)
			listed = strcasecmp(ws_subs->items[k], sub) == 0;
		if (listed || live_find_workspace(out, a->id))
			continue;
		if ((ws = ADAPTER_APPEND(out->workspaces, out->workspace_count)) == NULL)
			return CMK_ENOMEM;
		*ws = *a;
		memset(a, 0, sizeof(*a));
	}
	return 0;
}

int live_read(live_state *out, arm_client *c, const live_scope *sc)
{
	reader r = { .c = c, .out = out, .scope = sc };
	strset all_subs = { 0 }, cluster_subs = { 0 }, ws_subs = { 0 }, vaults = { 0 };
	arm_stats before, after;
	char url[512];
	int error;

	memset(out, 0, sizeof(*out));
	arm_client_stats(&before, c);
	if ((error = read__plan(&all_subs, &cluster_subs, &ws_subs, &vaults, sc)) < 0)
		goto out;
	for (size_t i = 0; i < all_subs.count; i++) {
		snprintf(url, sizeof(url), "/subscriptions/%s", all_subs.items[i]);
		get__submit(&r, url, ADAPTER_API_SUBSCRIPTIONS, ARM_AUD_ARM, on_subscription,
			    all_subs.items[i], NULL);
	}
	for (size_t i = 0; i < cluster_subs.count; i++) {
		snprintf(url, sizeof(url),
			 "/subscriptions/%s/providers/Microsoft.OperationalInsights/clusters",
			 cluster_subs.items[i]);
		list__submit(&r, url, ADAPTER_API_LA, on_cluster, NULL, cluster_subs.items[i]);
	}
	for (size_t i = 0; i < ws_subs.count; i++) {
		snprintf(url, sizeof(url),
			 "/subscriptions/%s/providers/Microsoft.OperationalInsights/workspaces",
			 ws_subs.items[i]);
		list__submit(&r, url, ADAPTER_API_LA, on_workspace, NULL, ws_subs.items[i]);
	}
	for (size_t i = 0; i < vaults.count; i++)
		get__submit(&r, vaults.items[i], ADAPTER_API_KEYVAULT, ARM_AUD_ARM, on_vault,
			    vaults.items[i], NULL);
	read__submit_linked_storage(&r, sc);
	if ((error = read_kind(&r, sc->identities, sc->identity_count,
			       "/subscriptions/%s/providers/Microsoft.ManagedIdentity/userAssignedIdentities",
			       ADAPTER_API_MSI, on_identity)) < 0 ||
	    (error = read_kind(&r, sc->kusto_clusters, sc->kusto_cluster_count,
			       "/subscriptions/%s/providers/Microsoft.Kusto/clusters",
			       ADAPTER_API_KUSTO, on_kusto)) < 0 ||
	    (error = read_kind(&r, sc->components, sc->component_count,
			       "/subscriptions/%s/providers/Microsoft.Insights/components",
			       ADAPTER_API_COMPONENTS, on_component)) < 0)
		reader__fail(&r, error);

	/* every job runs to its end, even after a failure: nothing stays in flight */
	error = arm_run(c, reader__idle, &r);
	if (error < 0)
		reader__fail(&r, error);
	/* canceled: the loop hands every call back (canceled) - let the jobs,
	 * which point at this frame, see their end before it goes */
	while (r.inflight && arm_pending(c))
		if (arm_run(c, reader__idle, &r) < 0)
			continue;
	if (r.inflight && !r.rc)
		reader__fail(&r, cmk_error_set(CMK_ERROR, "live read: the loop ended with %zu "
					       "reads in flight", r.inflight));
	if (r.rc < 0) {
		error = cmk_error_set(r.rc, "%s", r.msg);
		goto out;
	}
	if ((error = read__adopt_links(out, &r, &ws_subs)) < 0)
		goto out;
	dedupe_roles(out);
	sort_model(out);
	arm_client_stats(&after, c);
	out->requests = after.requests - before.requests;
	error = 0;
out:
	if (error < 0)
		live_state_free(out);
	live_state_free(&r.assoc);
	strset_free(&all_subs);
	strset_free(&cluster_subs);
	strset_free(&ws_subs);
	strset_free(&vaults);
	return error;
}
