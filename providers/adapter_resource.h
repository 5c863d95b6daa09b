/*
 * adapter_resource.h - what the executor needs of any resource, whatever
 * its type: the api-version cmkctl speaks for it, a GET of it, a field of
 * a write's answer, and waits until it is idle. The ARM knowledge (which
 * namespace speaks which api-version, where a field sits in a body, which
 * operation kind follows which resource) stays here, in providers/.
 */
#ifndef CMK_PROVIDERS_ADAPTER_RESOURCE_H
#define CMK_PROVIDERS_ADAPTER_RESOURCE_H

#include <cjson/cJSON.h>

#include "common/error.h"
#include "providers/arm.h"
#include "providers/lro.h"

/* The api-version cmkctl reads and writes resource `id` with (by its
 * provider namespace; Microsoft.OperationalInsights when unknown). */
const char *adapter_api_for(const char *id);

/* GET resource `id` with its api-version; CMK_ENOTFOUND on 404. *out is
 * the caller's (cJSON_Delete). */
int adapter_resource_read(cJSON **out, arm_client *c, const char *id) CMK_WUR;

/*
 * The value of `field` ("principalId", "clusterId", ...) in a resource
 * body or a write's answer: at the top, under "identity." or under
 * "properties.", the first non-empty one; NULL when none. Points into doc.
 */
const char *adapter_resource_field(const cJSON *doc, const char *field);

/*
 * An operation (in flight, owned by the caller: arm_op_free) that ends
 * when cluster `id` (Log Analytics or Kusto) is idle: it reads the
 * cluster's provisioningState until it is terminal; a Failed end means
 * someone else's operation failed, which leaves the cluster idle too.
 */
int adapter_resource_wait_begin(arm_op **out, const char *id) CMK_WUR;

/* The same, waited for now (blocking); 0 when the cluster is idle (its
 * last operation may have failed), else the wait's error. */
int adapter_resource_wait_idle(arm_client *c, const char *id) CMK_WUR;

#endif
