/*
 * test_input_file.c - common/input_file.c: a file a user named is read
 * whole, or refused with a message naming it and saying why, and nothing
 * that is not a regular file is ever read (a FIFO with no writer must not
 * block: every test runs under an alarm).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/buf.h"
#include "common/input_file.h"

static char dir[64];

static int setup(void **state)
{
	strcpy(dir, "/tmp/cmk-test-input-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "chmod -R u+rwx '%s'; rm -rf '%s'", dir, dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* A path under the test directory (static storage, one at a time). */
static const char *at(const char *rel)
{
	static char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	return path;
}

static void write_file(const char *rel, const char *content)
{
	FILE *fp;

	assert_non_null(fp = fopen(at(rel), "w"));
	fputs(content, fp);
	fclose(fp);
}

/* Read `rel` with a cap; expect `code`, and a message containing `fragment`
 * and starting with the path. Fails the test if the read blocks. */
static void expect_refused(const char *rel, size_t cap, int code, const char *fragment)
{
	cmk_buf b;
	const char *path = at(rel);
	int rc;

	cmk_buf_init(&b, cap);
	alarm(10);
	rc = cmk_input_read_file(&b, path);
	alarm(0);
	if (rc != code || !strstr(cmk_error_last(), fragment) ||
	    strncmp(cmk_error_last(), path, strlen(path)) != 0)
		fail_msg("%s: rc %d, message '%s'; expected %d with '%s'", rel, rc, cmk_error_last(), code,
			 fragment);
	cmk_buf_free(&b);
}

static void test_input__regular_file_read_whole(void **state)
{
	cmk_buf b;

	write_file("a.yaml", "kind: x\n");
	cmk_buf_init(&b, 0);
	assert_int_equal(cmk_input_read_file(&b, at("a.yaml")), 0);
	assert_string_equal(cmk_buf_cstr(&b), "kind: x\n");
	cmk_buf_free(&b);
	/* an empty file is an empty string, never NULL */
	write_file("empty.yaml", "");
	cmk_buf_init(&b, 0);
	assert_int_equal(cmk_input_read_file(&b, at("empty.yaml")), 0);
	assert_non_null(b.ptr);
	assert_int_equal(b.len, 0);
	cmk_buf_free(&b);
	/* through a symbolic link that resolves */
	assert_int_equal(symlink("a.yaml", at("link.yaml")), 0);
	cmk_buf_init(&b, 0);
	assert_int_equal(cmk_input_read_file(&b, at("link.yaml")), 0);
	assert_string_equal(cmk_buf_cstr(&b), "kind: x\n");
	cmk_buf_free(&b);
}

static void test_input__missing_and_dangling_are_not_found(void **state)
{
	expect_refused("missing.yaml", 0, CMK_ENOTFOUND, ": cannot open: No such file or directory");
	assert_int_equal(symlink("../submodule/x.yaml", at("dangling.yaml")), 0);
	expect_refused("dangling.yaml", 0, CMK_ENOTFOUND,
		       ": cannot open: dangling symbolic link to '../submodule/x.yaml'");
}

static void test_input__symbolic_link_loop_is_named(void **state)
{
	assert_int_equal(symlink("loop-b", at("loop-a")), 0);
	assert_int_equal(symlink("loop-a", at("loop-b")), 0);
	expect_refused("loop-a", 0, CMK_ERROR, ": cannot open: symbolic link loop");
}

static void test_input__fifo_refused_without_blocking(void **state)
{
	assert_int_equal(mkfifo(at("fifo.yaml"), 0600), 0);
	expect_refused("fifo.yaml", 0, CMK_ERROR, ": cannot read: a FIFO, not a regular file");
}

static void test_input__devices_directories_and_sockets_refused(void **state)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	assert_int_equal(symlink("/dev/zero", at("zero.yaml")), 0);
	expect_refused("zero.yaml", 0, CMK_ERROR, ": cannot read: a character device, not a regular file");
	assert_int_equal(mkdir(at("sub.yaml"), 0700), 0);
	expect_refused("sub.yaml", 0, CMK_ERROR, ": cannot read: a directory, not a regular file");
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", at("sock.yaml"));
	assert_true((fd = socket(AF_UNIX, SOCK_STREAM, 0)) >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	expect_refused("sock.yaml", 0, CMK_ERROR, ": cannot read: a socket, not a regular file");
	close(fd);
}

static void test_input__larger_than_the_cap_refused_before_reading(void **state)
{
	cmk_buf b;

	write_file("big.json", "0123456789A");
	expect_refused("big.json", 10, CMK_EINVALID, ": data too large (limit 10 bytes)");
	cmk_buf_init(&b, 11);
	assert_int_equal(cmk_input_read_file(&b, at("big.json")), 0);
	assert_int_equal(b.len, 11);
	cmk_buf_free(&b);
}

