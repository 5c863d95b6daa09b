/*
 * store.c - the resource table: hash by lower-cased id, plus one list per
 * type for scans; the global state lock; per-type hooks (see store.h).
 */
#include "store.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "settings.h"
#include "simclock.h"
#include "util.h"

#define NBUCKETS 16384
#define MAX_TYPES 64

typedef struct sim_type_list {
	char *type;
	sim_res *head, *tail;
	size_t count;
	sim_type hooks;
	bool has_hooks;
} sim_type_list;

static pthread_mutex_t g_lock;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static sim_res *g_buckets[NBUCKETS];
static sim_type_list g_types[MAX_TYPES];
static int g_ntypes;

static void store__init_lock(void)
{
	pthread_mutexattr_t a;
	pthread_mutexattr_init(&a);
	/* recursive: admin and LRO callbacks may re-enter helpers that lock */
	pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&g_lock, &a);
	pthread_mutexattr_destroy(&a);
}

void store_lock(void)
{
	pthread_once(&g_once, store__init_lock);
	pthread_mutex_lock(&g_lock);
}

void store_unlock(void)
{
	pthread_mutex_unlock(&g_lock);
}

static char *store__key(const char *id)
{
	size_t n = strlen(id);
	while (n > 1 && id[n - 1] == '/')
		n--;
	char *k = malloc(n + 1);
	if (!k)
		return NULL;
	for (size_t i = 0; i < n; i++)
		k[i] = (char)tolower((unsigned char)id[i]);
	k[n] = '\0';
	return k;
}

static unsigned store__hash(const char *k)
{
	unsigned h = 2166136261u;
	for (; *k; k++)
		h = (h ^ (unsigned char)*k) * 16777619u;
	return h % NBUCKETS;
}

static sim_type_list *store__type(const char *type, bool create)
{
	for (int i = 0; i < g_ntypes; i++)
		if (strcasecmp(g_types[i].type, type) == 0)
			return &g_types[i];
	if (!create || g_ntypes >= MAX_TYPES)
		return NULL;
	sim_type_list *t = &g_types[g_ntypes++];
	memset(t, 0, sizeof *t);
	t->type = strdup(type);
	return t;
}

sim_res *store_get(const char *id)
{
	if (!id)
		return NULL;
	char *k = store__key(id);
	if (!k)
		return NULL;
	sim_res *r = g_buckets[store__hash(k)];
	while (r && strcmp(r->key_, k) != 0)
		r = r->hnext_;
	free(k);
	return r;
}

sim_res *store_get_typed(const char *id, const char *type)
{
	sim_res *r = store_get(id);
	return r && strcasecmp(r->type, type) == 0 ? r : NULL;
}

sim_res *store_put(const char *id, const char *type, cJSON *doc)
{
	sim_res *r = store_get(id);
	if (r) {
		store_lag_note(r);
		if (r->doc != doc)
			cJSON_Delete(r->doc);
		r->doc = doc;
		return r;
	}
	sim_type_list *t = store__type(type, true);
	r = calloc(1, sizeof *r);
	if (!r || !t) {
		free(r);
		cJSON_Delete(doc);
		return NULL;
	}
	r->id = strdup(id);
	size_t n = strlen(r->id);
	while (n > 1 && r->id[n - 1] == '/')
		r->id[--n] = '\0';
	r->type = strdup(t->has_hooks ? t->hooks.type : type);
	r->key_ = store__key(id);
	r->doc = doc;
	r->sim = cJSON_CreateObject();
	r->tl_ = t;
	unsigned h = store__hash(r->key_);
	r->hnext_ = g_buckets[h];
	g_buckets[h] = r;
	r->tprev_ = t->tail;
	if (t->tail)
		t->tail->tnext_ = r;
	else
		t->head = r;
	t->tail = r;
	t->count++;
	if (g_settings.read_lag_s > 0) {
		r->lag_absent_ = true;
		r->lag_until_ = simclock_now_ms() + (int64_t)(g_settings.read_lag_s * 1000.0);
	}
	return r;
}

static bool g_read_view;

void store_read_view(bool on)
{
	g_read_view = on;
}

void store_lag_note(sim_res *r)
{
	if (!r || g_settings.read_lag_s <= 0)
		return;
	int64_t now = simclock_now_ms();
	if (now >= r->lag_until_) {
		/* reads had caught up: they now lag behind this state */
		cJSON_Delete(r->lag_doc_);
		r->lag_doc_ = cJSON_Duplicate(r->doc, 1);
		r->lag_absent_ = false;
	}
	r->lag_until_ = now + (int64_t)(g_settings.read_lag_s * 1000.0);
}

static bool store__lagging(const sim_res *r)
{
	return g_read_view && r->lag_until_ && simclock_now_ms() < r->lag_until_;
}

