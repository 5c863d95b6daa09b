/*
 * hostile_server.h - a small HTTPS server that misbehaves on purpose, for the
 * tests that prove cmkctl's provider layer ends every malformed or hostile
 * ARM answer in a clear error or a bounded wait (tests/hostile/).
 *
 * It runs inside the test process (libmicrohttpd, one thread per
 * connection, so a response that never ends does not hold up the others) on
 * 127.0.0.1 with a free port, with a CA and a certificate for localhost and
 * 127.0.0.1 made by armsim's TLS code (tests/armsim/tls.c) in a fresh
 * directory. Its Azure AD token endpoint (POST /{tenant}/oauth2/v2.0/token)
 * hands out a static token, so a custom cloud pointing at it gets a working
 * client-secret credential; every other request goes to the test's handler,
 * which says what to answer - including answers no real server gives: a
 * body that never ends (one byte at a time), a huge body, a truncated one.
 * Every request is recorded (method, path with query, whether it carried a
 * bearer token, the Host it named) so tests can assert what was, and was
 * not, sent.
 */
#ifndef CMK_TESTS_HOSTILE_SERVER_H
#define CMK_TESTS_HOSTILE_SERVER_H

#include <stdbool.h>
#include <stddef.h>

#include "providers/cloud.h"

/* What the handler answers. */
typedef enum {
	HS_BODY = 0,    /* status, headers, body (body_len 0: strlen) */
	HS_SLOWLORIS,   /* status and headers, then one byte of body every
			 * drip_ms, never ending (until the client goes away) */
	HS_HUGE,        /* status and headers, then huge_len bytes of JSON-ish
			 * filler ("[" then spaces), streamed */
	HS_CUT,         /* Content-Length huge_len, then half of that filler and
			 * the connection closed: a body truncated on the wire */
} hs_mode;

#define HS_MAX_HEADERS 8

typedef struct {
	hs_mode mode;
	unsigned status;
	const char *headers[HS_MAX_HEADERS]; /* "Name: value", NULL-terminated */
	const char *body;                    /* copied by the server */
	size_t body_len;
	unsigned drip_ms;                    /* HS_SLOWLORIS: 0 -> 200 */
	size_t huge_len;                     /* HS_HUGE, HS_CUT */
} hs_answer;

/* One recorded request. */
typedef struct {
	char method[8];
	char path[512];   /* path and query as sent */
	char host[128];   /* the Host header */
	bool bearer;      /* carried "Authorization: Bearer ..." */
} hs_request;

typedef struct hs_server hs_server;

/* The handler: fill *out for request number `n` (0-based, counting every
 * request the handler saw). Runs on a server thread. */
typedef void (*hs_handler)(hs_answer *out, void *ud, const hs_request *req, unsigned n);

/* Start on 127.0.0.1:0 with certificates in a fresh temporary directory.
 * Returns NULL (and prints why) on failure. */
hs_server *hs_start(void);
void hs_stop(hs_server *s);

/* Replace the handler (and reset the request log). */
void hs_set_handler(hs_server *s, hs_handler fn, void *ud);

/* Answer the token endpoint with `a` instead of the static token (NULL:
 * back to the static token). */
void hs_set_token_answer(hs_server *s, const hs_answer *a);

/* A client-secret credential in the environment (AZURE_TENANT_ID,
 * AZURE_CLIENT_ID, AZURE_CLIENT_SECRET) and a custom cloud whose ARM
 * endpoint and Azure AD authority are the server (free with
 * arm_cloud_free). NULL (and prints why) on failure. */
arm_cloud *hs_cloud(hs_server *s);

unsigned hs_port(const hs_server *s);
/* "https://localhost:PORT" */
const char *hs_base_url(const hs_server *s);
/* Absolute path of the CA certificate to trust. */
const char *hs_ca_file(const hs_server *s);

/* Requests seen by the handler since the last hs_set_handler (token
 * requests not included); hs_requests_matching counts those whose path
 * contains `needle`. `*out` copies at most `max`. */
unsigned hs_request_count(hs_server *s);
unsigned hs_requests_matching(hs_server *s, const char *needle);
unsigned hs_token_requests(hs_server *s);
bool hs_request_get(hs_server *s, unsigned i, hs_request *out);

#endif
