/*
 * settings.c - defaults and run-time changes of armsim's tunables
 * (see settings.h; every field is listed in README.md).
 */
#include "settings.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/error.h"

sim_settings g_settings;

void settings_defaults(sim_settings *s)
{
	memset(s, 0, sizeof *s);
	s->cluster_create_s = 2 * 3600;
	s->cluster_update_s = 5 * 60;
	s->cluster_key_update_s = 35 * 60;
	s->cluster_delete_s = 0;
	s->link_s = 30 * 60;
	s->unlink_s = 30 * 60;
	s->workspace_create_s = 0;
	s->kusto_update_s = 15 * 60;
	s->revocation_delay_s = 3600;
	s->recovery_delay_s = 30 * 60;
	s->soft_delete_days = 14;
	s->capacity_lock_days = 30;
	s->link_window_days = 30;
	s->link_budget = 2;
	s->max_links_per_cluster = 1000;
	s->max_clusters_per_region = 2;
	s->page_size = 100;
	s->retry_after_s = 20;
	snprintf(s->la_status_api_version, sizeof s->la_status_api_version, "%s",
		 "2015-11-01-preview");
	s->token_lifetime_s = 3599;
	s->activity_log_page_size = 200;
}

typedef struct {
	const char *name;
	enum { T_DBL, T_INT, T_STR, T_PROFILE } t;
	size_t off;
} field;

#define F(n, t, m) { n, t, offsetof(sim_settings, m) }
static const field fields[] = {
	F("clusterCreateSeconds", T_DBL, cluster_create_s),
	F("clusterUpdateSeconds", T_DBL, cluster_update_s),
	F("clusterKeyUpdateSeconds", T_DBL, cluster_key_update_s),
	F("clusterDeleteSeconds", T_DBL, cluster_delete_s),
	F("linkSeconds", T_DBL, link_s),
	F("unlinkSeconds", T_DBL, unlink_s),
	F("workspaceCreateSeconds", T_DBL, workspace_create_s),
	F("kustoUpdateSeconds", T_DBL, kusto_update_s),
	F("revocationDelaySeconds", T_DBL, revocation_delay_s),
	F("recoveryDelaySeconds", T_DBL, recovery_delay_s),
	F("softDeleteDays", T_DBL, soft_delete_days),
	F("capacityLockDays", T_DBL, capacity_lock_days),
	F("linkWindowDays", T_DBL, link_window_days),
	F("linkBudget", T_INT, link_budget),
	F("maxLinksPerCluster", T_INT, max_links_per_cluster),
	F("maxClustersPerRegion", T_INT, max_clusters_per_region),
	F("pageSize", T_INT, page_size),
	F("retryAfterSeconds", T_INT, retry_after_s),
	F("laStatusApiVersion", T_STR, la_status_api_version),
	F("tokenLifetimeSeconds", T_INT, token_lifetime_s),
	F("signedOperationUrls", T_INT, signed_operation_urls),
	F("retryAfterRealSeconds", T_INT, retry_after_real),
	F("readLagSeconds", T_DBL, read_lag_s),
	F("unlinkSynchronous", T_INT, unlink_synchronous),
	F("linkedServiceNotFoundSeconds", T_DBL, linked_service_404_s),
	F("principalReplicationSeconds", T_DBL, principal_replication_s),
	F("statusErrorRate", T_DBL, status_error_rate),
	F("activityLogDelaySeconds", T_DBL, activity_log_delay_s),
	F("activityLogPageSize", T_INT, activity_log_page_size),
	/* not a field: applies settings_profile; never dumped */
	{ "profile", T_PROFILE, 0 },
};

int settings_profile(sim_settings *s, const char *name)
{
	bool on = !strcasecmp(name, "real");
	if (!on && strcasecmp(name, "none") != 0)
		return cmk_error_set(CMK_EINVALID, "settings: unknown profile '%s' (real or none)", name);
	/* values in the range real traffic and the docs report (README) */
	s->read_lag_s = on ? 60 : 0;
	s->unlink_synchronous = on;
	s->linked_service_404_s = on ? 120 : 0;
	s->principal_replication_s = on ? 300 : 0;
	s->status_error_rate = on ? 0.1 : 0;
	return 0;
}

int settings_apply(sim_settings *s, const cJSON *obj)
{
	if (!cJSON_IsObject(obj))
		return cmk_error_set(CMK_EINVALID, "settings: expected a JSON object");
	for (const cJSON *m = obj->child; m; m = m->next) {
		const field *f = NULL;
		for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
			if (strcasecmp(fields[i].name, m->string) == 0)
				f = &fields[i];
		if (!f)
			return cmk_error_set(CMK_EINVALID, "settings: unknown setting '%s'", m->string);
		char *p = (char *)s + f->off;
		if (f->t == T_PROFILE) {
			if (!cJSON_IsString(m))
				return cmk_error_set(CMK_EINVALID, "settings: 'profile' must be a string");
			if (settings_profile(s, m->valuestring) < 0)
				return -1;
		} else if (f->t == T_STR) {
			if (!cJSON_IsString(m))
				return cmk_error_set(CMK_EINVALID, "settings: '%s' must be a string", m->string);
			snprintf(p, sizeof s->la_status_api_version, "%s", m->valuestring);
		} else {
			if (!cJSON_IsNumber(m) || m->valuedouble < 0)
				return cmk_error_set(CMK_EINVALID, "settings: '%s' must be a number >= 0", m->string);
			if (f->t == T_DBL)
				*(double *)p = m->valuedouble;
			else
				*(int *)p = (int)m->valuedouble;
		}
	}
	if (s->page_size < 1)
		s->page_size = 1;
	if (s->activity_log_page_size < 1)
		s->activity_log_page_size = 1;
	if (s->status_error_rate > 1)
		s->status_error_rate = 1;
	return 0;
}

cJSON *settings_dump(const sim_settings *s)
{
	cJSON *o = cJSON_CreateObject();
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
		const char *p = (const char *)s + fields[i].off;
		if (fields[i].t == T_DBL)
			cJSON_AddNumberToObject(o, fields[i].name, *(const double *)p);
		else if (fields[i].t == T_INT)
			cJSON_AddNumberToObject(o, fields[i].name, *(const int *)p);
		else if (fields[i].t == T_STR)
			cJSON_AddStringToObject(o, fields[i].name, p);
	}
	return o;
}
