/*
 * activitylog.h - armsim's Activity Log (res_activitylog.c): an event for
 * every ARM write the router hands to a handler, served by
 * GET /subscriptions/{s}/providers/microsoft.insights/eventtypes/management/values
 * (api-version 2015-04-01) and injected by POST /_sim/activitylog.
 *
 * All functions run with the state lock held (router, admin, fixture load).
 */
#ifndef ARMSIM_ACTIVITYLOG_H
#define ARMSIM_ACTIVITYLOG_H

#include <cjson/cJSON.h>

#include "http.h"

/* Record the write `req` answered with `resp` (its handler just returned):
 * a Started event, then Accepted (an operation runs on), Succeeded (done)
 * or Failed (an error status). `action` is the RBAC action of the route
 * ("Microsoft.OperationalInsights/workspaces/linkedServices/write"), the
 * event's operationName. Reads and non-ARM routes are not recorded. */
void activitylog_record(const sim_req *req, const sim_resp *resp, const char *action);

/* Add past events ({operationName, status, eventTimestamp, resourceId, ...};
 * see README "Activity Log"); an array or one object. 0, or CMK_EINVALID
 * (cmk_error_set) naming the bad entry; nothing is added then. */
int activitylog_inject(const cJSON *events);

/* Every event kept, with its submission time, oldest first (caller owns). */
cJSON *activitylog_dump(void);

/* Forget every event. */
void activitylog_clear(void);

/* Register the list route and /_sim/activitylog (router_init). */
void res_activitylog_register(void);

#endif
