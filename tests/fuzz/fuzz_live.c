/*
 * fuzz_live.c - libFuzzer target for the live-state JSON loader
 * (common/live.h, live_state_from_json): golden fixtures and saved-plan
 * fingerprints load it, and `plan --live-state FILE` reads it from the user.
 * No crash, leak or sanitizer report; whatever loads serialises
 * (live_state_to_json), loads back, and serialises to the same text - the
 * fingerprint of a saved plan depends on that.
 *
 * Input: the JSON document.
 *
 * Built as a libFuzzer target with CMKCTL_FUZZ=ON (ci/fuzz.sh); otherwise a
 * replay program for the seeds in tests/fuzz/corpus/live/ (ctest).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/live.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cJSON *doc = cJSON_ParseWithLength((const char *)data, size), *j1 = NULL, *j2 = NULL;
	live_state live = { 0 }, back = { 0 };
	char *t1 = NULL, *t2 = NULL;

	if (!doc)
		return 0;
	if (live_state_from_json(&live, doc) == 0) {
		(void)live_find_cluster(&live, "/subscriptions/x");
		if (live_state_to_json(&j1, &live) == 0) {
			if (live_state_from_json(&back, j1) < 0) {
				t1 = cJSON_Print(j1);
				fprintf(stderr, "a serialised live state does not load back: %s\n%s\n",
					cmk_error_last(), t1 ? t1 : "");
				abort();
			}
			if (live_state_to_json(&j2, &back) == 0) {
				t1 = cJSON_PrintUnformatted(j1);
				t2 = cJSON_PrintUnformatted(j2);
				if (t1 && t2 && strcmp(t1, t2) != 0) {
					fprintf(stderr, "round trip changed the state:\n%s\n%s\n", t1, t2);
					abort();
				}
			}
			live_state_free(&back);
		}
		live_state_free(&live);
	}
	free(t1);
	free(t2);
	cJSON_Delete(j1);
	cJSON_Delete(j2);
	cJSON_Delete(doc);
	return 0;
}

#include "fuzz_replay.h"
