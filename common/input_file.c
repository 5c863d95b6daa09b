/*
 * input_file.c - reading a file a user named, refusing what is not a
 * regular file before any read that could block (see input_file.h).
 */
#include "common/input_file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *cmk_input_kind(mode_t mode)
{
	if (S_ISREG(mode))
		return "a regular file";
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISSOCK(mode))
		return "a socket";
	if (S_ISCHR(mode))
		return "a character device";
	if (S_ISBLK(mode))
		return "a block device";
	if (S_ISLNK(mode))
		return "a symbolic link";
	return "not a file";
}

void cmk_input_explain(char *out, size_t size, const char *path, int err)
{
	struct stat st;
	char target[PATH_MAX];
	ssize_t n;

	if (err == ENOENT && lstat(path, &st) == 0 && S_ISLNK(st.st_mode) &&
	    (n = readlink(path, target, sizeof(target) - 1)) >= 0) {
		target[n] = '\0';
		snprintf(out, size, "dangling symbolic link to '%s'", target);
	} else if (err == ELOOP) {
		snprintf(out, size, "symbolic link loop (%s)", strerror(err));
	} else if (err == ENAMETOOLONG) {
		snprintf(out, size, "path longer than PATH_MAX (%d bytes)", PATH_MAX);
	} else {
		snprintf(out, size, "%s", strerror(err));
	}
}

/* Longest path a message repeats whole; a longer one (past PATH_MAX,
 * say) is shortened in the middle so the reason still fits the message. */
#define INPUT__NAME_MAX 1024

typedef struct {
	char text[INPUT__NAME_MAX + 8];
} input__name;

static const char *input__shorten(input__name *n, const char *path)
{
	size_t len = strlen(path), half = INPUT__NAME_MAX / 2;

	if (len <= INPUT__NAME_MAX)
		return path;
	snprintf(n->text, sizeof(n->text), "%.*s...%s", (int)half, path, path + len - half);
	return n->text;
}

/* `name` is `path` as messages show it. */
static int input__open_error(const char *path, const char *name, int err)
{
	char why[PATH_MAX + 64];

	cmk_input_explain(why, sizeof(why), path, err);
	return cmk_error_set(err == ENOENT ? CMK_ENOTFOUND : CMK_ERROR, "%s: cannot open: %s",
			     name, why);
}

static int input__not_regular(const char *name, mode_t mode)
{
	return cmk_error_set(CMK_ERROR, "%s: cannot read: %s, not a regular file", name,
			     cmk_input_kind(mode));
}

static size_t input__cap(const cmk_buf *b)
{
	return b->max ? b->max : CMK_BUF_DEFAULT_MAX;
}

/* Read `fd` to its end into `b`; messages name `name`. */
static int input__read_fd(cmk_buf *b, int fd, const char *name)
{
	char chunk[65536];
	int error;

	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return cmk_error_set(CMK_ERROR, "%s: read failed: %s", name, strerror(errno));
		if (n == 0)
			break;
		if ((error = cmk_buf_put(b, chunk, (size_t)n)) < 0) {
			/* copy first: formatting the last error into itself overlaps */
			char why[256];

			snprintf(why, sizeof(why), "%s", cmk_error_last());
			return cmk_error_set(error, "%s: %s", name, why);
		}
	}
	/* an empty input is still a string */
	return b->ptr ? 0 : cmk_buf_put(b, "", 0);
}

int cmk_input_read_file(cmk_buf *b, const char *path)
{
	input__name n;
	const char *name = input__shorten(&n, path);
	struct stat st;
	int fd = -1, error;

	/* look before opening: opening a FIFO blocks, a device may act on open */
	if (stat(path, &st) < 0)
		return input__open_error(path, name, errno);
	if (!S_ISREG(st.st_mode))
		return input__not_regular(name, st.st_mode);
	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)) < 0)
		return input__open_error(path, name, errno);
	/* and again on what was opened: the path may have been swapped */
	if (fstat(fd, &st) < 0) {
		error = cmk_error_set(CMK_ERROR, "%s: cannot read: %s", name, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		error = input__not_regular(name, st.st_mode);
		goto out;
	}
	if ((unsigned long long)st.st_size > input__cap(b) - b->len) {
		error = cmk_error_set(CMK_EINVALID, "%s: data too large (limit %zu bytes)", name,
				      input__cap(b));
		goto out;
	}
	error = input__read_fd(b, fd, name);
out:
	close(fd);
	return error;
}

int cmk_input_read_stdin(cmk_buf *b, const char *name)
{
	struct stat st;

	if (fstat(STDIN_FILENO, &st) < 0)
		return cmk_error_set(CMK_ERROR, "%s: cannot read: %s", name, strerror(errno));
	if (S_ISDIR(st.st_mode))
		return cmk_error_set(CMK_ERROR, "%s: cannot read: %s", name, strerror(EISDIR));
	return input__read_fd(b, STDIN_FILENO, name);
}
