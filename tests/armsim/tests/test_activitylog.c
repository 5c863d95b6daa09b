/*
 * test_activitylog.c - armsim's Activity Log: every write recorded
 * (Started, Accepted, then Succeeded or Failed as the operation goes, for
 * clusters and linked services), the submission delay, $select, nextLink
 * paging, every refused $filter shape and the accepted ones, the 90-day
 * retention, and /_sim/activitylog injecting a workspace's past link
 * operations.
 */
#include <time.h>

#include "check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define AL "/subscriptions/" SUB "/providers/microsoft.insights/eventtypes/management/values?api-version=2015-04-01"
#define WS_ID "/subscriptions/" SUB "/resourceGroups/rg-la/providers/Microsoft.OperationalInsights/workspaces/ws1"
#define CL_ID "/subscriptions/" SUB "/resourceGroups/rg-la/providers/Microsoft.OperationalInsights/clusters/alc"
#define LINK_ID WS_ID "/linkedServices/cluster"
#define OWNER_OID "0b000000-0000-4000-8000-000000000001"
#define DAY 86400.0
#define M_FILTER "$filter searching parameters invalid."

static int setup(void **state)
{
	(void)state;
	return check_start("la.yaml", 1);
}

static double now_ms(void)
{
	cJSON *c = check_admin("GET", "/_sim/clock", NULL);
	double n = check_num(c, "nowMs");
	cJSON_Delete(c);
	return n;
}

static const char *iso(double ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	char b[40];
	strftime(b, sizeof b, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return check_fmt("%s", b);
}

/* Percent-encoded query value. */
static const char *enc(const char *s)
{
	char out[4096];
	size_t o = 0;
	for (; *s && o + 4 < sizeof out; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr("-._~", c))
			out[o++] = (char)c;
		else
			o += (size_t)snprintf(out + o, sizeof out - o, "%%%02X", c);
	}
	out[o] = '\0';
	return check_fmt("%s", out);
}

/* The time part of a filter: the last 40 days up to tomorrow. */
static const char *window(void)
{
	double n = now_ms();
	return check_fmt("eventTimestamp ge '%s' and eventTimestamp le '%s'", iso(n - 40 * DAY * 1000),
			 iso(n + DAY * 1000));
}

static armsim_http_resp query(const char *filter, const char *select)
{
	return check_arm("GET", check_fmt(AL "&$filter=%s%s%s", enc(filter), select ? "&$select=" : "",
					  select ? enc(select) : ""), NULL);
}

/* Every event of `filter`, following nextLink; *pages counts the pages. */
static cJSON *query_all(const char *filter, const char *select, int *pages)
{
	cJSON *all = cJSON_CreateArray();
	armsim_http_resp r = query(filter, select);
	*pages = 0;
	for (;;) {
		if (r.status != 200)
			fail_msg("HTTP %ld: %s", r.status, r.body);
		(*pages)++;
		const cJSON *e;
		cJSON_ArrayForEach(e, check_get(r.json, "value"))
			cJSON_AddItemToArray(all, cJSON_Duplicate(e, 1));
		const char *next = check_str(r.json, "nextLink");
		if (!next)
			break;
		char url[8192];
		snprintf(url, sizeof url, "%s", next);
		armsim_http_free(&r);
		r = check_arm("GET", url, NULL);
	}
	armsim_http_free(&r);
	return all;
}

static cJSON *events_of(const char *resource_id)
{
	int pages;
	return query_all(check_fmt("%s and resourceUri eq '%s'", window(), resource_id), NULL, &pages);
}

static const char *ev_str(const cJSON *all, int i, const char *path)
{
	return check_str(cJSON_GetArrayItem(all, i), path);
}

static void make_cluster(void)
{
	armsim_http_resp r = check_arm("PUT", CL_ID "?api-version=2021-06-01",
				       "{\"location\":\"eastus\",\"identity\":{\"type\":\"SystemAssigned\"},"
				       "\"sku\":{\"name\":\"capacityReservation\",\"capacity\":1000}}");
	assert_int_equal(r.status, 202);
	armsim_http_free(&r);
}

