/*
 * fuzz_manifest.c - libFuzzer target for the manifest loader and validator:
 * any bytes in, no crash, leak, hang or sanitizer report out.
 *
 * Built as a libFuzzer target with CMKCTL_FUZZ=ON (ci/fuzz.sh). Without it,
 * the same file is built with FUZZ_REPLAY_MAIN into a replay program that
 * runs every seed in tests/fuzz/corpus/manifest/ as a ctest test, so the
 * seeds stay exercised under the ordinary sanitizer build.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "planner/manifest.h"
#include "planner/manifest_diag.h"
#include "planner/validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *sink;
	manifest_diags diags = MANIFEST_DIAGS_INIT;
	manifest_set *set = NULL;
	cJSON *json = NULL;

	if (!sink && (sink = fopen("/dev/null", "w")) == NULL)
		abort();
	if (manifest_set_new(&set) < 0)
		return 0;
	if (manifest_load_buffer(set, &diags, "fuzz.yaml", (const char *)data, size) == 0 &&
	    validate_manifest_set(&diags, set) == 0) {
		manifest_diags_sort(&diags);
		manifest_diags_print_text(sink, &diags);
		if (manifest_diags_to_json(&json, &diags, set->file_count, set->count) == 0) {
			char *text = cJSON_PrintUnformatted(json);

			free(text);
			cJSON_Delete(json);
		}
	}
	manifest_set_free(set);
	manifest_diags_free(&diags);
	return 0;
}

#ifdef FUZZ_REPLAY_MAIN
#include "common/buf.h"

/* Replay each file named on the command line through the target. */
int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		cmk_buf b = CMK_BUF_INIT;

		if (cmk_buf_read_file(&b, argv[i]) < 0) {
			fprintf(stderr, "%s\n", cmk_error_last());
			return 1;
		}
		LLVMFuzzerTestOneInput((const uint8_t *)b.ptr, b.len);
		cmk_buf_free(&b);
	}
	printf("replayed %d inputs\n", argc - 1);
	return 0;
}
#endif
