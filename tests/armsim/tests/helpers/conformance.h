/*
 * conformance.h - compare an armspec example's response body with what
 * armsim answered: every member of the example must be present with an equal
 * value, except identifiers and timestamps (their presence is still
 * required). Arrays match element by element in any order. Members armsim
 * adds beyond the example are allowed (the examples are abridged).
 *
 * Ignored values: "id" and top-level "name" (ids), "resourceId",
 * "keyVersion" (ids of key versions; the examples' are not even hex),
 * members holding a GUID (principalId, tenantId, clusterId, customerId,
 * workspaceId, clientId), and timestamps (member names ending in "Date",
 * "Time", "lastSkuUpdate").
 */
#ifndef ARMSIM_TEST_CONFORMANCE_H
#define ARMSIM_TEST_CONFORMANCE_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

/* true when `actual` conforms to `expected`; otherwise false with the
 * first difference described in `why` (JSON path, expected, actual). */
bool conformance_compare(const cJSON *expected, const cJSON *actual, char *why, size_t whylen);

#endif