void store_delete(sim_res *r)
{
	if (!r)
		return;
	unsigned h = store__hash(r->key_);
	sim_res **pp = &g_buckets[h];
	while (*pp && *pp != r)
		pp = &(*pp)->hnext_;
	if (*pp)
		*pp = r->hnext_;
	sim_type_list *t = r->tl_;
	if (r->tprev_)
		r->tprev_->tnext_ = r->tnext_;
	else
		t->head = r->tnext_;
	if (r->tnext_)
		r->tnext_->tprev_ = r->tprev_;
	else
		t->tail = r->tprev_;
	t->count--;
	free(r->id);
	free(r->type);
	free(r->key_);
	cJSON_Delete(r->doc);
	cJSON_Delete(r->sim);
	cJSON_Delete(r->lag_doc_);
	free(r);
}

bool store_id_under(const char *id, const char *scope)
{
	if (!scope || !*scope || strcmp(scope, "/") == 0)
		return true;
	size_t n = strlen(scope);
	while (n > 1 && scope[n - 1] == '/')
		n--;
	if (strncasecmp(id, scope, n) != 0)
		return false;
	return id[n] == '\0' || id[n] == '/';
}

void store_delete_tree(const char *id)
{
	for (int i = 0; i < g_ntypes; i++) {
		sim_res *r = g_types[i].head;
		while (r) {
			sim_res *next = r->tnext_;
			if (store_id_under(r->id, id))
				store_delete(r);
			r = next;
		}
	}
}

static int store__cmp(const void *a, const void *b)
{
	const sim_res *x = *(sim_res *const *)a, *y = *(sim_res *const *)b;
	return strcmp(x->key_, y->key_);
}

size_t store_list(sim_res ***out, const char *type, const char *scope)
{
	*out = NULL;
	sim_type_list *t = store__type(type, false);
	if (!t || !t->count)
		return 0;
	sim_res **arr = malloc(t->count * sizeof *arr);
	size_t n = 0;
	if (!arr)
		return 0;
	for (sim_res *r = t->head; r; r = r->tnext_)
		if ((!scope || store_id_under(r->id, scope)) && !(r->lag_absent_ && store__lagging(r)))
			arr[n++] = r;
	qsort(arr, n, sizeof *arr, store__cmp);
	*out = arr;
	return n;
}

sim_res *store_first(const char *type)
{
	sim_type_list *t = store__type(type, false);
	return t ? t->head : NULL;
}

sim_res *store_next(const sim_res *r)
{
	return r ? r->tnext_ : NULL;
}

size_t store_list_all(sim_res ***out)
{
	size_t total = 0, n = 0;
	*out = NULL;
	for (int i = 0; i < g_ntypes; i++)
		total += g_types[i].count;
	if (!total)
		return 0;
	sim_res **arr = malloc(total * sizeof *arr);
	if (!arr)
		return 0;
	for (int i = 0; i < g_ntypes; i++)
		for (sim_res *r = g_types[i].head; r; r = r->tnext_)
			arr[n++] = r;
	*out = arr;
	return n;
}

size_t store_count(const char *type)
{
	sim_type_list *t = store__type(type, false);
	return t ? t->count : 0;
}

void store_clear(void)
{
	for (int i = 0; i < g_ntypes; i++)
		while (g_types[i].head)
			store_delete(g_types[i].head);
}

void store_type_register(const sim_type *hooks)
{
	sim_type_list *t = store__type(hooks->type, true);
	if (!t)
		return;
	t->hooks = *hooks;
	t->has_hooks = true;
}

const sim_type *store_type_find(const char *type)
{
	sim_type_list *t = store__type(type, false);
	return t && t->has_hooks ? &t->hooks : NULL;
}

cJSON *store_render(const sim_res *res, const char *api_version)
{
	const sim_type *h = store_type_find(res->type);
	sim_res lagged;
	if (res->lag_doc_ && store__lagging(res)) {
		lagged = *res;
		lagged.doc = res->lag_doc_;
		res = &lagged;
	}
	if (h && h->render)
		return h->render(res, api_version);
	return cJSON_Duplicate(res->doc, 1);
}

sim_res *store_subscription(const char *subscription_id)
{
	char id[256];
	snprintf(id, sizeof id, "/subscriptions/%s", subscription_id);
	return store_get_typed(id, "Microsoft.Resources/subscriptions");
}

sim_res *store_resource_group(const char *subscription_id, const char *rg)
{
	char id[512];
	snprintf(id, sizeof id, "/subscriptions/%s/resourceGroups/%s", subscription_id, rg);
	return store_get_typed(id, "Microsoft.Resources/resourceGroups");
}
