/*
 * readonly.h - read-only members in ARM write bodies.
 *
 * ARM's resource providers mostly ignore read-only members a client sends
 * in a PUT/PATCH body (provisioningState, clusterId, identity.principalId,
 * ...): armsim records a hazard "read_only_member_sent" for each one, so a
 * client test can assert it sends none. A few are refused, as the service
 * does: properties.associatedWorkspaces of a Log Analytics cluster → 400
 * InvalidParameter. The table of members per type is in readonly.c
 * (from the armspec's readOnly marks).
 */
#ifndef ARMSIM_READONLY_H
#define ARMSIM_READONLY_H

#include <stdbool.h>

#include "http.h"

/* Check the JSON body of a PUT/PATCH on a resource of a type armsim serves
 * (req->resource_type, the path naming the resource itself). Records the
 * hazards; returns false with resp filled (400) when the body must be
 * refused, true otherwise (also for other methods and bodies). Call with
 * the state lock held, before the handler. */
bool readonly_check(const sim_req *req, sim_resp *resp);

#endif
