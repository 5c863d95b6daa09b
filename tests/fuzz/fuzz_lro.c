/*
 * fuzz_lro.c - libFuzzer target for what lro.h reads from the network and
 * from disk: the answer to a long-running write (status, headers -
 * Azure-AsyncOperation, Location, Retry-After, Date - and body) turned into
 * an operation by arm_op_from_response; Retry-After and HTTP dates
 * (retry.h); and a saved operation (arm_op_from_json, what an interrupted
 * apply resumes from). No crash, leak or sanitizer report; an operation
 * built from a response serialises and loads back, and a loaded one
 * serialises to what loads again.
 *
 * Input layout: byte 0 picks the status, byte 1 the method, byte 2 the
 * operation kind, byte 3 final-state-via; then header lines "Name: value"
 * up to an empty line; the rest is the body. The body is also tried as a
 * saved operation.
 *
 * Built as a libFuzzer target with CMKCTL_FUZZ=ON (ci/fuzz.sh); otherwise a
 * replay program for the seeds in tests/fuzz/corpus/lro/ (ctest).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "providers/arm.h"
#include "providers/lro.h"
#include "providers/retry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const long fuzz__statuses[] = { 200, 201, 202, 204, 400, 404, 409, 500 };
static const char *const fuzz__methods[] = { "PUT", "PATCH", "DELETE", "POST" };

/* Serialise, load back, serialise again: the two texts must be equal. */
static void fuzz__roundtrip(const arm_op *op)
{
	cJSON *j1 = NULL, *j2 = NULL;
	arm_op *back = NULL;
	char *t1 = NULL, *t2 = NULL;

	if (arm_op_to_json(&j1, op) < 0)
		return;
	if (arm_op_from_json(&back, j1) < 0) {
		t1 = cJSON_Print(j1);
		fprintf(stderr, "a serialised operation does not load back: %s\n%s\n",
			cmk_error_last(), t1 ? t1 : "");
		abort();
	}
	if (arm_op_to_json(&j2, back) == 0) {
		t1 = cJSON_PrintUnformatted(j1);
		t2 = cJSON_PrintUnformatted(j2);
		if (t1 && t2 && strcmp(t1, t2) != 0) {
			fprintf(stderr, "round trip changed the operation:\n%s\n%s\n", t1, t2);
			abort();
		}
	}
	free(t1);
	free(t2);
	cJSON_Delete(j1);
	cJSON_Delete(j2);
	arm_op_free(back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	arm_response resp;
	arm_header hdrs[32];
	char *text, *p, *end;
	arm_op *op = NULL;
	cJSON *doc;
	int64_t ms;

	if (size < 4)
		return 0;
	memset(&resp, 0, sizeof(resp));
	resp.status = fuzz__statuses[data[0] % 8];
	if ((text = malloc(size - 4 + 1)) == NULL)
		return 0;
	memcpy(text, data + 4, size - 4);
	text[size - 4] = '\0';
	end = text + (size - 4);

	/* header lines until an empty one (or the end) */
	for (p = text; p < end && resp.nheaders < 32;) {
		char *nl = memchr(p, '\n', (size_t)(end - p)), *colon;

		if (!nl)
			nl = end;
		*nl = '\0';
		if (nl == p) { /* the empty line: the body follows */
			p = nl + 1;
			break;
		}
		if ((colon = strchr(p, ':')) != NULL) {
			*colon = '\0';
			for (colon++; *colon == ' '; colon++)
				;
			hdrs[resp.nheaders].name = p;
			hdrs[resp.nheaders].value = colon;
			resp.nheaders++;
			/* every header value is a Retry-After and a date to someone */
			if (arm_retry_after_parse(&ms, colon, 1795000000) == 0 && ms < 0)
				abort(); /* retry.h: never negative */
			(void)arm_http_date_parse(colon);
			(void)arm_status_classify(colon);
		}
		p = nl + 1;
	}
	resp.headers = resp.nheaders ? hdrs : NULL;
	if (p < end) {
		resp.body.ptr = p;
		resp.body.len = (size_t)(end - p);
	}

	if (arm_op_from_response(&op, (arm_op_kind)(data[2] % ARM_OP_KIND_COUNT),
				 fuzz__methods[data[1] % 4],
				 "/subscriptions/s/resourceGroups/rg/providers/Microsoft.OperationalInsights/clusters/c",
				 "2026-03-01", NULL, &resp,
				 (arm_final_via)(data[3] % (ARM_FINAL_NONE + 1))) == 0) {
		(void)arm_op_state_name(op->state);
		fuzz__roundtrip(op);
		arm_op_free(op);
		op = NULL;
	}

	/* the body as a saved operation */
	if (resp.body.len && (doc = cJSON_ParseWithLength(resp.body.ptr, resp.body.len)) != NULL) {
		if (arm_op_from_json(&op, doc) == 0) {
			fuzz__roundtrip(op);
			arm_op_free(op);
		}
		cJSON_Delete(doc);
	}
	free(text);
	return 0;
}

#include "fuzz_replay.h"
