/*
 * fuzz_plan_load.c - libFuzzer target for the saved-plan loader (a saved
 * plan is untrusted input: `apply FILE`): any bytes in, no crash, leak,
 * hang or sanitizer report out; whatever loads renders and re-serialises.
 *
 * Built as a libFuzzer target with CMKCTL_FUZZ=ON (ci/fuzz.sh). Without it,
 * the same file is built with FUZZ_REPLAY_MAIN into a replay program that
 * runs every seed in tests/fuzz/corpus/plan_load/ as a ctest test.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "common/buf.h"
#include "planner/plan.h"
#include "planner/render.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	plan *p = NULL;
	cJSON *json = NULL;
	cmk_buf b = CMK_BUF_INIT;

	if (plan_load_buffer(&p, (const char *)data, size) == 0) {
		/* a loaded plan must be safe to use in every way apply would */
		if (plan_to_json(&json, p, true) == 0) {
			char *text = cJSON_PrintUnformatted(json);

			free(text);
			cJSON_Delete(json);
		}
		if (render_plan_text(&b, p, NULL) < 0 || render_plan_markdown(&b, p, NULL, 0) < 0 ||
		    render_plan_mermaid(&b, p) < 0 || render_plan_dot(&b, p) < 0)
			cmk_buf_clear(&b);
		for (size_t i = 0; i < p->step_count; i++)
			for (size_t j = 0; j < p->steps[i].dep_count; j++)
				if (p->steps[i].depends_on[j] >= i)
					abort(); /* the loader promised backward dependencies */
		cmk_buf_free(&b);
		plan_free(p);
	}
	return 0;
}

#ifdef FUZZ_REPLAY_MAIN
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
