/*
 * fixture.h - initial state from a JSON or YAML file (format in README.md)
 * and the dump of the whole state in the same format, so a dump loads back.
 */
#ifndef ARMSIM_FIXTURE_H
#define ARMSIM_FIXTURE_H

#include <cjson/cJSON.h>

#include "common/error.h"

/* Load a file (.json, .yaml/.yml); replaces the state when `replace`. */
int fixture_load_file(const char *path) CMK_WUR;
/* Load a parsed fixture document (store lock held by caller). */
int fixture_load_json(const cJSON *doc, int replace) CMK_WUR;
/* The fixture's "defaultClient" (the principal of the ready line), or NULL. */
const char *fixture_default_client(void);
/* The whole state (caller frees). */
cJSON *fixture_dump(void);
/* YAML text -> cJSON (caller frees); NULL + cmk_error_set on error with
 * line:column. */
cJSON *fixture_yaml_parse(const char *text, size_t len, const char *name);

#endif
