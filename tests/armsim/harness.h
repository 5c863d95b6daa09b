/*
 * harness.h - start and drive armsim from C tests (every suite may use it).
 *
 * armsim_start() spawns the built armsim binary (path compiled in as
 * ARMSIM_BINARY) on 127.0.0.1:0 with a fresh temporary state directory,
 * waits for its ready file, and parses the ready line. Requests go over
 * real HTTPS with libcurl, verifying armsim's CA. armsim_stop() sends
 * SIGTERM, waits, and removes the temporary directory.
 *
 * Requests on one armsim* reuse one connection (keep-alive) and are
 * serialised by a lock, so an instance may be shared by threads.
 * Ownership: an armsim* belongs to the caller until armsim_stop(). JSON
 * handed out (*response_json, resp->json) is owned by the caller / the
 * response and freed with cJSON_Delete / armsim_http_free.
 * Errors: functions return 0 (or an HTTP status) and a negative CMK_E* code
 * with cmk_error_last() explaining, e.g. "armsim did not become ready within
 * 20 s (log: /tmp/armsim-x/armsim.log)".
 */
#ifndef ARMSIM_HARNESS_H
#define ARMSIM_HARNESS_H

#include <stdbool.h>
#include <sys/types.h>

#include <cjson/cJSON.h>

#include "common/error.h"

typedef struct armsim_opts {
	const char *fixture;            /* fixture path (JSON/YAML) or NULL (built-in default) */
	double time_scale;              /* 0 = 1 (real time) */
	int token_lifetime;             /* seconds; 0 = armsim default (3599) */
	unsigned long seed;             /* 0 = 1 */
	const char *const *extra_args;  /* NULL-terminated extra CLI args, or NULL */
	double ready_timeout_s;         /* 0 = 20 */
	/* false: armsim runs with --retry-after-real (Retry-After in virtual
	 * seconds), because cmkctl divides Retry-After by CMKCTL_TIME_SCALE
	 * itself; true: armsim's default, Retry-After already on the real clock
	 * (for clients that do not know the time scale). The environment
	 * variable ARMSIM_SCALE_RETRY_AFTER=1 sets it for every start. */
	bool scale_retry_after;
} armsim_opts;

typedef struct armsim {
	pid_t pid;
	char dir[256];        /* temporary directory (state dir, ready file, log) */
	char base_url[128];   /* "https://localhost:PORT" */
	int port;
	char ca_file[512];
	char tenant_id[64];
	char client_id[64];   /* env AZURE_CLIENT_ID of the ready line */
	char client_secret[128];
	cJSON *ready;         /* the parsed ready line */
	char *arm_token;      /* cached ARM token of client_id (armsim_arm) */
	void *priv_;          /* private to harness.c: a reused curl handle (keep-alive) */
} armsim;

typedef struct armsim_http_resp {
	long status;
	char *body;           /* NUL-terminated ("" when empty) */
	cJSON *json;          /* body parsed, or NULL */
	char *headers;        /* raw header block of the final response */
} armsim_http_resp;

int armsim_start(armsim **out, const armsim_opts *opts) CMK_WUR;
/* Stop and free the instance. Returns 0, or CMK_ERROR when armsim did not
 * exit cleanly (a sanitizer report, a crash): the message names its log,
 * which is then kept (the rest of the temporary directory is removed). */
int armsim_stop(armsim *inst);

/* Export the ready line's "env" into this process's environment. */
void armsim_setenv(const armsim *inst);

/* Call the admin API: method, path under the base URL ("/_sim/clock/advance"),
 * JSON body or NULL. Returns the HTTP status (>= 100) or a negative code;
 * *response_json (optional) gets the parsed body or NULL. */
int armsim_admin(armsim *inst, const char *method, const char *path,
		 const char *json_body, cJSON **response_json);

/* One HTTPS request. `url` absolute, or a path (prefixed with the base URL).
 * `bearer` may be NULL. `extra_headers` NULL-terminated "Name: value" list
 * or NULL. A JSON body gets Content-Type: application/json. Returns 0 or a
 * negative code (transport failure, message set). */
int armsim_http(armsim_http_resp *out, armsim *inst, const char *method,
		const char *url, const char *bearer, const char *body,
		const char *const *extra_headers) CMK_WUR;
/* A response header value (case-insensitive), copied into out; returns
 * false when absent. */
bool armsim_http_header(const armsim_http_resp *r, const char *name, char *out, size_t outlen);
void armsim_http_free(armsim_http_resp *r);

/* Client-credentials token for `scope` (e.g.
 * "https://management.azure.com/.default"); *out owned by the caller. */
int armsim_token(char **out, armsim *inst, const char *client_id,
		 const char *client_secret, const char *scope) CMK_WUR;

/* ARM request as the ready line's principal (token fetched once and
 * cached): `path_and_query` like "/subscriptions/x/...?api-version=...". */
int armsim_arm(armsim_http_resp *out, armsim *inst, const char *method,
	       const char *path_and_query, const char *body) CMK_WUR;

/* Advance the virtual clock by `seconds` (POST /_sim/clock/advance). */
int armsim_advance(armsim *inst, double seconds) CMK_WUR;

#endif