static void test_record__cluster_create(void **state)
{
	(void)state;
	make_cluster();
	cJSON *all = events_of(CL_ID);
	assert_int_equal(cJSON_GetArraySize(all), 2); /* newest first */
	assert_string_equal(ev_str(all, 0, "status.value"), "Accepted");
	assert_string_equal(ev_str(all, 0, "subStatus.value"), "Accepted");
	assert_string_equal(ev_str(all, 1, "status.value"), "Started");
	assert_string_equal(ev_str(all, 1, "operationName.value"), "Microsoft.OperationalInsights/clusters/write");
	assert_string_equal(ev_str(all, 1, "resourceId"), CL_ID);
	assert_string_equal(ev_str(all, 1, "resourceGroupName"), "rg-la");
	assert_string_equal(ev_str(all, 1, "resourceProviderName.value"), "Microsoft.OperationalInsights");
	assert_string_equal(ev_str(all, 1, "resourceType.value"), "Microsoft.OperationalInsights/clusters");
	assert_string_equal(ev_str(all, 1, "subscriptionId"), SUB);
	assert_string_equal(ev_str(all, 1, "caller"), OWNER_OID);
	assert_string_equal(ev_str(all, 1, "eventName.value"), "BeginRequest");
	assert_string_equal(ev_str(all, 0, "correlationId"), ev_str(all, 1, "correlationId"));
	assert_string_equal(ev_str(all, 0, "operationId"), ev_str(all, 1, "operationId"));
	assert_string_equal(ev_str(all, 1, "eventTimestamp"), ev_str(all, 1, "submissionTimestamp"));
	char corr[64];
	snprintf(corr, sizeof corr, "%s", ev_str(all, 0, "correlationId"));
	cJSON_Delete(all);
	/* the operation ends: Succeeded at its end time */
	check_advance(2 * 3600 + 60);
	all = events_of(CL_ID);
	assert_int_equal(cJSON_GetArraySize(all), 3);
	assert_string_equal(ev_str(all, 0, "status.value"), "Succeeded");
	assert_string_equal(ev_str(all, 0, "eventName.value"), "EndRequest");
	assert_string_equal(ev_str(all, 0, "correlationId"), corr);
	cJSON_Delete(all);
	/* by correlationId too */
	int pages;
	all = query_all(check_fmt("%s and correlationId eq '%s'", window(), corr), NULL, &pages);
	assert_int_equal(cJSON_GetArraySize(all), 3);
	cJSON_Delete(all);
}

static void test_record__link_unlink_and_failure(void **state)
{
	(void)state;
	make_cluster();
	check_advance(2 * 3600 + 60);
	const char *link = LINK_ID "?api-version=2020-08-01";
	armsim_http_resp r = check_arm("PUT", link, "{\"properties\":{\"writeAccessResourceId\":\"" CL_ID "\"}}");
	assert_true(r.status == 200 || r.status == 201);
	armsim_http_free(&r);
	check_advance(31 * 60);
	r = check_arm("DELETE", link, NULL);
	assert_int_equal(r.status, 200);
	armsim_http_free(&r);
	check_advance(31 * 60);
	cJSON *all = events_of(LINK_ID);
	assert_int_equal(cJSON_GetArraySize(all), 6);
	static const char *const want[][2] = {
		{ "delete", "Succeeded" }, { "delete", "Accepted" }, { "delete", "Started" },
		{ "write", "Succeeded" }, { "write", "Accepted" }, { "write", "Started" },
	};
	for (int i = 0; i < 6; i++) {
		assert_string_equal(ev_str(all, i, "operationName.value"),
				    check_fmt("Microsoft.OperationalInsights/workspaces/linkedServices/%s", want[i][0]));
		assert_string_equal(ev_str(all, i, "status.value"), want[i][1]);
	}
	cJSON_Delete(all);
	/* a refused write: Started, then Failed with the answer */
	const char *nows = "/subscriptions/" SUB "/resourceGroups/rg-la/providers/Microsoft.OperationalInsights/"
			   "workspaces/nows/linkedServices/cluster";
	r = check_arm("PUT", check_fmt("%s?api-version=2020-08-01", nows),
		      "{\"properties\":{\"writeAccessResourceId\":\"" CL_ID "\"}}");
	assert_int_equal(r.status, 404);
	armsim_http_free(&r);
	all = events_of(nows);
	assert_int_equal(cJSON_GetArraySize(all), 2);
	assert_string_equal(ev_str(all, 0, "status.value"), "Failed");
	assert_string_equal(ev_str(all, 0, "subStatus.value"), "NotFound");
	assert_string_equal(ev_str(all, 0, "level"), "Error");
	assert_non_null(strstr(ev_str(all, 0, "properties.statusMessage"), "Workspace not found"));
	cJSON_Delete(all);
	/* reads are not written down */
	r = check_arm("GET", link, NULL);
	armsim_http_free(&r);
	all = events_of(LINK_ID);
	assert_int_equal(cJSON_GetArraySize(all), 6);
	cJSON_Delete(all);
}

