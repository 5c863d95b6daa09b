/*
 * throttle.h - ARM's request throttling: token buckets per subscription and
 * principal for reads, writes and deletes (defaults 250 @ 25/s, 200 @ 10/s,
 * 200 @ 10/s; real time). Every ARM response carries the remaining count in
 * x-ms-ratelimit-remaining-subscription-{reads,writes,deletes} (tenant-{…}
 * for calls outside a subscription); an empty bucket answers 429 with
 * Retry-After.
 */
#ifndef ARMSIM_THROTTLE_H
#define ARMSIM_THROTTLE_H

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "http.h"

void throttle_init(void);
/* Take a token for this request (method decides the bucket). Sets the
 * remaining header; returns false after filling resp with 429. */
bool throttle_take(const sim_req *req, sim_resp *resp, const char *subscription_id);
/* {"reads":{"capacity":N,"refillPerSecond":R},"writes":{...},"deletes":{...}} */
int throttle_configure(const cJSON *obj);
cJSON *throttle_dump(void);
/* Refill every bucket. */
void throttle_reset(void);

#endif
