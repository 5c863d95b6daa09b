/*
 * paging.c - the nextLink loop of every ARM list (see paging.h).
 */
#include "providers/paging.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/vec.h"

#define PAGING_DEFAULT_MAX_PAGES 10000

typedef struct {
	arm_client *c;
	arm_audience audience;
	size_t max_pages;
	char *prefix;   /* "listing" or "listing <name>" */
	arm_error **err_out;
	arm_list_item_fn item;
	arm_list_done_fn done;
	void *ud;
	size_t pages;
	uint64_t *seen; /* FNV-1a of every nextLink followed: a repeat is a loop */
	size_t nseen, seen_cap;
} paging__list;

static uint64_t paging__hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static void paging__free(paging__list *l)
{
	free(l->seen);
	free(l->prefix);
	free(l);
}

static void paging__page_done(void *ud, arm_response *resp, int rc);

static int paging__submit(paging__list *l, const char *url, const char *api_version)
{
	arm_request req = { .method = "GET", .url = url, .api_version = api_version,
			    .audience = l->audience };

	return arm_submit(l->c, &req, 0, paging__page_done, l);
}

/* Check and remember a nextLink before following it: 0, or the error. */
static int paging__may_follow(paging__list *l, const char *next)
{
	uint64_t h = paging__hash(next);

	if (l->pages >= l->max_pages)
		return cmk_error_set(CMK_ERROR, "%s: more than %zu pages (a nextLink loop?)",
				     l->prefix, l->max_pages);
	for (size_t i = 0; i < l->nseen; i++)
		if (l->seen[i] == h)
			return cmk_error_set(CMK_ERROR, "%s: page %zu's nextLink repeats an "
					     "earlier page (a nextLink loop)", l->prefix, l->pages);
	if (cmk_vec_reserve(&l->seen, &l->seen_cap, l->nseen + 1, sizeof(*l->seen), 0) < 0)
		return cmk_error_last_code();
	l->seen[l->nseen++] = h;
	return 0;
}

static void paging__page_done(void *ud, arm_response *resp, int rc)
{
	paging__list *l = ud;
	cJSON *page = NULL;
	const cJSON *value, *item, *next;

	if (rc < 0) {
		/* make sure the message is this call's, whatever ran since */
		if (resp && resp->error) {
			arm_error_raise(resp->error);
			if (l->err_out) {
				*l->err_out = resp->error;
				resp->error = NULL;
			}
		}
		goto finish;
	}
	if ((rc = arm_response_json(&page, resp)) < 0)
		goto finish;
	value = cJSON_GetObjectItem(page, "value");
	if (!cJSON_IsArray(value)) {
		rc = cmk_error_set(CMK_EINVALID, "%s: page %zu has no \"value\" array", l->prefix,
				   l->pages + 1);
		goto finish;
	}
	l->pages++;
	cJSON_ArrayForEach(item, value)
		if ((rc = l->item(l->ud, item)) < 0)
			goto finish;
	next = cJSON_GetObjectItem(page, "nextLink");
	if (cJSON_IsString(next) && next->valuestring[0]) {
		/* nextLink carries its own api-version and skip token */
		if ((rc = paging__may_follow(l, next->valuestring)) < 0 ||
		    (rc = paging__submit(l, next->valuestring, NULL)) < 0)
			goto finish;
		cJSON_Delete(page);
		arm_response_free(resp);
		return;
	}
	rc = 0;
finish:
	cJSON_Delete(page);
	arm_response_free(resp);
	l->done(l->ud, rc);
	paging__free(l);
}

int arm_list_submit(arm_client *c, const arm_list_req *req, arm_list_item_fn item,
		    arm_list_done_fn done, void *ud)
{
	paging__list *l = calloc(1, sizeof(*l));
	int error;

	if (!l)
		return cmk_error_oom();
	*l = (paging__list){ .c = c, .audience = req->audience, .err_out = req->err_out,
			     .max_pages = req->max_pages ? req->max_pages : PAGING_DEFAULT_MAX_PAGES,
			     .item = item, .done = done, .ud = ud };
	if (req->err_out)
		*req->err_out = NULL;
	if (req->name ? asprintf(&l->prefix, "listing %s", req->name) < 0
		      : (l->prefix = strdup("listing")) == NULL) {
		l->prefix = NULL;
		paging__free(l);
		return cmk_error_oom();
	}
	if ((error = paging__submit(l, req->url, req->api_version)) < 0)
		paging__free(l);
	return error;
}

typedef struct {
	arm_list_item_fn item;
	void *ud;
	int rc;
	int finished;
	char msg[1024];
} paging__blocking;

static int paging__blocking_item(void *ud, const cJSON *item)
{
	paging__blocking *b = ud;

	return b->item(b->ud, item);
}

static void paging__blocking_done(void *ud, int rc)
{
	paging__blocking *b = ud;

	b->rc = rc;
	b->finished = 1;
	if (rc < 0)
		snprintf(b->msg, sizeof(b->msg), "%s", cmk_error_last());
}

static int paging__blocking_until(void *ud)
{
	return ((paging__blocking *)ud)->finished;
}

int arm_list_each(arm_client *c, const arm_list_req *req, arm_list_item_fn item, void *ud)
{
	paging__blocking b = { item, ud, 0, 0, "" };
	int error;

	if ((error = arm_list_submit(c, req, paging__blocking_item, paging__blocking_done,
				     &b)) < 0)
		return error;
	if ((error = arm_run(c, paging__blocking_until, &b)) < 0)
		return error;
	if (!b.finished)
		return cmk_error_set(CMK_ERROR, "listing %s: the loop ended early", req->url);
	if (b.rc < 0)
		return cmk_error_set(b.rc, "%s", b.msg);
	return 0;
}

static int paging__collect(void *ud, const cJSON *item)
{
	cJSON *copy = cJSON_Duplicate(item, 1);

	if (!copy || !cJSON_AddItemToArray(ud, copy)) {
		cJSON_Delete(copy);
		return cmk_error_oom();
	}
	return 0;
}

int arm_list_all(cJSON **out, arm_client *c, const char *path, const char *api_version,
		 size_t max_pages, arm_error **err_out)
{
	arm_list_req req = { .url = path, .api_version = api_version, .audience = ARM_AUD_ARM,
			     .max_pages = max_pages, .name = path, .err_out = err_out };
	cJSON *all = cJSON_CreateArray();
	int error;

	if (!all)
		return cmk_error_oom();
	if ((error = arm_list_each(c, &req, paging__collect, all)) < 0) {
		cJSON_Delete(all);
		return error;
	}
	*out = all;
	return 0;
}
