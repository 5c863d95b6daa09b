/*
 * paging.h - ARM collection lists: the one loop that follows nextLink.
 *
 * A list GETs its first page at the given api-version, hands every item of
 * the page's "value" array to the caller, then follows nextLink as given
 * (it carries its own api-version and skip token) until it is absent, null
 * or "". Guards: at most `max_pages` pages (0: 10000); a nextLink that
 * repeats one already followed is an error at once (a server looping over
 * two pages would otherwise cost 10000 reads of the read budget).
 *
 * Messages start with "listing <name>: " (or "listing: " without a name):
 *   "page N has no \"value\" array" (CMK_EINVALID),
 *   "more than N pages (a nextLink loop?)" (CMK_ERROR),
 *   "page N's nextLink repeats an earlier page (a nextLink loop)" (CMK_ERROR);
 * an HTTP failure of a page fails the list with arm_send's code and message.
 */
#ifndef CMK_PROVIDERS_PAGING_H
#define CMK_PROVIDERS_PAGING_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "common/error.h"
#include "providers/arm.h"

/* Called for every item, in order; it must not keep `item`. A negative
 * return ends the list with that code (its message set). */
typedef int (*arm_list_item_fn)(void *ud, const cJSON *item);
/* Called once at the end with 0 or the error code (the message is the
 * thread's last error at that moment). */
typedef void (*arm_list_done_fn)(void *ud, int rc);

typedef struct {
	const char *url;          /* the first page: an ARM path or a URL */
	const char *api_version;  /* for the first page only */
	arm_audience audience;
	size_t max_pages;         /* 0: 10000 */
	const char *name;         /* named in messages; NULL: none. Copied. */
	arm_error **err_out;      /* NULL, or where a failed page's structured ARM error
				   * goes (owned by the caller; NULL when none); must
				   * stay valid until `done` ran */
} arm_list_req;

/* Start a list in the client's loop without blocking (arm_submit): readers
 * that run many reads at once use it. Nothing is called when this fails. */
int arm_list_submit(arm_client *c, const arm_list_req *req, arm_list_item_fn item,
		    arm_list_done_fn done, void *ud) CMK_WUR;

/* The blocking form: every item to `item`, then 0 or the list's error. */
int arm_list_each(arm_client *c, const arm_list_req *req, arm_list_item_fn item,
		  void *ud) CMK_WUR;

/* Every item of every page as one JSON array (*out owned by the caller),
 * listing `path` at api_version; *err_out (may be NULL) as arm_get_json. */
int arm_list_all(cJSON **out, arm_client *c, const char *path, const char *api_version,
		 size_t max_pages, arm_error **err_out) CMK_WUR;

#endif
