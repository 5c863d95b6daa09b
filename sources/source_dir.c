/*
 * source_dir.c - the local source: manifest files and directories given
 * with -f. Nothing is copied or checked here: the manifest loader reports a
 * path it cannot read together with every other error, with its name.
 */
#include "sources/source_internal.h"

#include <stdlib.h>
#include <string.h>

#include "common/buf.h"

static int source__dir_open(source *s, const source_spec *spec)
{
	cmk_buf joined = CMK_BUF_INIT;
	int error = 0;

	for (size_t i = 0; i < spec->nfiles && error == 0; i++) {
		if ((error = source__add_local(s, spec->files[i])) == 0)
			error = cmk_buf_printf(&joined, "%s%s", i ? ", " : "", spec->files[i]);
	}
	if (error == 0 && (s->path = strdup(cmk_buf_cstr(&joined))) == NULL)
		error = cmk_error_oom();
	cmk_buf_free(&joined);
	return error;
}

static bool source__dir_serves(const source_spec *spec)
{
	return spec->git_url == NULL && spec->nfiles > 0;
}

const source_backend source_dir_backend = {
	.name = "dir",
	.kind = SOURCE_DIR,
	.serves = source__dir_serves,
	.open = source__dir_open,
};
