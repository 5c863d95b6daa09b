/*
 * manifest_yaml.h - YAML text to a small node tree that remembers where
 * every node was written (the manifest loader's first stage; private to
 * planner/manifest_*.c).
 *
 * Built from libyaml's event API so the loader controls what libyaml leaves
 * open: aliases are resolved to shared nodes with a bound on the expanded
 * size (no "billion laughs"), nesting depth is bounded, mapping keys must be
 * scalars and unique (a duplicate key is an error, and only the first
 * occurrence is kept), explicit tags other than the standard str/map/seq
 * ones are refused, and scalars holding NUL are refused. Every problem is a
 * diagnostic with its position; a YAML syntax error ends the file (libyaml
 * cannot resume) but keeps the documents completed before it.
 */
#ifndef CMK_MANIFEST_YAML_H
#define CMK_MANIFEST_YAML_H

#include <stdbool.h>
#include <stddef.h>

#include "planner/manifest_diag.h"

/* Bounds on what one file may expand to. */
#define MANIFEST_YAML_MAX_DEPTH 64
#define MANIFEST_YAML_MAX_NODES 200000 /* after alias expansion, per document */

typedef enum {
	MANIFEST_YAML_SCALAR,
	MANIFEST_YAML_MAP,
	MANIFEST_YAML_SEQ,
} manifest_yaml_type;

typedef struct manifest_yaml_node manifest_yaml_node;
struct manifest_yaml_node {
	manifest_yaml_type type;
	unsigned line, column;      /* 1-based position of the node's first character */
	bool plain;                 /* scalar written unquoted and untagged: subject to
				       null/bool/int resolution */
	bool invalid;               /* already reported (bad tag, NUL): later stages skip it */
	char *value;                /* scalar text, NUL-terminated; NULL for containers */
	size_t len;
	manifest_yaml_node **items; /* map: key, value, key, value...; seq: elements */
	size_t count;               /* entries in items (a map holds count/2 pairs) */
	size_t cap;
	size_t weight;              /* nodes in this subtree with aliases expanded */
	const char *anchor;         /* private: anchor name while parsing */
};

typedef struct {
	manifest_yaml_node *root;   /* NULL for an empty document */
	unsigned line, column;      /* where the document starts */
} manifest_yaml_doc;

typedef struct manifest_yaml_file manifest_yaml_file;
struct manifest_yaml_file {
	manifest_yaml_doc *docs;
	size_t count;
	bool syntax_error;          /* the file could not be read to its end */
	void *arena_;               /* private: all nodes and strings */
};

/*
 * Parse `len` bytes of `data` (any NUL-containing or non-UTF-8 input is
 * reported, not trusted). `file` names the source in diagnostics. On
 * return `*out` holds the documents parsed (possibly none) and diagnostics
 * have been added for every problem found; the return value is 0, or
 * CMK_ENOMEM. Free with manifest_yaml_free.
 */
int manifest_yaml_parse(manifest_yaml_file **out, manifest_diags *diags, const char *file,
			const char *data, size_t len) CMK_WUR;

void manifest_yaml_free(manifest_yaml_file *f);

/* Scalar helpers: the YAML 1.2 core schema for plain scalars. */
bool manifest_yaml_is_null(const manifest_yaml_node *n);
/* 1 true, 0 false, -1 not a boolean */
int manifest_yaml_bool(const manifest_yaml_node *n);
/*
 * 0 and *out set when `n` is a plain decimal integer that fits in 64 bits.
 * Otherwise, so that a message can say what is wrong:
 *   MANIFEST_YAML_INT_RADIX  an integer written in another base (0x3E8,
 *                            0o1750, 0b1111101000); *out holds its value
 *   MANIFEST_YAML_INT_RANGE  an integer (in any base) beyond the 64-bit range
 *   MANIFEST_YAML_INT_NOT    anything else (a string, 1.5, 1e3, quoted "1000")
 */
#define MANIFEST_YAML_INT_NOT (-1)
#define MANIFEST_YAML_INT_RANGE (-2)
#define MANIFEST_YAML_INT_RADIX (-3)
int manifest_yaml_int(long long *out, const manifest_yaml_node *n);

/* A word for the node's type in messages: "a mapping", "a list", "a string",
 * "a number", "a boolean", "null". */
const char *manifest_yaml_describe(const manifest_yaml_node *n);

#endif
