/*
 * test_realism_identity.c - Azure AD replication delay (armsim
 * --principal-replication 300): the example estate, whose user-assigned
 * identities are created and granted key access in the same apply as the
 * clusters that use them, converges in one apply with no failed step and
 * exactly one grant per principal (one role assignment PUT, one
 * access-policy entry), although the new principals stay unknown to Key
 * Vault and to role assignments for five virtual minutes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tests/integration/cli_common.h"

/* slower than IT_SCALE so the 5 virtual minutes outlast the first writes
 * that need the principal (30 ms real at IT_SCALE) */
#define RI_SCALE 1000.0

static void ri_start(cli_ctx *x)
{
	static const char *const realism[] = { "--principal-replication", "300", NULL };
	armsim_opts o = { 0 };
	char buf[64];

	memset(x, 0, sizeof(*x));
	o.fixture = CLI_FIXTURE;
	o.time_scale = RI_SCALE;
	o.extra_args = realism;
	x->sim = it_start(&o);
	snprintf(x->dir, sizeof(x->dir), "/tmp/cmkctl-realism-id-XXXXXX");
	if (!mkdtemp(x->dir))
		fail_msg("mkdtemp failed");
	snprintf(x->state, sizeof(x->state), "%s/state", x->dir);
	snprintf(buf, sizeof(buf), "%g", RI_SCALE);
	setenv("CMKCTL_TIME_SCALE", buf, 1);
	setenv("CMKCTL_PROGRESS_INTERVAL", "0.05", 1);
}

/* Each role assignment (its path) was sent once: no second grant while
 * waiting for replication. */
static void ri_one_grant_each(const cJSON *reqs)
{
	const cJSON *r, *q;

	cJSON_ArrayForEach(r, reqs) {
		const char *m = cJSON_GetStringValue(cJSON_GetObjectItem(r, "method"));
		const char *p = cJSON_GetStringValue(cJSON_GetObjectItem(r, "path"));
		size_t same = 0;

		if (!m || !p || strcmp(m, "PUT") != 0 || !strstr(p, "/roleAssignments/"))
			continue;
		cJSON_ArrayForEach(q, reqs) {
			const char *m2 = cJSON_GetStringValue(cJSON_GetObjectItem(q, "method"));
			const char *p2 = cJSON_GetStringValue(cJSON_GetObjectItem(q, "path"));

			if (m2 && p2 && strcmp(m2, "PUT") == 0 && strcmp(p, p2) == 0)
				same++;
		}
		if (same > 1)
			fail_msg("role assignment sent %zu times: %s", same, p);
	}
}

static void test_realism__identity_created_and_granted_in_one_apply(void **state)
{
	cJSON *rep, *doc;
	cli_ctx x;
	char *err;
	size_t refused;
	int run, rc;

	(void)state;
	ri_start(&x);
	rc = cli_apply_examples(&x, &run);
	if (rc != 0) {
		char *text = cli_output(&x, run, ".err");
		fprintf(stderr, "%s\n", text);
		free(text);
	}
	assert_int_equal(rc, 0);
	rep = cli_json(&x, run);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(rep, "result")), "succeeded");
	assert_int_equal((int)cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetObjectItem(rep, "summary"),
								       "failed")), 0);
	cJSON_Delete(rep);
	/* it waited, and said so */
	err = cli_output(&x, run, ".err");
	assert_non_null(strstr(err, "waiting for Azure AD replication of principal"));
	free(err);
	doc = it_requests(x.sim, 0);
	ri_one_grant_each(cJSON_GetObjectItem(doc, "requests"));
	/* the only refusals are the cluster writes Key Vault could not
	 * validate yet (sent again after a pause, never accepted twice) */
	refused = it_count(cJSON_GetObjectItem(doc, "requests"), NULL, NULL, 400) +
		  it_count(cJSON_GetObjectItem(doc, "requests"), NULL, NULL, 409);
	assert_true(refused > 0);
	assert_int_equal(it_count(cJSON_GetObjectItem(doc, "requests"), "PUT", "/clusters/laprodeus01", 400),
			 refused);
	cJSON_Delete(doc);
	assert_int_equal(cli_hazards(&x), 0);
	cli_stop(&x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_realism__identity_created_and_granted_in_one_apply),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
