/*
 * gitsrc_probe.c - a small driver for the git source tests: parses the
 * shared source options exactly as the commands do, opens the source and
 * prints the revision record (line and JSON) and every file it materialised
 * with its repository-relative name and first line, so the shell tests can
 * assert on real checkouts.
 *
 * Output on success:
 *   line <revision line>
 *   json <revision JSON>
 *   local <local path>
 *   mode <octal permissions of the local path>
 *   file <display path> <first line of the file>      (sorted)
 * On failure: "error <code name>: <message>" on stdout, exit 1.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/log.h"
#include "sources/source.h"
#include "cli/manifest_options.h"

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void collect(char ***names, size_t *n, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d)) != NULL) {
		char *p;
		struct stat st;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (asprintf(&p, "%s/%s", dir, e->d_name) < 0)
			abort();
		if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
			collect(names, n, p);
			free(p);
		} else {
			*names = realloc(*names, (*n + 1) * sizeof(char *));
			(*names)[(*n)++] = p;
		}
	}
	closedir(d);
}

static void print_file(const source *s, const char *path)
{
	char line[256] = "";
	FILE *f = fopen(path, "r");

	if (f) {
		if (!fgets(line, sizeof(line), f))
			line[0] = '\0';
		fclose(f);
	}
	line[strcspn(line, "\n")] = '\0';
	printf("file %s %s\n", source_display_path(s, path), line);
}

int main(int argc, char **argv)
{
	source_spec spec = SOURCE_SPEC_INIT;
	source *s = NULL;
	cmk_buf line = CMK_BUF_INIT;
	cJSON *json = NULL;
	char *text, **names = NULL;
	size_t n = 0;
	struct stat st;
	int rc;

	for (int i = 1; i < argc; i++) {
		if ((rc = source_options_take(&spec, argc, argv, &i)) < 0) {
			printf("error %s: %s\n", cmk_error_name(rc), cmk_error_last());
			return 64;
		}
		if (rc == 0) {
			printf("error usage: unknown option %s\n", argv[i]);
			return 64;
		}
	}
	if ((rc = source_open(&s, &spec)) < 0) {
		printf("error %s: %s\n", cmk_error_name(rc), cmk_error_last());
		return 1;
	}
	if (source_revision_line(&line, source_revision_of(s)) < 0 ||
	    source_revision_to_json(&json, source_revision_of(s)) < 0)
		return 1;
	text = cJSON_PrintUnformatted(json);
	printf("line %s\njson %s\nlocal %s\n", cmk_buf_cstr(&line), text,
	       source_local_path(s));
	if (stat(source_local_path(s), &st) == 0)
		printf("mode %o\n", (unsigned)(st.st_mode & 07777));
	if (S_ISDIR(st.st_mode))
		collect(&names, &n, source_local_path(s));
	else
		print_file(s, source_local_path(s));
	if (n)
		qsort(names, n, sizeof(*names), cmp);
	for (size_t i = 0; i < n; i++) {
		print_file(s, names[i]);
		free(names[i]);
	}
	free(names);
	free(text);
	cJSON_Delete(json);
	cmk_buf_free(&line);
	source_free(s);
	return 0;
}
