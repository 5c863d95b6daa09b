/*
 * test_apply_interrupt.c - an apply interrupted while it waits on cluster
 * creations (SIGTERM: exit 130 with a report; kill -9: nothing at all) and
 * run again: it waits for the operations the first run left (journal, 0600)
 * and converges, writing nothing twice and causing not one 400/409 ("Operation
 * cannot be executed now", link in progress) in armsim's request log; the
 * hazard audit stays empty.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tests/integration/cli_common.h"

static const char *json_str(const cJSON *o, const char *name)
{
	return cJSON_GetStringValue(cJSON_GetObjectItem(o, name));
}

static double json_num(const cJSON *o, const char *name)
{
	return cJSON_GetNumberValue(cJSON_GetObjectItem(o, name));
}

/* Interrupt an apply while it waits on cluster creations, run it again:
 * it waits for what runs, writes nothing twice, causes no busy error. */
/* Make every Log Analytics status URL in the journal one the service no
 * longer knows (as after a long pause): 404 OperationNotFound. */
static void expire_status_urls(const char *journal)
{
	cmk_buf b = CMK_BUF_INIT;
	const char *at, *from;
	FILE *f;
	int n = 0;

	cmk_buf_init(&b, 1 << 24);
	assert_int_equal(cmk_buf_read_file(&b, journal), 0);
	assert_non_null(f = fopen(journal, "w"));
	for (from = b.ptr; (at = strstr(from, "operationstatuses/")) != NULL; from = at + 18, n++) {
		fwrite(from, 1, (size_t)(at - from) + 18, f);
		fputs("expired-", f);
	}
	fputs(from, f);
	fclose(f);
	cmk_buf_free(&b);
	assert_true(n > 0);
}

static void interrupted_then_rerun(int sig, bool expire)
{
	const char *argv[] = { "apply", "-f", CLI_EXAMPLES, "--auto-approve", "-o", "json", "--state-dir", NULL, NULL };
	cli_ctx x;
	char journal[512];
	struct stat st;
	cJSON *rep, *log;
	pid_t pid;
	int run, rc;

	cli_start(&x, 4000);
	argv[7] = x.state;
	pid = cli_spawn(&x, &run, argv);
	/* wait until the creations run (the journal has them) */
	for (int i = 0; i < 400; i++) {
		cli_journal_path(&x, journal, sizeof(journal));
		if (*journal)
			break;
		usleep(10000);
	}
	assert_true(*journal);
	usleep(300000);
	kill(pid, sig);
	rc = cli_wait(pid);
	if (sig == SIGTERM) {
		assert_int_equal(rc, 130);
		rep = cli_json(&x, run);
		assert_string_equal(json_str(rep, "result"), "interrupted");
		assert_true(json_num(cJSON_GetObjectItem(rep, "summary"), "running") >= 1);
		cJSON_Delete(rep);
	} else {
		assert_int_equal(rc, 128 + SIGKILL);
	}
	cli_journal_path(&x, journal, sizeof(journal));
	assert_true(*journal);
	assert_int_equal(stat(journal, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	if (expire)
		expire_status_urls(journal);

	/* again: resumes the waits, then converges */
	assert_int_equal(cli_apply_examples(&x, &run), 0);
	rep = cli_json(&x, run);
	assert_string_equal(json_str(rep, "result"), "succeeded");
	assert_true(cJSON_GetArraySize(cJSON_GetObjectItem(rep, "resumed")) >= 1);
	cJSON_Delete(rep);
	cli_journal_path(&x, journal, sizeof(journal));
	assert_string_equal(journal, "");

	log = it_requests(x.sim, 0);
	/* never written twice */
	assert_int_equal(it_count(log, "PUT", "/clusters/laprodeus01", 0), 1);
	assert_int_equal(it_count(log, "PUT", "/clusters/la-shared-eus", 0), 1);
	assert_int_equal(it_count(log, "PUT", "/clusters/aiclusterwus2", 0), 1);
	assert_int_equal(it_count(log, "PATCH", "/clusters/la-shared-eus", 0), 1);
	cJSON_Delete(log);
	/* no "Operation cannot be executed now", no link-in-progress */
	assert_int_equal(cli_busy_errors(&x), 0);
	assert_int_equal(cli_hazards(&x), 0);
	cli_stop(&x);
}

static void test_apply__sigterm_mid_wait_then_rerun_converges(void **state)
{
	(void)state;
	interrupted_then_rerun(SIGTERM, false);
}

static void test_apply__kill9_mid_wait_then_rerun_converges(void **state)
{
	(void)state;
	interrupted_then_rerun(SIGKILL, false);
}

/* The status URLs recorded are gone by the next run: the resources' own
 * provisioningState settles the operations, still without a second write. */
static void test_apply__expired_status_urls_settled_by_the_resource(void **state)
{
	(void)state;
	interrupted_then_rerun(SIGKILL, true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_apply__sigterm_mid_wait_then_rerun_converges),
		cmocka_unit_test(test_apply__kill9_mid_wait_then_rerun_converges),
		cmocka_unit_test(test_apply__expired_status_urls_settled_by_the_resource),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
