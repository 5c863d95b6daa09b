/*
 * http.h - the request and response seen by every armsim handler.
 *
 * The server (server.c) turns a libmicrohttpd request into a sim_req, the
 * router (router.c) fills the route captures and the caller's identity, and
 * the handler fills a sim_resp. Handlers never touch libmicrohttpd.
 *
 * Ownership: everything in a sim_req belongs to the server and lives until
 * the handler returns. Everything put into a sim_resp belongs to the resp
 * (resp_json takes ownership of the cJSON it is given).
 */
#ifndef ARMSIM_HTTP_H
#define ARMSIM_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "common/error.h"

#define SIM_MAX_CAPTURES 8

/* Who called: filled by the router from the bearer token (auth.c). */
typedef struct sim_caller {
	bool authenticated;
	char tenant_id[64];
	char object_id[64];  /* oid claim: the principal RBAC and access policies see */
	char app_id[64];     /* appid claim (client id) */
	char audience[128];
} sim_caller;

typedef struct sim_req {
	const char *method;       /* upper case: GET PUT PATCH DELETE POST HEAD */
	const char *path;         /* URL path, percent-decoded, as received */
	const char *raw_url;      /* path + "?" + query as received (for logs) */
	const char *host;         /* Host header without port, lower case */
	int port;                 /* the port armsim listens on */
	const char *api_version;  /* ?api-version=, or NULL when absent */
	const char *body;         /* raw request body, NUL-terminated ("" if none) */
	size_t body_len;
	cJSON *json;              /* body parsed as JSON; NULL when empty or invalid */
	bool json_invalid;        /* a non-empty body that is not JSON */
	const char *cap[SIM_MAX_CAPTURES]; /* {name} captures of the route, in order */
	int ncap;
	const char *vault_name;   /* data-plane routes: <vault> of <vault>.vault.localhost */
	const char *hsm_name;     /* Managed HSM data plane: <hsm> of <hsm>.managedhsm.localhost */
	const char *resource_type;/* the route's resource type ("Microsoft.X/y"), or NULL */
	const char *correlation_id; /* x-ms-correlation-request-id: the client's, or new */
	sim_caller caller;
	bool loopback;            /* peer address is 127.0.0.0/8 or ::1 */
	void *conn;               /* private to server.c */
} sim_req;

typedef struct sim_header {
	char *name;
	char *value;
} sim_header;

typedef struct sim_resp {
	int status;               /* 0 = not set yet */
	cJSON *json;              /* body as JSON (owned), or NULL */
	char *raw;                /* raw body (owned, malloc'd) when json is NULL */
	size_t raw_len;
	const char *content_type; /* for raw bodies; JSON bodies are application/json */
	sim_header hdr[32];
	int nhdr;
	bool drop_connection;     /* fault injection: reset instead of answering */
	unsigned slow_ms;         /* fault injection: delay before answering */
} sim_resp;

/* --- request accessors ------------------------------------------------ */

/* A request header (case-insensitive name), or NULL. */
const char *req_header(const sim_req *req, const char *name);
/* A query parameter (case-insensitive name, decoded), or NULL. */
const char *req_query(const sim_req *req, const char *name);
/* The base URL the client used, "https://localhost:PORT" (no slash). */
const char *req_base_url(const sim_req *req);

/* --- response builders ------------------------------------------------- */

/* Set status and a JSON body (ownership of `body` moves to resp; may be NULL
 * for an empty body). */
void resp_json(sim_resp *resp, int status, cJSON *body);
/* Set status and a raw body copied from `data`. */
void resp_raw(sim_resp *resp, int status, const char *content_type,
	      const char *data, size_t len);
/* Add (or replace, same name case-insensitively) a response header. */
void resp_header(sim_resp *resp, const char *name, const char *fmt, ...)
	CMK_PRINTF(3, 4);
/* The value of a header already set on the response, or NULL. */
const char *resp_header_get(const sim_resp *resp, const char *name);

/* ARM error body {"error":{"code","message"}} with `status`. The message is a
 * printf format so documented messages can embed names. */
void resp_arm_error(sim_resp *resp, int status, const char *code,
		    const char *fmt, ...) CMK_PRINTF(4, 5);
/* Same, with a "target" field. */
void resp_arm_error_target(sim_resp *resp, int status, const char *code,
			   const char *target, const char *fmt, ...) CMK_PRINTF(5, 6);

/* Free everything a response owns (server.c calls it). */
void resp_reset(sim_resp *resp);

#endif