static void test_submission_delay(void **state)
{
	(void)state;
	cJSON_Delete(check_admin("PUT", "/_sim/settings", "{\"activityLogDelaySeconds\":300}"));
	make_cluster();
	cJSON *all = events_of(CL_ID);
	assert_int_equal(cJSON_GetArraySize(all), 0);
	cJSON_Delete(all);
	check_advance(299);
	all = events_of(CL_ID);
	assert_int_equal(cJSON_GetArraySize(all), 0);
	cJSON_Delete(all);
	check_advance(2);
	all = events_of(CL_ID);
	assert_int_equal(cJSON_GetArraySize(all), 2);
	/* submissionTimestamp = eventTimestamp + 300 s */
	cJSON *raw = check_admin("GET", "/_sim/activitylog", NULL);
	const cJSON *e = cJSON_GetArrayItem(check_get(raw, "events"), 0);
	struct tm a = { 0 }, b = { 0 };
	assert_non_null(strptime(check_str(e, "eventTimestamp"), "%Y-%m-%dT%H:%M:%S", &a));
	assert_non_null(strptime(check_str(e, "submissionTimestamp"), "%Y-%m-%dT%H:%M:%S", &b));
	assert_int_equal((long)(timegm(&b) - timegm(&a)), 300);
	cJSON_Delete(raw);
	cJSON_Delete(all);
}

static void test_select(void **state)
{
	(void)state;
	make_cluster();
	int pages;
	cJSON *all = query_all(check_fmt("%s and resourceGroupName eq 'rg-la'", window()),
			       "operationName, status,eventTimestamp", &pages);
	assert_int_equal(cJSON_GetArraySize(all), 2);
	const cJSON *e;
	cJSON_ArrayForEach(e, all) {
		assert_int_equal(cJSON_GetArraySize(e), 3);
		assert_non_null(check_str(e, "operationName.value"));
		assert_non_null(check_str(e, "status.value"));
		assert_non_null(check_str(e, "eventTimestamp"));
		assert_null(check_get(e, "resourceId"));
	}
	cJSON_Delete(all);
}

/* `n` past link operations on ws1, days_ago[i] days back, as a test of a
 * client's link budget would set them up. */
static void inject_links(const double *days_ago, const char *const *ops, int n)
{
	double now = now_ms();
	char body[16384];
	size_t o = (size_t)snprintf(body, sizeof body, "{\"events\":[");
	for (int i = 0; i < n; i++)
		o += (size_t)snprintf(body + o, sizeof body - o,
				      "%s{\"operationName\":\"Microsoft.OperationalInsights/workspaces/linkedServices/%s\","
				      "\"status\":\"Succeeded\",\"eventTimestamp\":\"%s\",\"resourceId\":\"" LINK_ID "\","
				      "\"caller\":\"someone@contoso.com\"}",
				      i ? "," : "", ops[i], iso(now - days_ago[i] * DAY * 1000));
	snprintf(body + o, sizeof body - o, "]}");
	cJSON_Delete(check_admin("POST", "/_sim/activitylog", body));
}

