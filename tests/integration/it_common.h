/*
 * it_common.h - helpers shared by the provider integration tests: start
 * armsim with its environment exported, build an arm_client the way cmkctl
 * does (cloud and credential from the environment), and read armsim's
 * request log to assert the requests actually sent.
 */
#ifndef CMK_IT_COMMON_H
#define CMK_IT_COMMON_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "providers/arm.h"
#include "tests/armsim/harness.h"

/* armsim's time scale in these tests: an hour of virtual time is 0.36 s. */
#define IT_SCALE 10000.0

/* Start armsim (fails the test when it cannot) and export its ready env. */
armsim *it_start(const armsim_opts *opts);

/* A client for the exported environment; `credential` NULL = default.
 * The cloud is resolved from the environment and freed with the client by
 * it_client_free. */
arm_client *it_client(const char *credential, double time_scale);
/* The same with a few limits set (0 keeps the client's default). */
arm_client *it_client_with(const char *credential, double time_scale, unsigned max_attempts,
			   size_t max_body);
void it_client_free(arm_client *c);

/* armsim's request log after `since`: the document {"requests":[...],
 * "lastSeq":N}, owned by the caller (cJSON_Delete). With IT_DEBUG_LOG set in
 * the environment every entry is also printed to stderr. */
cJSON *it_requests(armsim *sim, long since);
/* The sequence number of the last logged request (admin requests are not
 * logged): pass it as `since` to see only what follows. */
long it_last_seq(armsim *sim);
/* Requests in `reqs` with `method` (NULL any) whose path contains `part`
 * (NULL any) and whose status is `status` (0 any). */
size_t it_count(const cJSON *reqs, const char *method, const char *part, int status);

/* The smallest gap, in virtual milliseconds (armsim's clock), between two
 * consecutive logged requests with `method` whose path contains `part`;
 * *count gets how many there were. -1 when fewer than two. */
long it_min_gap_ms(const cJSON *reqs, const char *method, const char *part, size_t *count);

/* The first subscription id armsim knows (via GET /subscriptions). */
const char *it_subscription(arm_client *c);

/* PUT armsim admin JSON (fails the test unless 2xx). */
void it_admin(armsim *sim, const char *method, const char *path, const char *json);

#endif
