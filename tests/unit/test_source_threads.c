/*
 * test_source_threads.c - git sources opened from several threads at once
 * in one process: libgit2 is initialised once, each thread keeps its own
 * deadline and error, and threads sharing a cache entry take turns on its
 * lock. The repository is a real one made with the git command line.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/error.h"
#include "sources/source.h"

#define NTHREADS 4

static char dir[64];
static char head[64];

typedef struct {
	source_spec spec;
	int rc;
	char commit[64];
	char message[256];
	char first_line[64];
} job;

static void *run(void *arg)
{
	job *j = arg;
	source *s = NULL;
	char path[512];
	FILE *f;

	j->rc = source_open(&s, &j->spec);
	if (j->rc < 0) {
		snprintf(j->message, sizeof(j->message), "%s", cmk_error_last());
		return NULL;
	}
	snprintf(j->commit, sizeof(j->commit), "%s", source_revision_of(s)->commit);
	snprintf(path, sizeof(path), "%s/prod.yaml", source_local_path(s));
	if ((f = fopen(path, "r")) != NULL) {
		if (!fgets(j->first_line, sizeof(j->first_line), f))
			j->first_line[0] = '\0';
		fclose(f);
	}
	source_free(s);
	return NULL;
}

static int setup(void **state)
{
	char cmd[1024];
	FILE *p;

	snprintf(dir, sizeof(dir), "/tmp/test_source_threads_XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(cmd, sizeof(cmd),
		 "cd %s && export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null "
		 "GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@e GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@e && "
		 "git init -q -b main repo && mkdir repo/clusters && "
		 "echo 'name: prod' > repo/clusters/prod.yaml && "
		 "git -C repo add -A && git -C repo commit -q -m one", dir);
	if (system(cmd) != 0)
		return -1;
	snprintf(cmd, sizeof(cmd), "git -C %s/repo rev-parse HEAD", dir);
	if ((p = popen(cmd, "r")) == NULL || !fgets(head, sizeof(head), p))
		return -1;
	pclose(p);
	head[strcspn(head, "\n")] = '\0';
	return 0;
}

static int teardown(void **state)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_source__threads_share_one_cache(void **state)
{
	pthread_t t[NTHREADS];
	job jobs[NTHREADS];
	char url[128], cache[128];

	snprintf(url, sizeof(url), "file://%s/repo", dir);
	snprintf(cache, sizeof(cache), "%s/cache", dir);
	for (int i = 0; i < NTHREADS; i++) {
		memset(&jobs[i], 0, sizeof(jobs[i]));
		jobs[i].spec.git_url = url;
		jobs[i].spec.git_path = "clusters";
		jobs[i].spec.git_cache = cache;
		jobs[i].spec.git_timeout_s = 30;
		assert_int_equal(pthread_create(&t[i], NULL, run, &jobs[i]), 0);
	}
	for (int i = 0; i < NTHREADS; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		if (jobs[i].rc != 0)
			fail_msg("thread %d: %s", i, jobs[i].message);
		assert_string_equal(jobs[i].commit, head);
		assert_string_equal(jobs[i].first_line, "name: prod\n");
	}
}

static void test_source__threads_keep_their_own_errors(void **state)
{
	pthread_t t[2];
	job jobs[2];
	char url[128], cache[128];

	snprintf(url, sizeof(url), "file://%s/repo", dir);
	snprintf(cache, sizeof(cache), "%s/cache2", dir);
	for (int i = 0; i < 2; i++) {
		memset(&jobs[i], 0, sizeof(jobs[i]));
		jobs[i].spec.git_url = url;
		jobs[i].spec.git_cache = cache;
		jobs[i].spec.git_path = i ? "clusters" : "nope";
		assert_int_equal(pthread_create(&t[i], NULL, run, &jobs[i]), 0);
	}
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	assert_int_equal(jobs[0].rc, CMK_ENOTFOUND);
	assert_non_null(strstr(jobs[0].message, "--git-path 'nope' does not exist"));
	assert_int_equal(jobs[1].rc, 0);
	assert_string_equal(jobs[1].commit, head);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_source__threads_share_one_cache),
		cmocka_unit_test(test_source__threads_keep_their_own_errors),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
