/*
 * fuzz_arm_error.c - libFuzzer target for the structured error parser
 * (providers/arm_error.h): the body of a failed call - ARM's
 * {"error": {...}}, Key Vault's innererror, Azure AD's string error, or
 * anything else - and the `error` object of a failed operation. No crash,
 * leak or sanitizer report, and what arm_error.h promises holds: a message
 * is always there, the path never carries a query or fragment (signatures
 * in polling URLs), the one-line rendering is one line.
 *
 * Input layout: bytes 0-1 the HTTP status (big endian, modulo 600), then a
 * URL up to the first newline, then the body.
 *
 * Built as a libFuzzer target with CMKCTL_FUZZ=ON (ci/fuzz.sh); otherwise a
 * replay program for the seeds in tests/fuzz/corpus/arm_error/ (ctest).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/buf.h"
#include "providers/arm_error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Render every way the tool shows an error and check the promises. */
static void fuzz__check(const arm_error *err)
{
	cmk_buf b = CMK_BUF_INIT;
	char *line;

	if (!err->message)
		abort();
	if (err->path && strpbrk(err->path, "?#"))
		abort();
	if ((line = arm_error_line(err)) != NULL) {
		if (strpbrk(line, "\r\n"))
			abort();
		free(line);
	}
	if (arm_error_detail_text(&b, err) < 0)
		abort(); /* only memory can fail */
	cmk_buf_free(&b);
	(void)arm_error_raise(err);
	cmk_error_clear();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	arm_error_source src = { 0 };
	arm_error *err = NULL;
	const char *text, *nl;
	char *url = NULL;
	cJSON *doc;

	if (size < 2)
		return 0;
	src.http_status = (long)(((unsigned)data[0] << 8 | data[1]) % 600);
	text = (const char *)data + 2;
	size -= 2;
	nl = memchr(text, '\n', size);
	if (nl) {
		if ((url = strndup(text, (size_t)(nl - text))) == NULL)
			return 0;
		size -= (size_t)(nl - text) + 1;
		text = nl + 1;
	}
	src.method = "PUT";
	src.url = url;
	src.resource_id = (size & 1) ? NULL : "/subscriptions/s/resourceGroups/rg/providers/"
					     "Microsoft.OperationalInsights/clusters/c";
	src.body = text;
	src.body_len = size;
	src.request_id = "7f0c0000-0000-0000-0000-000000000000";
	src.client_request_id = "11111111-2222-3333-4444-555555555555";
	if (arm_error_from_http(&err, &src) == 0) {
		fuzz__check(err);
		(void)arm_error_classify(err->http_status, err->arm_code, err->message);
		arm_error_free(err);
		err = NULL;
	}

	if ((doc = cJSON_ParseWithLength(text, size)) != NULL) {
		const cJSON *inner = cJSON_GetObjectItem(doc, "error");

		/* a failed operation's status body: its "error" object, or the doc */
		if (arm_error_from_operation(&err, "DELETE", "/subscriptions/s/x", "Failed",
					     inner ? inner : doc) == 0) {
			fuzz__check(err);
			/* parsing into a filled error replaces what it held */
			(void)arm_error_parse_json(err, doc);
			fuzz__check(err);
			arm_error_free(err);
		}
		cJSON_Delete(doc);
	}
	free(url);
	return 0;
}

#include "fuzz_replay.h"
