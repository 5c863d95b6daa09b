/*
 * test_source.c - unit tests for the manifest source pieces that need no
 * repository: the shared option parser, URL credential stripping, the
 * revision record rendering, path display, and the ssh known_hosts check
 * (with real ed25519 keys and an `ssh-keygen -H` hashed file). Fetching
 * real repositories is tested in tests/gitsrc.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "common/log.h"
#include "cli/manifest_options.h"
#include "sources/source_git_internal.h"

/* ----- options */

static int take_all(source_spec *spec, int argc, char **argv)
{
	for (int i = 0; i < argc; i++) {
		int rc = source_options_take(spec, argc, argv, &i);
		if (rc <= 0)
			return rc < 0 ? rc : -100 - i;
	}
	return 0;
}

static void test_source__options_both_spellings(void **state)
{
	source_spec spec = SOURCE_SPEC_INIT;
	char *argv[] = { "--git-url", "https://h/r.git", "--git-ref=v1", "--git-path",
			 "clusters", "--git-cache=/c", "--git-commit", "abcdef1",
			 "--git-timeout", "7" };

	assert_int_equal(take_all(&spec, 10, argv), 0);
	assert_string_equal(spec.git_url, "https://h/r.git");
	assert_string_equal(spec.git_ref, "v1");
	assert_string_equal(spec.git_path, "clusters");
	assert_string_equal(spec.git_cache, "/c");
	assert_string_equal(spec.git_commit, "abcdef1");
	assert_int_equal(spec.git_timeout_s, 7);
	assert_int_equal(source_spec_check(&spec), 0);
}

static void test_source__options_leave_other_flags(void **state)
{
	source_spec spec = SOURCE_SPEC_INIT;
	char *argv[] = { "-f", "m/", "--output", "json" };
	int i = 0;

	assert_int_equal(source_options_take(&spec, 4, argv, &i), 1);
	assert_int_equal(i, 1);
	i = 2;
	assert_int_equal(source_options_take(&spec, 4, argv, &i), 0);
	assert_int_equal(i, 2);
	assert_int_equal(spec.nfiles, 1);
	assert_string_equal(spec.files[0], "m/");
	/* -f repeats; --filename= is the same option */
	char *more[] = { "--filename=b.yaml", "-f", "-" };
	assert_int_equal(take_all(&spec, 3, more), 0);
	assert_int_equal(spec.nfiles, 3);
	assert_string_equal(spec.files[1], "b.yaml");
	assert_string_equal(spec.files[2], "-");
	/* "--git-urlx" is not "--git-url" */
	char *odd[] = { "--git-urlx=1" };
	i = 0;
	assert_int_equal(source_options_take(&spec, 1, odd, &i), 0);
}

static void test_source__options_errors(void **state)
{
	source_spec spec = SOURCE_SPEC_INIT;
	char *missing[] = { "--git-ref" };
	char *twice[] = { "--git-url", "a", "--git-url=b" };
	char *timeout[] = { "--git-timeout", "soon" };
	int i = 0;

	assert_int_equal(source_options_take(&spec, 1, missing, &i), CMK_EUSAGE);
	assert_string_equal(cmk_error_last(), "option '--git-ref' needs a value");
	memset(&spec, 0, sizeof(spec));
	assert_int_equal(take_all(&spec, 3, twice), CMK_EUSAGE);
	assert_string_equal(cmk_error_last(), "--git-url given twice");
	memset(&spec, 0, sizeof(spec));
	assert_int_equal(take_all(&spec, 2, timeout), CMK_EUSAGE);
	assert_non_null(strstr(cmk_error_last(), "'soon'"));

	memset(&spec, 0, sizeof(spec));
	assert_int_equal(source_spec_check(&spec), CMK_EUSAGE);
	spec.files[spec.nfiles++] = "x";
	spec.git_ref = "main";
	assert_int_equal(source_spec_check(&spec), CMK_EUSAGE);
	assert_non_null(strstr(cmk_error_last(), "need --git-url"));
	spec.git_ref = NULL;
	spec.git_url = "u";
	assert_int_equal(source_spec_check(&spec), CMK_EUSAGE);
	assert_non_null(strstr(cmk_error_last(), "exclusive"));
}

/* ----- URLs */

