/*
 * source_dir.c - the local source: a manifest file or directory given with
 * -f. Nothing is copied; the record only names the path.
 */
#include "reconciler/source_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int source__dir_open(source *s, const source_spec *spec)
{
	struct stat st;

	if (stat(spec->file, &st) < 0)
		return cmk_error_set(errno == ENOENT ? CMK_ENOTFOUND : CMK_ERROR,
				     "%s: %s", spec->file, strerror(errno));
	if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
		return cmk_error_set(CMK_EINVALID,
				     "%s: not a regular file or directory", spec->file);
	if ((s->path = strdup(spec->file)) == NULL ||
	    (s->local = strdup(spec->file)) == NULL)
		return cmk_error_oom();
	return 0;
}
