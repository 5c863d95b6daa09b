/*
 * faults.h - seeded, deterministic fault injection. Rules match requests by
 * method and resource type and fire with a rate drawn from the seeded RNG:
 *   {"method":"GET"|"*", "resourceType":"Microsoft.X/y"|"*", "path": substring?,
 *    "fault":"500"|"503"|"429"|"401"|"reset"|"slow"|"async_fail",
 *    "rate":0..1, "count":N (fire at most N times; 0 = unlimited),
 *    "delayMs":N (slow), "retryAfter":N (429/503)}
 */
#ifndef ARMSIM_FAULTS_H
#define ARMSIM_FAULTS_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "http.h"

/* Seed the fault RNG stream (--seed). */
void faults_seed(uint64_t seed);
/* Replace the rule set (array or {"rules":[...]}) and restart the fault
 * RNG stream from the seed; 0 or CMK_EINVALID. */
int faults_set(const cJSON *rules);
void faults_clear(void);
cJSON *faults_dump(void);
/* Apply request faults; returns true when resp was filled (error status,
 * reset or slow+continue is reported via resp fields: a "slow" fault sets
 * resp->slow_ms and returns false so the request proceeds). */
bool faults_apply(const sim_req *req, sim_resp *resp);
/* Should an async operation of this type fail? (rule fault "async_fail";
 * `method` is that of the request that started it, "" when none did) */
bool faults_async_fail(const char *method, const char *resource_type);

#endif
