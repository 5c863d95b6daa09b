/*
 * plan_sign.c - HMAC-SHA256 signatures of saved plans (see plan.h), for
 * pipelines that keep a plan key as a secret: the job that reviewed the
 * plan signs it, the job that applies it checks the signature.
 *
 * The signature covers the live-state fingerprint, the steps fingerprint
 * (steps, params, options, time) and the source revision: what apply
 * trusts. The fingerprints alone are not a signature, anyone can
 * recompute them; only the key makes the plan authentic.
 */
#include "planner/plan.h"

#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "common/error.h"

int plan_signature(char out[65], const plan *p, const unsigned char *key, size_t keylen)
{
	char *source = p->source ? cJSON_PrintUnformatted(p->source) : NULL;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	cmk_buf msg = CMK_BUF_INIT;
	int error;

	if (!p->fingerprint || !p->steps_fingerprint)
		return cmk_error_set(CMK_EINVALID, "the plan has no fingerprints to sign or check (saved by an older cmkctl?): make the plan again");
	cmk_buf_init(&msg, 1 << 20);
	if ((p->source && !source) ||
	    cmk_buf_printf(&msg, "cmkctl-plan-v1\n%s\n%s\n%s", p->fingerprint, p->steps_fingerprint,
			   source ? source : "null") < 0) {
		error = cmk_error_oom();
		goto out;
	}
	if (!HMAC(EVP_sha256(), key, (int)keylen, (const unsigned char *)msg.ptr, msg.len, md, &mdlen) ||
	    mdlen != 32) {
		error = cmk_error_set(CMK_ERROR, "HMAC-SHA256 failed");
		goto out;
	}
	for (unsigned i = 0; i < mdlen; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	error = 0;
out:
	free(source);
	cmk_buf_free(&msg);
	return error;
}

int plan_sign(plan *p, const unsigned char *key, size_t keylen)
{
	char sig[65];
	int error;

	if ((error = plan_signature(sig, p, key, keylen)) < 0)
		return error;
	free(p->signature);
	if ((p->signature = strdup(sig)) == NULL)
		return cmk_error_oom();
	return 0;
}

int plan_check_signature(const plan *p, const unsigned char *key, size_t keylen)
{
	char sig[65];
	int error;

	if (!key)
		return p->signature ? cmk_error_set(CMK_EINVALID, "the plan is signed, but no plan key is set to check "
						    "it: set CMKCTL_PLAN_KEY or CMKCTL_PLAN_KEY_FILE")
				    : 0;
	if (!p->signature)
		return cmk_error_set(CMK_EINVALID, "the plan is not signed, and a plan key is set: with a key, only "
				     "plans signed by 'cmkctl plan --out' with that key are applied");
	if ((error = plan_signature(sig, p, key, keylen)) < 0)
		return error;
	if (strlen(p->signature) != 64 || CRYPTO_memcmp(sig, p->signature, 64) != 0)
		return cmk_error_set(CMK_ECONFLICT, "the plan's signature does not match: it was changed after it "
				     "was signed, or signed with another key; nothing was applied");
	return 0;
}
