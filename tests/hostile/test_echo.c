/*
 * test_echo.c - a server that echoes the caller's credentials back (the
 * Authorization header in x-ms-request-id, the token in the error message,
 * a signed URL in the body) never gets them into cmkctl's output: not in the
 * debug lines of -v ("GET ... -> 400 (request id ...)"), not in the final
 * error, in text logs and JSON logs alike.
 *
 * The token endpoint hands out a JWT-shaped token, which auth registers with
 * the log's secret filter; the echoes also carry a JWT and a bearer token
 * nobody registered and a SAS signature, which the filter knows by shape.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/error.h"
#include "common/log.h"
#include "hostile_server.h"
#include "providers/arm.h"
#include "providers/cloud.h"

#define SUB "5d3e9a47-1c2b-4f6e-9a8d-2b7c4e1f0a93"
/* what the token endpoint hands out (registered by auth when received) */
#define TOKEN "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJlY2hvLXRlc3QiLCJvaWQiOiIxIn0.c2lnbmVkLWJ5LW5vYm9keQ"
/* credentials the client never saw: only their shape gives them away */
#define OTHER_JWT "eyJ0eXAiOiJKV1QifQ.eyJ1bnJlZ2lzdGVyZWQiOnRydWV9.b3RoZXItc2lnbmF0dXJl"
#define OTHER_BEARER "opaque-bearer-0123456789abcdefXYZ"
#define SAS_SIG "Zm9vYmFyc2lnbmF0dXJlMTIzNDU2Nzg5MA%3D"
#define CLIENT_SECRET "echo-test-client-secret-value"

static hs_server *g_srv;
static arm_cloud *g_cloud;

static const char *const leaks[] = { TOKEN, OTHER_JWT, OTHER_BEARER, SAS_SIG, CLIENT_SECRET,
				     /* pieces: a cut token is still a leak */
				     "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9", "c2lnbmVkLWJ5LW5vYm9keQ",
				     "b3RoZXItc2lnbmF0dXJl", NULL };

static void echo(hs_answer *a, void *ud, const hs_request *r, unsigned n)
{
	(void)ud; (void)n;
	assert_true(r->bearer);
	a->status = 400;
	a->headers[0] = "x-ms-request-id: Bearer " TOKEN;
	a->headers[1] = "x-ms-correlation-request-id: Bearer " OTHER_BEARER;
	a->headers[2] = NULL;
	a->body = "{\"error\":{\"code\":\"InvalidAuthenticationToken\",\"message\":\"The token 'Bearer " TOKEN
		  "' (also " OTHER_JWT ") is not valid for https://st.blob.core.windows.net/c/b?sv=2022-11-02"
		  "&sig=" SAS_SIG "&se=2030-01-01 ; client_secret=" CLIENT_SECRET "\"}}";
}

static int group_setup(void **state)
{
	static const hs_answer token = {
		.status = 200,
		.body = "{\"token_type\":\"Bearer\",\"expires_in\":3600,\"access_token\":\"" TOKEN "\"}",
	};

	(void)state;
	unsetenv("CMKCTL_CREDENTIAL");
	unsetenv("SSL_CERT_FILE");
	unsetenv("CURL_CA_BUNDLE");
	if ((g_srv = hs_start()) == NULL)
		return -1;
	hs_set_token_answer(g_srv, &token);
	hs_set_handler(g_srv, echo, NULL);
	return (g_cloud = hs_cloud(g_srv)) == NULL ? -1 : 0;
}

static int group_teardown(void **state)
{
	(void)state;
	hs_stop(g_srv);
	arm_cloud_free(g_cloud);
	cmk_log_configure(CMK_LOG_INFO, CMK_LOG_TEXT, NULL);
	return 0;
}

static void assert_no_leak(const char *what, const char *text)
{
	for (size_t i = 0; leaks[i]; i++)
		if (strstr(text, leaks[i]))
			fail_msg("%s holds '%s':\n%s", what, leaks[i], text);
}

/* One failing GET at debug level in `format`: the log and the error. */
static void echo_run(cmk_log_format format)
{
	arm_client_opts o = { 0 };
	arm_client *c = NULL;
	cJSON *doc = NULL;
	char *log = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&log, &len);

	assert_non_null(f);
	cmk_log_configure(CMK_LOG_DEBUG, format, f);
	o.cloud = g_cloud;
	o.credential = "client-secret";
	o.ca_file = hs_ca_file(g_srv);
	o.max_attempts = 1;
	if (arm_client_new(&c, &o) < 0)
		fail_msg("client: %s", cmk_error_last());
	assert_true(arm_get_json(&doc, c, "/subscriptions/" SUB, "2022-12-01", NULL) < 0);
	arm_client_free(c);
	/* the final error, as the command line prints it (cli_error: the
	 * same filter, then stderr) */
	cmk_log_error("cmkctl plan: %s", cmk_error_last());
	cmk_log_configure(CMK_LOG_INFO, CMK_LOG_TEXT, NULL);
	fclose(f);
	/* the debug line of the answer and the final error are there, redacted */
	if (!strstr(log, "-> 400") ||
	    !strstr(log, format == CMK_LOG_JSON ? "\"request_id\":\"Bearer [REDACTED]\""
						: "(request id Bearer [REDACTED])") ||
	    !strstr(log, "cmkctl plan: GET /subscriptions/"))
		fail_msg("no redacted debug line of the 400:\n%s", log);
	assert_no_leak(format == CMK_LOG_JSON ? "the JSON log" : "the text log", log);
	free(log);
}

static void test_echo__text_debug_log_and_error_hold_no_token(void **state)
{
	(void)state;
	echo_run(CMK_LOG_TEXT);
}

static void test_echo__json_debug_log_and_error_hold_no_token(void **state)
{
	(void)state;
	echo_run(CMK_LOG_JSON);
}

/* The filter itself, on what a server might echo, whoever registered it. */
static void test_echo__credential_shapes_are_redacted(void **state)
{
	char text[] = "GET https://x/y?sv=1&sig=" SAS_SIG "&se=2 -> 400 (request id Bearer " OTHER_BEARER
		      ") token " OTHER_JWT " form client_secret=" CLIENT_SECRET "&client_assertion=" OTHER_JWT
		      " json {\"access_token\":\"opaque-access-token-value\"}";

	(void)state;
	cmk_log_redact(text);
	assert_no_leak("the redacted text", text);
	assert_null(strstr(text, "opaque-access-token-value"));
	/* what is not a credential stays */
	assert_non_null(strstr(text, "GET https://x/y?sv=1&sig="));
	assert_non_null(strstr(text, "&se=2 -> 400 (request id Bearer [REDACTED])"));
	assert_non_null(strstr(text, " form client_secret=[REDACTED]&client_assertion=[REDACTED]"));
}

/* Ordinary words around "bearer" or "sig" are not taken for credentials. */
static void test_echo__ordinary_text_is_kept(void **state)
{
	char text[] = "refusing to send a bearer token to http://example.invalid/; config=sig-of-the-day";

	(void)state;
	cmk_log_redact(text);
	assert_string_equal(text, "refusing to send a bearer token to http://example.invalid/; "
			    "config=sig-of-the-day");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_echo__text_debug_log_and_error_hold_no_token),
		cmocka_unit_test(test_echo__json_debug_log_and_error_hold_no_token),
		cmocka_unit_test(test_echo__credential_shapes_are_redacted),
		cmocka_unit_test(test_echo__ordinary_text_is_kept),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