static void test_input__path_longer_than_path_max_is_named(void **state)
{
	char name[PATH_MAX + 16];

	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	{
		cmk_buf b;

		cmk_buf_init(&b, 0);
		assert_int_equal(cmk_input_read_file(&b, name), CMK_ERROR);
		assert_non_null(strstr(cmk_error_last(), ": cannot open: path longer than PATH_MAX"));
		cmk_buf_free(&b);
	}
}

static void test_input__permission_denied_is_reported(void **state)
{
	pid_t pid;
	int status;

	write_file("secret.yaml", "kind: x\n");
	assert_int_equal(chmod(at("secret.yaml"), 0), 0);
	if (geteuid() != 0) {
		expect_refused("secret.yaml", 0, CMK_ERROR, ": cannot open: Permission denied");
		return;
	}
	/* root reads a mode-000 file: check as an unprivileged user instead */
	assert_true((pid = fork()) >= 0);
	if (pid == 0) {
		cmk_buf b;

		cmk_buf_init(&b, 0);
		if (setgid(65534) < 0 || setuid(65534) < 0)
			_exit(2);
		_exit(cmk_input_read_file(&b, at("secret.yaml")) == CMK_ERROR &&
		      strstr(cmk_error_last(), ": cannot open: Permission denied") ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* Run cmk_input_read_stdin with `fd` as standard input. */
static int read_stdin_from(int fd, cmk_buf *b)
{
	int saved = dup(STDIN_FILENO), rc;

	assert_true(saved >= 0);
	assert_true(dup2(fd, STDIN_FILENO) >= 0);
	alarm(10);
	rc = cmk_input_read_stdin(b, "<stdin>");
	alarm(0);
	assert_true(dup2(saved, STDIN_FILENO) >= 0);
	close(saved);
	return rc;
}

static void test_input__stdin_directory_says_is_a_directory(void **state)
{
	cmk_buf b;
	int fd;

	assert_true((fd = open(dir, O_RDONLY | O_DIRECTORY)) >= 0);
	cmk_buf_init(&b, 0);
	assert_int_equal(read_stdin_from(fd, &b), CMK_ERROR);
	assert_string_equal(cmk_error_last(), "<stdin>: cannot read: Is a directory");
	cmk_buf_free(&b);
	close(fd);
}

static void test_input__stdin_pipe_is_read(void **state)
{
	cmk_buf b;
	int p[2];

	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], "kind: y\n", 8), 8);
	close(p[1]);
	cmk_buf_init(&b, 0);
	assert_int_equal(read_stdin_from(p[0], &b), 0);
	assert_string_equal(cmk_buf_cstr(&b), "kind: y\n");
	cmk_buf_free(&b);
	close(p[0]);
}

static void test_input__stdin_endless_device_stops_at_the_cap(void **state)
{
	cmk_buf b;
	int fd;

	assert_true((fd = open("/dev/zero", O_RDONLY)) >= 0);
	cmk_buf_init(&b, 1 << 20);
	assert_int_equal(read_stdin_from(fd, &b), CMK_EINVALID);
	assert_non_null(strstr(cmk_error_last(), "<stdin>: data too large"));
	cmk_buf_free(&b);
	close(fd);
}

static void test_input__kind_names_every_file_type(void **state)
{
	assert_string_equal(cmk_input_kind(S_IFREG | 0644), "a regular file");
	assert_string_equal(cmk_input_kind(S_IFDIR | 0755), "a directory");
	assert_string_equal(cmk_input_kind(S_IFIFO | 0600), "a FIFO");
	assert_string_equal(cmk_input_kind(S_IFSOCK | 0600), "a socket");
	assert_string_equal(cmk_input_kind(S_IFCHR | 0600), "a character device");
	assert_string_equal(cmk_input_kind(S_IFBLK | 0600), "a block device");
	assert_string_equal(cmk_input_kind(S_IFLNK | 0777), "a symbolic link");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_input__regular_file_read_whole),
		cmocka_unit_test(test_input__missing_and_dangling_are_not_found),
		cmocka_unit_test(test_input__symbolic_link_loop_is_named),
		cmocka_unit_test(test_input__fifo_refused_without_blocking),
		cmocka_unit_test(test_input__devices_directories_and_sockets_refused),
		cmocka_unit_test(test_input__larger_than_the_cap_refused_before_reading),
		cmocka_unit_test(test_input__path_longer_than_path_max_is_named),
		cmocka_unit_test(test_input__permission_denied_is_reported),
		cmocka_unit_test(test_input__stdin_directory_says_is_a_directory),
		cmocka_unit_test(test_input__stdin_pipe_is_read),
		cmocka_unit_test(test_input__stdin_endless_device_stops_at_the_cap),
		cmocka_unit_test(test_input__kind_names_every_file_type),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
