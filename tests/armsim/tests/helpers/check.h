/*
 * check.h - assertions shared by armsim's cmocka tests: exact ARM error
 * bodies, JSON lookups, and the request shortcuts every test file uses.
 */
#ifndef ARMSIM_TEST_CHECK_H
#define ARMSIM_TEST_CHECK_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "harness.h"

#define SUB "00000000-0000-4000-8000-00000000aaaa"
#define SUB2 "00000000-0000-4000-8000-00000000bbbb"
#define TENANT "11111111-1111-4111-8111-111111111111"
#define OWNER_ID "0a000000-0000-4000-8000-000000000001"
#define READER_ID "0a000000-0000-4000-8000-000000000002"
#define NOROLE_ID "0a000000-0000-4000-8000-000000000003"
#define RGP "/subscriptions/" SUB "/resourceGroups/rg-la/providers/Microsoft.OperationalInsights"
#define UAI_GRANTED "/subscriptions/" SUB "/resourceGroups/rg-la/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uai-granted"
#define UAI_NOGRANT "/subscriptions/" SUB "/resourceGroups/rg-la/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uai-nogrant"
#define KV_URI "https://kv-cmk-eus.vault.azure.net"

/* The instance a test file shares (started by its group setup). */
extern armsim *g_sim;

/* Start armsim with a fixture under ARMSIM_FIXTURES (cmocka group setup). */
int check_start(const char *fixture, double time_scale);
int check_stop(void **state);

/* Run a group of cases as cmocka_run_group_tests does, in an order and
 * selection the environment may change, so a suite can prove its cases do
 * not depend on each other: CHECK_TEST_ORDER=reverse or shuffle:SEED;
 * CHECK_TEST_FILTER=pattern (cmocka's * and ? wildcards) runs the matching
 * cases only. Returns what cmocka returns (the number of failed cases). */
int check_run_group(const char *name, const struct CMUnitTest *tests, size_t n,
		    CMFixtureFunction group_setup, CMFixtureFunction group_teardown);

/* ARM call as the default principal; fails the test on transport errors. */
armsim_http_resp check_arm(const char *method, const char *path, const char *body);
/* Printf-style body helper (static buffer per call site is the caller's). */
char *check_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Assert status, ARM error code and exact message (NULL = not checked). */
void check_error(const armsim_http_resp *r, long status, const char *code, const char *message);
/* Dotted lookup in a JSON body ("properties.provisioningState"). */
const char *check_str(const cJSON *o, const char *path);
double check_num(const cJSON *o, const char *path);
const cJSON *check_get(const cJSON *o, const char *path);
/* Admin call; asserts a 2xx status; returns the parsed body (caller frees). */
cJSON *check_admin(const char *method, const char *path, const char *body);
void check_advance(double seconds);
/* features.clusterResourceId of workspace `ws` in rg-la ("" when not
 * linked); asserts the GET answers 200. Static buffer. */
const char *check_ws_cluster(const char *ws);

#endif
