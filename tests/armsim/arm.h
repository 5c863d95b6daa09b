/*
 * arm.h - ARM conventions shared by every resource provider: resource ids,
 * the standard errors ARM itself produces, list responses with nextLink
 * paging, conditional requests.
 */
#ifndef ARMSIM_ARM_H
#define ARMSIM_ARM_H

#include <stdbool.h>
#include <stddef.h>

#include "http.h"
#include "store.h"

/* "/subscriptions/{s}/resourceGroups/{rg}/providers/{provider_type}/{name}"
 * where provider_type is e.g. "Microsoft.KeyVault/vaults". */
void arm_resource_id(char *out, size_t outlen, const char *sub, const char *rg,
		     const char *provider_type, const char *name);

/* 404 ResourceNotFound as ARM words it:
 * "The Resource 'Microsoft.KeyVault/vaults/kv1' under resource group 'rg' was
 * not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix" */
void arm_not_found(sim_resp *resp, const char *provider_type, const char *name,
		   const char *rg);

/* 400 for an unparsable JSON body (ARM's InvalidRequestContent). */
void arm_invalid_body(sim_resp *resp, const sim_req *req);
/* true when the request body is a JSON object; else answers arm_invalid_body. */
bool arm_body_object(const sim_req *req, sim_resp *resp);

/* Answer a list: {"value":[...rendered...], "nextLink": url?}. Pages of
 * g_settings.page_size using the $skiptoken query parameter (an offset);
 * nextLink repeats the request URL with the next $skiptoken. Items are
 * rendered with store_render at the request's api-version. */
void arm_list_respond(const sim_req *req, sim_resp *resp, sim_res **items, size_t n);
/* The scope of a list route: "/subscriptions/{cap0}/resourceGroups/{cap1}"
 * when the route captured a resource group (two captures or more), else
 * "/subscriptions/{cap0}". */
void arm_list_scope(char *out, size_t len, const sim_req *req);
/* Every resource of `type` in the list route's scope, paged (arm_list_respond). */
void arm_list_scoped(const sim_req *req, sim_resp *resp, const char *type);
/* Same for pre-rendered values (takes ownership of `values`, an array). */
void arm_list_respond_values(const sim_req *req, sim_resp *resp, cJSON *values);

/* If-Match / If-None-Match: returns false after filling resp with 412
 * PreconditionFailed when the request's condition fails for `existing`
 * (NULL = absent). */
bool arm_check_conditions(const sim_req *req, sim_resp *resp, const sim_res *existing);

/* Set doc.systemData for a write by the request's caller: created* when
 * `created` (or never set), lastModified* always, at the virtual now. */
void arm_system_data(cJSON *doc, const sim_req *req, bool created);

/* A resource group document (caller owns). */
cJSON *arm_resource_group_doc(const char *sub, const char *rg, const char *location);

/* Register ARM's own routes: /subscriptions, resource groups, metadata. */
void arm_register_routes(void);

/* The request's subscription id (cap[0] on ARM routes). */
#define ARM_SUB(req) ((req)->cap[0])

#endif