static void test_admin_injection_and_retention(void **state)
{
	(void)state;
	static const double days[] = { 25, 20, 12, 6, 100 };
	static const char *const ops[] = { "delete", "write", "delete", "write", "write" };
	inject_links(days, ops, 5);
	int pages;
	cJSON *all = query_all(check_fmt("%s and resourceProvider eq 'Microsoft.OperationalInsights'", window()),
			       "operationName,status,eventTimestamp,resourceId,caller", &pages);
	/* the one 100 days back is past the 90 days kept */
	assert_int_equal(cJSON_GetArraySize(all), 4);
	assert_string_equal(ev_str(all, 0, "operationName.value"),
			    "Microsoft.OperationalInsights/workspaces/linkedServices/write");
	assert_string_equal(ev_str(all, 3, "operationName.value"),
			    "Microsoft.OperationalInsights/workspaces/linkedServices/delete");
	assert_string_equal(ev_str(all, 0, "caller"), "someone@contoso.com");
	assert_string_equal(ev_str(all, 0, "resourceId"), LINK_ID);
	cJSON_Delete(all);
	/* a range of two weeks holds two */
	double now = now_ms();
	all = query_all(check_fmt("eventTimestamp ge '%s' and eventTimestamp le '%s' and resourceUri eq '%s'",
				  iso(now - 14 * DAY * 1000), iso(now), LINK_ID), NULL, &pages);
	assert_int_equal(cJSON_GetArraySize(all), 2);
	cJSON_Delete(all);
	/* a bad entry adds nothing */
	armsim_http_resp r;
	int st = armsim_admin(g_sim, "POST", "/_sim/activitylog",
			      "{\"events\":[{\"operationName\":\"x/write\",\"status\":\"Succeeded\",\"eventTimestamp\":\"2026-01-01T00:00:00Z\","
			      "\"resourceId\":\"/subscriptions/" SUB "\"},{\"status\":\"Succeeded\"}]}", NULL);
	assert_int_equal(st, 400);
	(void)r;
	cJSON *raw = check_admin("GET", "/_sim/activitylog", NULL);
	assert_int_equal(cJSON_GetArraySize(check_get(raw, "events")), 4);
	cJSON_Delete(raw);
	/* a dump carries them */
	cJSON *dump = check_admin("GET", "/_sim/state", NULL);
	char *text = cJSON_PrintUnformatted(dump);
	cJSON_Delete(dump);
	cJSON_Delete(check_admin("PUT", "/_sim/state", text));
	free(text);
	raw = check_admin("GET", "/_sim/activitylog", NULL);
	assert_int_equal(cJSON_GetArraySize(check_get(raw, "events")), 4);
	cJSON_Delete(raw);
}

static void test_paging(void **state)
{
	(void)state;
	static const double days[] = { 1, 2, 3, 4, 5 };
	static const char *const ops[] = { "write", "delete", "write", "delete", "write" };
	inject_links(days, ops, 5);
	cJSON_Delete(check_admin("PUT", "/_sim/settings", "{\"activityLogPageSize\":2}"));
	int pages;
	cJSON *all = query_all(check_fmt("%s and resourceUri eq '%s'", window(), LINK_ID), "eventTimestamp", &pages);
	assert_int_equal(pages, 3);
	assert_int_equal(cJSON_GetArraySize(all), 5);
	/* newest first, no repeats */
	for (int i = 1; i < 5; i++)
		assert_true(strcmp(ev_str(all, i - 1, "eventTimestamp"), ev_str(all, i, "eventTimestamp")) > 0);
	cJSON_Delete(all);
	/* a page read later does not shift because of new events */
	armsim_http_resp r = query(check_fmt("%s and resourceUri eq '%s'", window(), LINK_ID), NULL);
	char next[8192];
	snprintf(next, sizeof next, "%s", check_str(r.json, "nextLink"));
	armsim_http_free(&r);
	inject_links((const double[]){ 0.5 }, (const char *const[]){ "write" }, 1);
	r = check_arm("GET", next, NULL);
	assert_int_equal(r.status, 200);
	assert_int_equal(cJSON_GetArraySize(check_get(r.json, "value")), 2);
	armsim_http_free(&r);
}

