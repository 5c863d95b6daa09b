/*
 * manifest_options.h - the command-line options that choose which manifests
 * a command reads, shared by validate, plan, graph, apply, drift and
 * reconcile so they all spell and check them the same way:
 *   source  -f/--filename PATH (repeatable), --git-url URL, --git-ref REF,
 *           --git-path PATH, --git-cache DIR, --git-commit SHA,
 *           --git-timeout SECONDS                        (sources/source.h)
 *   scope   --subscription ID (repeatable), --shard K/N  (reconciler/shard.h)
 * Both accept "--opt VALUE" and "--opt=VALUE". Values are borrowed from argv.
 */
#ifndef CMK_CLI_MANIFEST_OPTIONS_H
#define CMK_CLI_MANIFEST_OPTIONS_H

#include "common/error.h"
#include "reconciler/shard.h"
#include "sources/source.h"

/* If argv[*i] is a source or scope option, consume it into `spec` or
 * `shard` and return 1; 0 when it is neither; CMK_EUSAGE (message set) for
 * a missing or malformed value. */
int manifest_options_take(source_spec *spec, shard_filter *shard, int argc, char **argv, int *i) CMK_WUR;

/* After parsing: CMK_EUSAGE "no manifests given: use -f PATH" when neither
 * -f nor --git-url was given, else source_spec_check. */
int manifest_options_check(const source_spec *spec) CMK_WUR;

/* If argv[*i] is a source option, consume it (and its value) into `spec`,
 * leaving *i on the last argument consumed, and return 1. Return 0 when
 * argv[*i] is not a source option, CMK_EUSAGE (message set) when its value
 * is missing or malformed. The combination is checked afterwards with
 * source_spec_check. */
int source_options_take(source_spec *spec, int argc, char **argv, int *i) CMK_WUR;

/* Help text for the source options (including -f), indented by two, in
 * the layout of the commands' usage texts. */
const char *source_options_help(void);

/* If argv[*i] is --subscription or --shard, consume it and return 1; 0 when
 * it is not; CMK_EUSAGE (message set) for a missing or malformed value (not
 * a GUID; K/N not 1 <= K <= N <= 10000; --shard twice). */
int shard_options_take(shard_filter *f, int argc, char **argv, int *i) CMK_WUR;

/* Help text for the two scope options, in the layout of the usage texts. */
const char *shard_options_help(void);

#endif
