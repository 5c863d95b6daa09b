/*
 * settings.h - the tunables of one armsim instance: operation durations on
 * the virtual clock, paging, delays of key revocation, limits. Defaults are
 * realistic (documented in README.md); /_sim/settings and /_sim/durations
 * change them at run time; fixtures may set them under "settings".
 */
#ifndef ARMSIM_SETTINGS_H
#define ARMSIM_SETTINGS_H

#include <cjson/cJSON.h>

typedef struct sim_settings {
	/* durations, virtual seconds */
	double cluster_create_s;     /* LA cluster creation: 2 h */
	double cluster_update_s;     /* LA non-key update (sku, billingType): 5 min */
	double cluster_key_update_s; /* LA key update: 35 min (real traffic) */
	double cluster_delete_s;     /* LA delete without linked workspaces: 0 (immediate) */
	double link_s;               /* workspace link: 30 min */
	double unlink_s;             /* workspace unlink: 30 min (doc: up to 90 min) */
	double workspace_create_s;   /* workspace create: 0 (sync) */
	double kusto_update_s;       /* Kusto create/update: 15 min */
	double revocation_delay_s;   /* key access lost -> data inaccessible: 1 h */
	double recovery_delay_s;     /* access back -> accessible again: 30 min */
	double soft_delete_days;     /* cluster name reserved: 14 */
	double capacity_lock_days;   /* capacity decrease locked: 30 */
	double link_window_days;     /* link budget window: 30 */
	int link_budget;             /* link/unlink operations per window: 2 */
	int max_links_per_cluster;   /* 1000 */
	int max_clusters_per_region; /* per subscription and region: 2 */
	int page_size;               /* list page size (nextLink): 100 */
	int retry_after_s;           /* Retry-After on 202s: 20 */
	char la_status_api_version[32]; /* api-version in LA Azure-AsyncOperation URLs */
	int token_lifetime_s;        /* --token-lifetime: 3599 */
	int signed_operation_urls;   /* 1: ~3,300-char signed operation URLs (t, c, s, h) as seen in real traffic */
	/* Retry-After is virtual seconds divided by the time scale (what a
	 * client on the real clock should wait); 1 keeps the virtual seconds */
	int retry_after_real;
	/* realism (--profile real; each 0 = off, the default) */
	double read_lag_s;              /* GET/list show a resource's previous state this long after a change */
	int unlink_synchronous;         /* 1: linked-service DELETE answers 200 Deleting, no async headers */
	double linked_service_404_s;    /* a new cluster link answers GET 404 this long after its PUT */
	double principal_replication_s; /* a new principal is unknown to Key Vault and role assignments this long */
	double status_error_rate;       /* 0..1: share of status/result URL reads answered 5xx (seeded) */
	/* Activity Log */
	double activity_log_delay_s;    /* an event shows this long after it happened: 0 */
	int activity_log_page_size;     /* events per page of the Activity Log list: 200 */
} sim_settings;

extern sim_settings g_settings;

void settings_defaults(sim_settings *s);
/* Apply the members of `obj` (names as in README; unknown names are an
 * error with cmk_error_set). */
int settings_apply(sim_settings *s, const cJSON *obj);
cJSON *settings_dump(const sim_settings *s);
/* Apply a named realism profile: "real" (each behaviour on, README values)
 * or "none" (each off). 0, or CMK_EINVALID for another name. */
int settings_profile(sim_settings *s, const char *name);

#endif