static void expect_strip(const char *in, const char *want)
{
	char *got = source_url_strip(in);

	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void test_source__url_strip_removes_userinfo(void **state)
{
	char text[] = "token=hunter2hunter2 in a message";

	expect_strip("https://x-access-token:hunter2hunter2@github.com/o/r.git",
		     "https://github.com/o/r.git");
	expect_strip("ssh://git@example.com:2222/o/r.git", "ssh://example.com:2222/o/r.git");
	expect_strip("git@github.com:o/r.git", "github.com:o/r.git");
	expect_strip("https://github.com/o/r.git", "https://github.com/o/r.git");
	expect_strip("https://h/path/with@sign", "https://h/path/with@sign");
	expect_strip("/srv/git/r.git", "/srv/git/r.git");
	expect_strip("./relative@dir", "./relative@dir");
	expect_strip("file:///srv/r.git", "file:///srv/r.git");
	/* the password became a log secret */
	cmk_log_redact(text);
	assert_string_equal(text, "token=[REDACTED] in a message");
}

/* ----- revision record */

static void test_source__revision_renders(void **state)
{
	source_revision git = { SOURCE_GIT, "https://h/r.git", "main", "refs/heads/main",
				"0123456789abcdef0123456789abcdef01234567", "clusters" };
	source_revision pinned = { SOURCE_GIT, "https://h/r.git",
				   "0123456789abcdef0123456789abcdef01234567", NULL,
				   "0123456789abcdef0123456789abcdef01234567", "" };
	source_revision dir = { SOURCE_DIR, NULL, NULL, NULL, NULL, "manifests/" };
	cmk_buf b = CMK_BUF_INIT;
	cJSON *json;
	char *text;

	assert_int_equal(source_revision_line(&b, &git), 0);
	assert_string_equal(cmk_buf_cstr(&b),
			    "git https://h/r.git ref main (refs/heads/main) commit "
			    "0123456789abcdef0123456789abcdef01234567 path clusters");
	cmk_buf_clear(&b);
	assert_int_equal(source_revision_line(&b, &pinned), 0);
	assert_string_equal(cmk_buf_cstr(&b),
			    "git https://h/r.git ref 0123456789abcdef0123456789abcdef01234567 "
			    "commit 0123456789abcdef0123456789abcdef01234567 path .");
	cmk_buf_clear(&b);
	assert_int_equal(source_revision_line(&b, &dir), 0);
	assert_string_equal(cmk_buf_cstr(&b), "dir manifests/");
	cmk_buf_free(&b);

	assert_int_equal(source_revision_to_json(&json, &git), 0);
	text = cJSON_PrintUnformatted(json);
	assert_string_equal(text, "{\"kind\":\"git\",\"url\":\"https://h/r.git\",\"ref\":\"main\","
				  "\"refName\":\"refs/heads/main\",\"commit\":"
				  "\"0123456789abcdef0123456789abcdef01234567\",\"path\":\"clusters\"}");
	free(text);
	cJSON_Delete(json);
	assert_int_equal(source_revision_to_json(&json, &dir), 0);
	text = cJSON_PrintUnformatted(json);
	assert_string_equal(text, "{\"kind\":\"dir\",\"path\":\"manifests/\"}");
	free(text);
	cJSON_Delete(json);
}

static void test_source__paths_display_repo_relative(void **state)
{
	source s = { 0 };
	char msg[] = "/tmp/cmkctl-git-ab12/clusters/prod.yaml:3:5: bad key; "
		     "see /tmp/cmkctl-git-ab12/clusters/dev.yaml and /tmp/cmkctl-git-ab12x/y";

	s.root = "/tmp/cmkctl-git-ab12";
	assert_string_equal(source_display_path(&s, "/tmp/cmkctl-git-ab12/clusters/prod.yaml"),
			    "clusters/prod.yaml");
	assert_string_equal(source_display_path(&s, "/elsewhere/a.yaml"), "/elsewhere/a.yaml");
	source_relativize(&s, msg);
	assert_string_equal(msg, "clusters/prod.yaml:3:5: bad key; see clusters/dev.yaml "
				 "and /tmp/cmkctl-git-ab12x/y");
	s.root = NULL;
	assert_string_equal(source_display_path(&s, "m/a.yaml"), "m/a.yaml");
}

/* ----- known_hosts */

#define K1 "AAAAC3NzaC1lZDI1NTE5AAAAIJhfFpLDj/NMTASYhN7LmLtYZ0PV3foLIfHFW3sAIix2"
#define K2 "AAAAC3NzaC1lZDI1NTE5AAAAICr2mGnwheh+ctyIJQwn1RTfw5+/nGE6AzQyN/et2Is8"

/* `ssh-keygen -H` of "git.example.com K1" and "[git.example.com]:2222 K2" */
static const char hashed_file[] =
	"# comment\n"
	"\n"
	"|1|WzQdHFAwWGuktXf3/9KB7CN2jVU=|YmOSNQM62h/5rFTWRlFQ/oPkOug= ssh-ed25519 " K1 "\n"
	"|1|txdpQdp8u33wzKdTZjahzPIEZPo=|GbN1WfJqaVrFcyqmTN+HtXUWJ2Y= ssh-ed25519 " K2 "\n";

static size_t raw_key(unsigned char out[64], const char *b64)
{
	int n = EVP_DecodeBlock(out, (const unsigned char *)b64, (int)strlen(b64));

	assert_int_equal(n, 51); /* ed25519 blob, no padding */
	return (size_t)n;
}

static char *write_temp(const char *content)
{
	char *path = strdup("/tmp/test_source_kh_XXXXXX");
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, strlen(content)), (ssize_t)strlen(content));
	close(fd);
	return path;
}

static int check(const char *file, const char *host, int port, const char *b64)
{
	unsigned char key[64];
	size_t len = raw_key(key, b64);

	return source__known_hosts_check(file, host, port, key, len);
}

