/*
 * reqlog.h - what clients did to armsim: a request log (ring of the last
 * 20000 requests), counters by method / resource type / status, and the
 * hazard audit — actions the docs warn against, recorded so a test can
 * assert a client caused none:
 *   "link_before_cluster_ready"  workspace linked while its cluster had not
 *                                finished provisioning (or its key update)
 *   "write_while_operation_running" a write refused because an operation ran
 *   "link_budget_exceeded"       a 3rd link/unlink of a workspace in 30 days
 *   "duplicate_create"           a create PUT for a resource being created
 *   "unlink_flipflop"            link of a workspace unlinked < window ago
 *   "read_only_member_sent"      a PUT/PATCH body carried a read-only member
 *                                (readonly.c; ARM ignores it)
 */
#ifndef ARMSIM_REQLOG_H
#define ARMSIM_REQLOG_H

#include <cjson/cJSON.h>

#include "http.h"

void reqlog_init(void);
/* Record one answered request (server calls it after the handler). */
void reqlog_record(const sim_req *req, const sim_resp *resp);
/* {"requests":[{seq,time,method,path,resourceType,status,principal,
 *   clientRequestId,headers:{User-Agent,...},authorization:bool,body}...]};
 * since = only seq > since. Bodies are capped at 64 KiB; form bodies are
 * objects with credential fields (client_secret, client_assertion, ...)
 * replaced by "[REDACTED]". */
cJSON *reqlog_dump(long since);
/* {"total":N,"byMethod":{},"byResourceType":{},"byStatus":{},
 *  "byKey":{"GET Microsoft.X/y 200":N}} */
cJSON *reqlog_counters(void);
void reqlog_reset(void);

/* Record a hazard (kind as above, resource id, detail printf). */
void hazard_record(const char *kind, const char *resource_id, const char *fmt, ...)
	CMK_PRINTF(3, 4);
cJSON *hazard_dump(void);
void hazard_reset(void);

#endif
