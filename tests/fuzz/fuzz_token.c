/*
 * fuzz_token.c - libFuzzer target for the token-response parsing of every
 * credential (providers/auth.h, arm_token_parse): Azure AD v2
 * (`expires_in` number), IMDS / App Service (numbers as strings, epoch
 * `expires_on`), MSI 2017-09-01 dates, Azure CLI JSON (`accessToken`,
 * `expiresOn` local time). No crash, leak or sanitizer report; a parsed
 * token is non-empty and not yet expired, and a refused response's message
 * never quotes the access token.
 *
 * Input: the whole response body. cmkctl does not decode JWTs (the expiry
 * comes from the response, never from the token's claims), so there is no
 * JWT parser to fuzz.
 *
 * Built as a libFuzzer target with CMKCTL_FUZZ=ON (ci/fuzz.sh); otherwise a
 * replay program for the seeds in tests/fuzz/corpus/token/ (ctest).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/error.h"
#include "providers/auth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_NOW ((time_t)1795000000) /* 2026-11-18 */
#define FUZZ_MARKER "QmFyZUF0b2tlbk1hcmtlcg"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	arm_token t;
	cJSON *doc;
	const cJSON *tok;

	if (arm_token_parse(&t, (const char *)data, size, FUZZ_NOW) == 0) {
		if (!t.token || !t.token[0] || t.expires_on <= FUZZ_NOW || t.obtained != FUZZ_NOW)
			abort(); /* auth.h's promises */
		(void)arm_token_needs_refresh(&t, FUZZ_NOW);
		(void)arm_token_needs_refresh(&t, t.expires_on);
		arm_token_clear(&t);
		return 0;
	}
	/* refused: the message must not quote the token. The fuzzed token may
	 * be a piece of the fixed message text, so the check puts a marker in
	 * its place and refuses the same response again. */
	if ((doc = cJSON_ParseWithLength((const char *)data, size)) != NULL) {
		tok = cJSON_GetObjectItemCaseSensitive(doc, "access_token");
		if (!cJSON_IsString(tok))
			tok = cJSON_GetObjectItemCaseSensitive(doc, "accessToken");
		if (cJSON_IsString(tok) && tok->valuestring[0] &&
		    cJSON_SetValuestring((cJSON *)tok, FUZZ_MARKER) != NULL) {
			char *text = cJSON_PrintUnformatted(doc);

			if (text && arm_token_parse(&t, text, strlen(text), FUZZ_NOW) == 0)
				arm_token_clear(&t);
			else if (text && strstr(cmk_error_last(), FUZZ_MARKER)) {
				fprintf(stderr, "the error message quotes the token: %s\n",
					cmk_error_last());
				abort();
			}
			free(text);
		}
		cJSON_Delete(doc);
	}
	return 0;
}

#include "fuzz_replay.h"
