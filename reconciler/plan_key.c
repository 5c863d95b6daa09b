/*
 * plan_key.c - the plan signing key from the environment (see plan_key.h).
 */
#include "reconciler/plan_key.h"

#include <stdlib.h>
#include <string.h>

#include "common/log.h"

int plan_key_load(cmk_buf *out)
{
	const char *value = getenv("CMKCTL_PLAN_KEY"), *file = getenv("CMKCTL_PLAN_KEY_FILE");
	int error;

	if (value && !*value)
		value = NULL;
	if (file && !*file)
		file = NULL;
	if (value && file)
		return cmk_error_set(CMK_EINVALID, "CMKCTL_PLAN_KEY and CMKCTL_PLAN_KEY_FILE are both set: set one");
	if (value) {
		if ((error = cmk_buf_put(out, value, strlen(value))) < 0)
			return error;
	} else if (file) {
		if ((error = cmk_buf_read_file(out, file)) < 0)
			return cmk_error_set(CMK_EINVALID, "CMKCTL_PLAN_KEY_FILE: %s", cmk_error_last());
		while (out->len && (out->ptr[out->len - 1] == '\n' || out->ptr[out->len - 1] == '\r'))
			out->len--;
	} else {
		return 0;
	}
	if (out->len < PLAN_KEY_MIN_BYTES)
		return cmk_error_set(CMK_EINVALID, "the plan key (%s) is shorter than %d bytes",
				     value ? "CMKCTL_PLAN_KEY" : "CMKCTL_PLAN_KEY_FILE", PLAN_KEY_MIN_BYTES);
	cmk_log_add_secret(cmk_buf_cstr(out));
	return 0;
}
