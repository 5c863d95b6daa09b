/*
 * fuzz_replay.h - the replay main shared by the libFuzzer targets of this
 * folder: built with FUZZ_REPLAY_MAIN (ordinary, non-fuzzer builds), a
 * target becomes a program that runs each file named on its command line
 * through LLVMFuzzerTestOneInput, so the checked-in seeds (and regression
 * inputs) run as ctest tests under the sanitizer build.
 *
 * Include it once, at the end of a target's source file.
 */
#ifndef CMK_TESTS_FUZZ_REPLAY_H
#define CMK_TESTS_FUZZ_REPLAY_H

#ifdef FUZZ_REPLAY_MAIN
#include <stdio.h>

#include "common/buf.h"
#include "common/error.h"

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		cmk_buf b = CMK_BUF_INIT;

		if (cmk_buf_read_file(&b, argv[i]) < 0) {
			fprintf(stderr, "%s\n", cmk_error_last());
			return 1;
		}
		LLVMFuzzerTestOneInput((const uint8_t *)(b.ptr ? b.ptr : ""), b.len);
		cmk_buf_free(&b);
	}
	printf("replayed %d inputs\n", argc - 1);
	return 0;
}
#endif

#endif