static void test_filter_shapes(void **state)
{
	(void)state;
	/* check_fmt's buffers rotate: keep the parts in our own */
	char w[256], ge[128], le[128], t1[40], t2[40], refused[17][600], accepted[6][600];
	double n = now_ms();
	snprintf(w, sizeof w, "%s", window());
	snprintf(t1, sizeof t1, "%s", iso(n - DAY * 1000));
	snprintf(t2, sizeof t2, "%s", iso(n));
	snprintf(ge, sizeof ge, "eventTimestamp ge '%s'", t1);
	snprintf(le, sizeof le, "eventTimestamp le '%s'", t2);
	int k = 0;
	snprintf(refused[k++], 600, "%s", "");
	snprintf(refused[k++], 600, "%s", ge);
	snprintf(refused[k++], 600, "%s and %s", le, ge);
	snprintf(refused[k++], 600, "%s and resourceGroupName eq 'rg-la'", ge);
	snprintf(refused[k++], 600, "%s and resourceGroupName eq 'rg-la' and resourceUri eq '%s'", w, LINK_ID);
	snprintf(refused[k++], 600, "%s and eventChannels eq 'Admin, Operation'", w);
	snprintf(refused[k++], 600, "%s and resourceGroupName ne 'rg-la'", w);
	snprintf(refused[k++], 600, "%s and resourceGroupName eq rg-la", w);
	snprintf(refused[k++], 600, "%s and caller eq 'someone'", w);
	snprintf(refused[k++], 600, "%s and resourceId eq '%s'", w, LINK_ID);
	snprintf(refused[k++], 600, "%s or resourceGroupName eq 'rg-la'", w);
	snprintf(refused[k++], 600, "%s and", w);
	snprintf(refused[k++], 600, "%s and resourceGroupName eq 'rg-la' extra", w);
	snprintf(refused[k++], 600, "%s", "eventTimestamp ge 'yesterday' and eventTimestamp le 'today'");
	snprintf(refused[k++], 600, "%s", "resourceGroupName eq 'rg-la'");
	snprintf(refused[k++], 600, "eventTimestamp eq '%s'", t2);
	snprintf(refused[k++], 600, "%s and resourceGroupName eq 'rg-la", w);
	assert_int_equal(k, 17);
	for (size_t i = 0; i < 17; i++) {
		armsim_http_resp r = query(refused[i], NULL);
		if (r.status != 400)
			fail_msg("filter \"%s\" answered %ld", refused[i], r.status);
		check_error(&r, 400, "BadRequest", M_FILTER);
		armsim_http_free(&r);
	}
	armsim_http_resp r = check_arm("GET", AL, NULL); /* no $filter at all */
	check_error(&r, 400, "BadRequest", M_FILTER);
	armsim_http_free(&r);
	k = 0;
	snprintf(accepted[k++], 600, "%s", w);
	snprintf(accepted[k++], 600, "%s and resourceGroupName eq 'rg-la'", w);
	snprintf(accepted[k++], 600, "%s and resourceUri eq '%s'", w, LINK_ID);
	snprintf(accepted[k++], 600, "%s and resourceProvider eq 'Microsoft.OperationalInsights'", w);
	snprintf(accepted[k++], 600, "%s and correlationId eq '00000000-0000-0000-0000-000000000000'", w);
	snprintf(accepted[k++], 600, "EventTimestamp GE '%s' AND eventTimestamp le '%s'", t1, t2);
	for (size_t i = 0; i < 6; i++) {
		r = query(accepted[i], NULL);
		if (r.status != 200)
			fail_msg("filter \"%s\" answered %ld: %s", accepted[i], r.status, r.body);
		armsim_http_free(&r);
	}
	/* unknown api-version, and Reader is enough */
	r = check_arm("GET", check_fmt("/subscriptions/" SUB "/providers/microsoft.insights/eventtypes/management/values"
				       "?api-version=2017-03-01-preview&$filter=%s", enc(w)), NULL);
	assert_int_equal(r.status, 400);
	armsim_http_free(&r);
}

int main(void)
{
	const struct CMUnitTest t[] = {
		cmocka_unit_test_setup_teardown(test_record__cluster_create, setup, check_stop),
		cmocka_unit_test_setup_teardown(test_record__link_unlink_and_failure, setup, check_stop),
		cmocka_unit_test_setup_teardown(test_submission_delay, setup, check_stop),
		cmocka_unit_test_setup_teardown(test_select, setup, check_stop),
		cmocka_unit_test_setup_teardown(test_admin_injection_and_retention, setup, check_stop),
		cmocka_unit_test_setup_teardown(test_paging, setup, check_stop),
		cmocka_unit_test_setup_teardown(test_filter_shapes, setup, check_stop),
	};
	return check_run_group("activitylog", t, sizeof t / sizeof t[0], NULL, NULL);
}
