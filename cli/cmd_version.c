/*
 * cmd_version.c - `cmkctl version`: the tool's and its libraries' versions.
 */
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <git2.h>
#include <yaml.h>

#include "cli/commands.h"

int cmd_version(int argc, char **argv)
{
	int major, minor, rev;

	if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		printf("usage: cmkctl version\n\nPrint the version of cmkctl and of the libraries it uses.\n");
		return CMK_EXIT_OK;
	}
	if (argc > 1) {
		fprintf(stderr, "cmkctl version: unexpected argument '%s'\n", argv[1]);
		return CMK_EXIT_USAGE;
	}
	git_libgit2_version(&major, &minor, &rev);
	printf("cmkctl %s\n", CMKCTL_VERSION);
	printf("  %s, libyaml %s, cJSON %s, libgit2 %d.%d.%d\n", curl_version(),
	       yaml_get_version_string(), cJSON_Version(), major, minor, rev);
	return CMK_EXIT_OK;
}