static void test_source__known_hosts_hashed(void **state)
{
	char *f = write_temp(hashed_file);

	assert_int_equal(check(f, "git.example.com", 22, K1), 1);
	assert_int_equal(check(f, "git.example.com", 22, K2), CMK_EAUTH); /* changed key */
	assert_int_equal(check(f, "git.example.com", 2222, K2), 1);
	assert_int_equal(check(f, "git.example.com", 2222, K1), CMK_EAUTH);
	assert_int_equal(check(f, "other.example.com", 22, K1), 0); /* unknown host */
	unlink(f);
	free(f);
}

static void test_source__known_hosts_patterns_and_revoked(void **state)
{
	char *f = write_temp("*.example.com,!evil.example.com ssh-ed25519 " K1 " comment\n"
			     "garbage line\n"
			     "@cert-authority *.corp.test ssh-ed25519 " K2 "\n"
			     "bad.example.com ssh-ed25519 not-base64!\n");
	char *r = write_temp("git.example.com ssh-ed25519 " K1 "\n"
			     "@revoked git.example.com ssh-ed25519 " K1 "\n");

	assert_int_equal(check(f, "git.example.com", 22, K1), 1);
	assert_int_equal(check(f, "GIT.example.com", 22, K1), 1);
	assert_int_equal(check(f, "evil.example.com", 22, K1), 0);
	/* listed with another key: changed, not merely unknown */
	assert_int_equal(check(f, "git.example.com", 22, K2), CMK_EAUTH);
	/* certificate authorities are not host keys */
	assert_int_equal(check(f, "git.corp.test", 22, K2), 0);
	assert_int_equal(check(r, "git.example.com", 22, K1), CMK_EAUTH);
	assert_int_equal(check(f, "bad.example.com", 22, K1), 1); /* the wildcard line */
	assert_int_equal(check(f, "example.com", 22, K1), 0);     /* "*." needs a dot */
	unlink(f);
	unlink(r);
	free(f);
	free(r);
}

/* "[host]:port" is literal text, not a bracket expression */
static void test_source__known_hosts_bracketed_port(void **state)
{
	char *f = write_temp("[127.0.0.1]:2222 ssh-ed25519 " K1 "\n"
			     "[10.0.0.?]:22?? ssh-ed25519 " K2 "\n");

	assert_int_equal(check(f, "127.0.0.1", 2222, K1), 1);
	assert_int_equal(check(f, "127.0.0.1", 22, K1), 0);
	assert_int_equal(check(f, "1", 2222, K1), 0);
	assert_int_equal(check(f, "10.0.0.7", 2201, K2), 1);
	assert_int_equal(check(f, "10.0.0.17", 2201, K2), 0);
	unlink(f);
	free(f);
}

static void test_source__known_hosts_missing_file(void **state)
{
	assert_int_equal(check("/nonexistent/known_hosts", "h", 22, K1), CMK_EAUTH);
	assert_non_null(strstr(cmk_error_last(), "/nonexistent/known_hosts"));
	assert_non_null(strstr(cmk_error_last(), "CMKCTL_GIT_KNOWN_HOSTS"));
}

/* ----- credentials */

static void test_source__token_from_file_is_secret(void **state)
{
	source_git_auth a;
	char *f = write_temp("ghp_tokenFromFile123\n\n");
	char text[] = "auth ghp_tokenFromFile123";

	unsetenv("CMKCTL_GIT_TOKEN");
	setenv("CMKCTL_GIT_TOKEN_FILE", f, 1);
	setenv("CMKCTL_GIT_KNOWN_HOSTS", "/kh", 1);
	assert_int_equal(source__auth_load(&a, "ssh://git@example.com:2222/r.git"), 0);
	assert_string_equal(a.token, "ghp_tokenFromFile123");
	assert_string_equal(a.host, "example.com");
	assert_int_equal(a.port, 2222);
	assert_string_equal(a.known_hosts, "/kh");
	source__auth_free(&a);
	cmk_log_redact(text);
	assert_string_equal(text, "auth [REDACTED]");

	assert_int_equal(source__auth_load(&a, "git@[::1]:o/r.git"), 0);
	assert_string_equal(a.host, "::1");
	assert_int_equal(a.port, 22);
	source__auth_free(&a);
	unsetenv("CMKCTL_GIT_TOKEN_FILE");
	unsetenv("CMKCTL_GIT_KNOWN_HOSTS");
	unlink(f);
	free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_source__options_both_spellings),
		cmocka_unit_test(test_source__options_leave_other_flags),
		cmocka_unit_test(test_source__options_errors),
		cmocka_unit_test(test_source__url_strip_removes_userinfo),
		cmocka_unit_test(test_source__revision_renders),
		cmocka_unit_test(test_source__paths_display_repo_relative),
		cmocka_unit_test(test_source__known_hosts_hashed),
		cmocka_unit_test(test_source__known_hosts_patterns_and_revoked),
		cmocka_unit_test(test_source__known_hosts_bracketed_port),
		cmocka_unit_test(test_source__known_hosts_missing_file),
		cmocka_unit_test(test_source__token_from_file_is_secret),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
