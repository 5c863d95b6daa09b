/*
 * input_file.h - reading a file a user named: manifests (-f FILE, the files
 * of a -f directory, -f - for standard input), --live-state FILE and saved
 * plans (apply PLAN.json). Every such read goes through here so that each
 * of them refuses the same things the same way.
 *
 * A path is read whole, or the read fails with a message that names it and
 * says why. Nothing that is not a regular file is ever read: a FIFO, a
 * socket, a device (/dev/zero, a terminal) or a directory is refused before
 * any read that could block or never end (the file is looked at with stat,
 * then opened with O_NONBLOCK | O_NOCTTY and looked at again with fstat).
 * Symbolic links are followed; one that cannot be followed is described
 * (dangling, a loop) rather than reported as a bare errno.
 *
 * Standard input is the one exception: a pipe or a terminal there is what
 * the user asked to read, so only a directory is refused.
 */
#ifndef CMK_INPUT_FILE_H
#define CMK_INPUT_FILE_H

#include <stddef.h>
#include <sys/types.h>

#include "common/buf.h"
#include "common/error.h"

/*
 * Append the whole regular file `path` to `b`, at most b->max bytes (0: the
 * buffer's default cap); the contents stay NUL-terminated. Failures, each
 * with a message starting "<path>: ":
 *   CMK_ENOTFOUND  the path does not exist, or is a dangling symbolic link
 *                  ("cannot open: dangling symbolic link to 'T'")
 *   CMK_EINVALID   larger than the cap ("data too large (limit N bytes)"),
 *                  checked on the size before reading
 *   CMK_ENOMEM
 *   CMK_ERROR      anything else that keeps it from being read: permission,
 *                  a symbolic link loop, a path longer than PATH_MAX
 *                  ("cannot open: ..."), not a regular file ("cannot read:
 *                  a FIFO, not a regular file"), a read error ("read
 *                  failed: ...")
 * On failure `b` may hold part of the file; the caller frees it as usual.
 */
int cmk_input_read_file(cmk_buf *b, const char *path) CMK_WUR;

/*
 * Append all of standard input to `b` (at most b->max bytes), naming it
 * `name` ("<stdin>") in messages. A directory on standard input fails with
 * CMK_ERROR "<name>: cannot read: Is a directory"; a read error is CMK_ERROR
 * "<name>: read failed: ..."; more than the cap is CMK_EINVALID; CMK_ENOMEM.
 */
int cmk_input_read_stdin(cmk_buf *b, const char *name) CMK_WUR;

/*
 * Why `path` could not be opened or examined, given the errno `err` of the
 * failed call, in words written to `out` (always NUL-terminated):
 * strerror(err), except for a path that is a symbolic link whose target is
 * missing ("dangling symbolic link to 'T'"), a link loop ("symbolic link
 * loop (Too many levels of symbolic links)") and a path longer than the
 * system allows ("path longer than PATH_MAX (4096 bytes)").
 */
void cmk_input_explain(char *out, size_t size, const char *path, int err);

/* What a file of mode `mode` is, for messages: "a regular file",
 * "a directory", "a FIFO", "a socket", "a character device", "a block
 * device", "a symbolic link". */
const char *cmk_input_kind(mode_t mode);

#endif
