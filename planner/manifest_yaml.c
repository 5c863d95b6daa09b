/*
 * manifest_yaml.c - libyaml events to a positioned node tree (see
 * manifest_yaml.h).
 */
#include "planner/manifest_yaml.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

/* ---- arena: every node and string of a file, freed at once ---- */

typedef struct arena_block {
	struct arena_block *next;
	size_t used, size;
	max_align_t data[];
} arena_block;

typedef struct {
	arena_block *head;
} arena;

static void *arena__alloc(arena *a, size_t n)
{
	arena_block *b = a->head;
	const size_t align = sizeof(max_align_t);

	n = (n + align - 1) / align * align;
	if (!b || b->size - b->used < n) {
		size_t size = n > 32768 ? n : 32768;

		if ((b = malloc(sizeof(*b) + size)) == NULL)
			return NULL;
		b->used = 0;
		b->size = size;
		b->next = a->head;
		a->head = b;
	}
	b->used += n;
	return (char *)b->data + b->used - n;
}

static void arena__free(arena *a)
{
	while (a && a->head) {
		arena_block *next = a->head->next;

		free(a->head);
		a->head = next;
	}
	free(a);
}

/* ---- the builder ---- */

typedef struct {
	const char *name;
	manifest_yaml_node *node;
} anchor_entry;

typedef struct {
	manifest_diags *diags;
	const char *file;
	arena *arena;
	manifest_yaml_file *out;
	size_t docs_cap;
	manifest_yaml_node *stack[MANIFEST_YAML_MAX_DEPTH];
	size_t depth;
	manifest_yaml_node *root;
	anchor_entry *anchors;
	size_t anchor_count, anchor_cap;
	bool failed; /* a fatal problem in this file: stop reading it */
} builder;

#define MANIFEST_YAML_MAX_ANCHORS 10000

static char *builder__strdup(builder *b, const char *s, size_t len)
{
	char *p = arena__alloc(b->arena, len + 1);

	if (p) {
		memcpy(p, s, len);
		p[len] = '\0';
	}
	return p;
}

static int builder__diag(builder *b, const yaml_mark_t *m, const char *hint, const char *msg,
			 const char *arg)
{
	return manifest_diag_add(b->diags, b->file, (unsigned)m->line + 1, (unsigned)m->column + 1,
				 hint, msg, arg);
}

static int builder__add_child(builder *b, manifest_yaml_node *parent, manifest_yaml_node *child)
{
	if (parent->count == parent->cap) {
		size_t cap = parent->cap ? parent->cap * 2 : 8;
		manifest_yaml_node **items = arena__alloc(b->arena, cap * sizeof(*items));

		if (!items)
			return cmk_error_oom();
		if (parent->count)
			memcpy(items, parent->items, parent->count * sizeof(*items));
		parent->items = items;
		parent->cap = cap;
	}
	parent->items[parent->count++] = child;
	/* Saturating: nested aliases can multiply weights past SIZE_MAX. */
	parent->weight = child->weight > SIZE_MAX - parent->weight ? SIZE_MAX
								  : parent->weight + child->weight;
	return 0;
}

/* Attach a finished node to the open container, or make it the root. */
static int builder__attach(builder *b, manifest_yaml_node *n, const yaml_mark_t *mark)
{
	manifest_yaml_node *parent = b->depth ? b->stack[b->depth - 1] : NULL;
	int error;

	if (!parent) {
		b->root = n;
		return 0;
	}
	if ((error = builder__add_child(b, parent, n)) < 0)
		return error;
	if (parent->weight > MANIFEST_YAML_MAX_NODES) {
		b->failed = true;
		return builder__diag(b, mark, "remove the aliases that repeat large nodes",
				     "document expands to more than %s nodes (YAML alias bomb?)",
				     "200,000");
	}
	return 0;
}

static int builder__register_anchor(builder *b, const char *name, manifest_yaml_node *n,
				    const yaml_mark_t *mark)
{
	if (b->anchor_count == MANIFEST_YAML_MAX_ANCHORS) {
		b->failed = true;
		return builder__diag(b, mark, NULL, "more than %s anchors in one file", "10000");
	}
	if (b->anchor_count == b->anchor_cap) {
		size_t cap = b->anchor_cap ? b->anchor_cap * 2 : 8;
		anchor_entry *a = realloc(b->anchors, cap * sizeof(*a));

		if (!a)
			return cmk_error_oom();
		b->anchors = a;
		b->anchor_cap = cap;
	}
	b->anchors[b->anchor_count].name = name;
	b->anchors[b->anchor_count].node = n;
	b->anchor_count++;
	return 0;
}

static manifest_yaml_node *builder__find_anchor(builder *b, const char *name)
{
	/* The latest definition of a name wins (YAML allows redefinition). */
	for (size_t i = b->anchor_count; i > 0; i--)
		if (strcmp(b->anchors[i - 1].name, name) == 0)
			return b->anchors[i - 1].node;
	return NULL;
}

static manifest_yaml_node *builder__node(builder *b, manifest_yaml_type type,
					 const yaml_mark_t *mark)
{
	manifest_yaml_node *n = arena__alloc(b->arena, sizeof(*n));

	if (n) {
		memset(n, 0, sizeof(*n));
		n->type = type;
		n->line = (unsigned)mark->line + 1;
		n->column = (unsigned)mark->column + 1;
		n->weight = 1;
	}
	return n;
}

/* Only the standard string/map/seq tags are meaningful to a manifest. */
static int builder__check_tag(builder *b, const yaml_char_t *tag, const char *allowed,
			      const yaml_mark_t *mark, bool *ok)
{
	*ok = true;
	if (!tag || strcmp((const char *)tag, "!") == 0 || strcmp((const char *)tag, allowed) == 0)
		return 0;
	*ok = false;
	return builder__diag(b, mark, "remove the tag; cmkctl reads plain YAML",
			     "unsupported YAML tag '%s'", (const char *)tag);
}

static int builder__key_cmp(const void *pa, const void *pb)
{
	const manifest_yaml_node *const *a = pa, *const *b = pb;
	int c = strcmp((*a)->value, (*b)->value);

	if (c)
		return c;
	/* equal keys: earlier position first, so the first one is kept */
	if ((*a)->line != (*b)->line)
		return (*a)->line < (*b)->line ? -1 : 1;
	return (*a)->column < (*b)->column ? -1 : (*a)->column > (*b)->column;
}

/*
 * A finished mapping: keys must be scalars and unique. Offending pairs are
 * reported and dropped so later stages see a clean map.
 */
static int builder__finish_map(builder *b, manifest_yaml_node *map)
{
	manifest_yaml_node **keys = NULL;
	size_t pairs, nkeys = 0, kept = 0;
	int error = 0;

	if (map->count % 2) /* cannot happen with libyaml's events; be safe */
		map->count--;
	pairs = map->count / 2;
	if (pairs == 0)
		return 0;
	for (size_t i = 0; i < pairs; i++) {
		manifest_yaml_node *k = map->items[2 * i];

		if (k->type != MANIFEST_YAML_SCALAR) {
			yaml_mark_t m = { 0, k->line - 1, k->column - 1 };

			if ((error = builder__diag(b, &m, "use a plain string as the key",
						   "mapping key is %s, not a string",
						   manifest_yaml_describe(k))) < 0)
				return error;
			k->anchor = (const char *)map; /* mark for removal */
		}
	}
	if ((keys = malloc(pairs * sizeof(*keys))) == NULL)
		return cmk_error_oom();
	for (size_t i = 0; i < pairs; i++)
		if (map->items[2 * i]->type == MANIFEST_YAML_SCALAR)
			keys[nkeys++] = map->items[2 * i];
	qsort(keys, nkeys, sizeof(*keys), builder__key_cmp);
	for (size_t i = 1; i < nkeys; i++) {
		if (strcmp(keys[i]->value, keys[i - 1]->value) != 0)
			continue;
		/* find the first of this run for the message */
		size_t first = i - 1;

		while (first > 0 && strcmp(keys[first - 1]->value, keys[i]->value) == 0)
			first--;
		{
			yaml_mark_t m = { 0, keys[i]->line - 1, keys[i]->column - 1 };
			char hint[96];

			snprintf(hint, sizeof(hint), "the first '%.40s' is at line %u; keep one of them",
				 keys[first]->value, keys[first]->line);
			if ((error = builder__diag(b, &m, hint, "duplicate key '%s'", keys[i]->value)) < 0)
				goto out;
		}
		keys[i]->anchor = (const char *)map;
	}
	/* compact: drop the marked pairs (a key node is never shared: keys of
	 * aliases are reached through the anchored map, already finished) */
	for (size_t i = 0; i < pairs; i++) {
		manifest_yaml_node *k = map->items[2 * i];

		if (k->anchor == (const char *)map) {
			k->anchor = NULL;
			continue;
		}
		map->items[2 * kept] = k;
		map->items[2 * kept + 1] = map->items[2 * i + 1];
		kept++;
	}
	map->count = kept * 2;
out:
	free(keys);
	return error;
}

static int builder__doc_start(builder *b, const yaml_mark_t *mark)
{
	manifest_yaml_file *f = b->out;

	if (f->count == b->docs_cap) {
		size_t cap = b->docs_cap ? b->docs_cap * 2 : 4;
		manifest_yaml_doc *docs = realloc(f->docs, cap * sizeof(*docs));

		if (!docs)
			return cmk_error_oom();
		f->docs = docs;
		b->docs_cap = cap;
	}
	f->docs[f->count].root = NULL;
	f->docs[f->count].line = (unsigned)mark->line + 1;
	f->docs[f->count].column = (unsigned)mark->column + 1;
	b->root = NULL;
	b->depth = 0;
	/* anchors are local to a document */
	b->anchor_count = 0;
	return 0;
}

static int builder__event(builder *b, yaml_event_t *ev)
{
	const yaml_mark_t *mark = &ev->start_mark;
	manifest_yaml_node *n;
	bool ok;
	int error;

	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		return builder__doc_start(b, mark);
	case YAML_DOCUMENT_END_EVENT:
		if (b->root && b->root->type == MANIFEST_YAML_SCALAR && manifest_yaml_is_null(b->root))
			b->root = NULL;
		b->out->docs[b->out->count++].root = b->root;
		return 0;
	case YAML_SCALAR_EVENT:
		if ((error = builder__check_tag(b, ev->data.scalar.tag, YAML_STR_TAG, mark, &ok)) < 0)
			return error;
		if (memchr(ev->data.scalar.value, '\0', ev->data.scalar.length)) {
			if ((error = builder__diag(b, mark, NULL, "%s", "string contains a NUL character")) < 0)
				return error;
			ok = false;
		}
		if ((n = builder__node(b, MANIFEST_YAML_SCALAR, mark)) == NULL ||
		    (n->value = builder__strdup(b, (const char *)ev->data.scalar.value,
						ev->data.scalar.length)) == NULL)
			return cmk_error_oom();
		n->len = ev->data.scalar.length;
		n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && !ev->data.scalar.tag;
		if (!ok) { /* keep the shape; later stages skip it silently */
			n->value[0] = '\0';
			n->len = 0;
			n->invalid = true;
		}
		if (ev->data.scalar.anchor) {
			const char *name = builder__strdup(b, (const char *)ev->data.scalar.anchor,
							   strlen((const char *)ev->data.scalar.anchor));

			if (!name)
				return cmk_error_oom();
			if ((error = builder__register_anchor(b, name, n, mark)) < 0)
				return error;
		}
		return builder__attach(b, n, mark);
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT: {
		bool seq = ev->type == YAML_SEQUENCE_START_EVENT;
		const yaml_char_t *tag = seq ? ev->data.sequence_start.tag : ev->data.mapping_start.tag;
		const yaml_char_t *anchor = seq ? ev->data.sequence_start.anchor
						: ev->data.mapping_start.anchor;

		if ((error = builder__check_tag(b, tag, seq ? YAML_SEQ_TAG : YAML_MAP_TAG, mark, &ok)) < 0)
			return error;
		if (b->depth == MANIFEST_YAML_MAX_DEPTH) {
			b->failed = true;
			return builder__diag(b, mark, "flatten the structure",
					     "nesting deeper than %s levels", "64");
		}
		if ((n = builder__node(b, seq ? MANIFEST_YAML_SEQ : MANIFEST_YAML_MAP, mark)) == NULL)
			return cmk_error_oom();
		if (anchor && (n->anchor = builder__strdup(b, (const char *)anchor,
							   strlen((const char *)anchor))) == NULL)
			return cmk_error_oom();
		b->stack[b->depth++] = n;
		return 0;
	}
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT: {
		const char *anchor;

		if (b->depth == 0)
			return 0;
		n = b->stack[--b->depth];
		if (n->type == MANIFEST_YAML_MAP && (error = builder__finish_map(b, n)) < 0)
			return error;
		anchor = n->anchor;
		n->anchor = NULL;
		/* registered only once complete: an alias inside its own anchor
		 * ("&a [*a]") finds nothing and cannot build a cycle */
		if (anchor) {
			yaml_mark_t m = { 0, n->line - 1, n->column - 1 };

			if ((error = builder__register_anchor(b, anchor, n, &m)) < 0)
				return error;
		}
		return builder__attach(b, n, mark);
	}
	case YAML_ALIAS_EVENT:
		n = builder__find_anchor(b, (const char *)ev->data.alias.anchor);
		if (!n) {
			b->failed = true;
			return builder__diag(b, mark, "define the anchor (&name) before using it",
					     "unknown or recursive alias '*%s'",
					     (const char *)ev->data.alias.anchor);
		}
		return builder__attach(b, n, mark);
	default:
		return 0;
	}
}

/* Line and column of byte `offset`, for reader errors (which carry no mark). */
static yaml_mark_t builder__mark_at(const char *data, size_t len, size_t offset)
{
	yaml_mark_t m = { offset, 0, 0 };

	for (size_t i = 0; i < offset && i < len; i++) {
		if (data[i] == '\n') {
			m.line++;
			m.column = 0;
		} else if (((unsigned char)data[i] & 0xC0) != 0x80) {
			m.column++;
		}
	}
	return m;
}

static int builder__syntax_error(builder *b, yaml_parser_t *p, const char *data, size_t len)
{
	const char *hint = "check the indentation, quoting and ':' near this position";
	const char *problem = p->problem ? p->problem : "cannot parse";
	yaml_mark_t m = p->problem_mark;

	b->out->syntax_error = true;
	if (p->error == YAML_MEMORY_ERROR)
		return cmk_error_oom();
	if (p->error == YAML_READER_ERROR) {
		m = builder__mark_at(data, len, p->problem_offset);
		return manifest_diag_add(b->diags, b->file, (unsigned)m.line + 1, (unsigned)m.column + 1,
					 "save the file as UTF-8 text", "invalid YAML: %s", problem);
	}
	if (p->context)
		return manifest_diag_add(b->diags, b->file, (unsigned)m.line + 1, (unsigned)m.column + 1,
					 hint, "invalid YAML: %s %s", problem, p->context);
	return manifest_diag_add(b->diags, b->file, (unsigned)m.line + 1, (unsigned)m.column + 1,
				 hint, "invalid YAML: %s", problem);
}

int manifest_yaml_parse(manifest_yaml_file **out, manifest_diags *diags, const char *file,
			const char *data, size_t len)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	builder b;
	bool done = false;
	int error = 0;

	*out = NULL;
	memset(&b, 0, sizeof(b));
	b.diags = diags;
	b.file = file;
	if ((b.out = calloc(1, sizeof(*b.out))) == NULL || (b.arena = calloc(1, sizeof(arena))) == NULL) {
		free(b.out);
		return cmk_error_oom();
	}
	b.out->arena_ = b.arena;
	if (!yaml_parser_initialize(&parser)) {
		manifest_yaml_free(b.out);
		return cmk_error_oom();
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
	while (!done && !b.failed) {
		if (!yaml_parser_parse(&parser, &ev)) {
			error = builder__syntax_error(&b, &parser, data, len);
			break;
		}
		done = ev.type == YAML_STREAM_END_EVENT;
		error = builder__event(&b, &ev);
		yaml_event_delete(&ev);
		if (error < 0)
			break;
	}
	if (b.failed)
		b.out->syntax_error = true;
	yaml_parser_delete(&parser);
	free(b.anchors);
	if (error < 0) {
		manifest_yaml_free(b.out);
		return error;
	}
	*out = b.out;
	return 0;
}

void manifest_yaml_free(manifest_yaml_file *f)
{
	if (!f)
		return;
	arena__free(f->arena_);
	free(f->docs);
	free(f);
}

bool manifest_yaml_is_null(const manifest_yaml_node *n)
{
	if (!n)
		return true;
	if (n->type != MANIFEST_YAML_SCALAR || !n->plain)
		return false;
	return n->len == 0 || strcmp(n->value, "~") == 0 || strcmp(n->value, "null") == 0 ||
	       strcmp(n->value, "Null") == 0 || strcmp(n->value, "NULL") == 0;
}

int manifest_yaml_bool(const manifest_yaml_node *n)
{
	if (!n || n->type != MANIFEST_YAML_SCALAR || !n->plain)
		return -1;
	if (!strcmp(n->value, "true") || !strcmp(n->value, "True") || !strcmp(n->value, "TRUE"))
		return 1;
	if (!strcmp(n->value, "false") || !strcmp(n->value, "False") || !strcmp(n->value, "FALSE"))
		return 0;
	return -1;
}

/* The base of a "0x", "0o" or "0b" prefix at `s`, or 0. */
static int manifest_yaml__radix(const char *s)
{
	if (s[0] != '0')
		return 0;
	switch (s[1]) {
	case 'x': case 'X': return 16;
	case 'o': case 'O': return 8;
	case 'b': case 'B': return 2;
	default: return 0;
	}
}

/* `s` (no sign) in `base` into *out, with `negative`. */
static int manifest_yaml__int_in(long long *out, const char *s, int base, bool negative)
{
	unsigned long long u;
	char *end;

	if (!*s)
		return MANIFEST_YAML_INT_NOT;
	for (const char *c = s; *c; c++) {
		int d = *c >= '0' && *c <= '9' ? *c - '0' :
			*c >= 'a' && *c <= 'f' ? *c - 'a' + 10 :
			*c >= 'A' && *c <= 'F' ? *c - 'A' + 10 : 99;

		if (d >= base)
			return MANIFEST_YAML_INT_NOT;
	}
	errno = 0;
	u = strtoull(s, &end, base);
	if (errno == ERANGE || *end ||
	    u > (negative ? (unsigned long long)LLONG_MAX + 1 : (unsigned long long)LLONG_MAX))
		return MANIFEST_YAML_INT_RANGE;
	*out = negative ? (long long)(0 - u) : (long long)u;
	return 0;
}

int manifest_yaml_int(long long *out, const manifest_yaml_node *n)
{
	const char *s;
	bool negative;
	int base, rc;

	if (!n || n->type != MANIFEST_YAML_SCALAR || !n->plain || n->len == 0)
		return MANIFEST_YAML_INT_NOT;
	s = n->value;
	negative = *s == '-';
	if (*s == '+' || *s == '-')
		s++;
	if ((base = manifest_yaml__radix(s)) != 0) {
		rc = manifest_yaml__int_in(out, s + 2, base, negative);
		return rc == 0 ? MANIFEST_YAML_INT_RADIX : rc;
	}
	return manifest_yaml__int_in(out, s, 10, negative);
}

static bool manifest_yaml__is_number(const manifest_yaml_node *n)
{
	long long v;
	char *end;

	if (manifest_yaml_int(&v, n) == 0)
		return true;
	if (!n->plain || n->len == 0)
		return false;
	strtod(n->value, &end);
	return *end == '\0' && (n->value[0] == '-' || n->value[0] == '+' || n->value[0] == '.' ||
				(n->value[0] >= '0' && n->value[0] <= '9'));
}

const char *manifest_yaml_describe(const manifest_yaml_node *n)
{
	if (!n || manifest_yaml_is_null(n))
		return "null";
	switch (n->type) {
	case MANIFEST_YAML_MAP: return "a mapping";
	case MANIFEST_YAML_SEQ: return "a list";
	case MANIFEST_YAML_SCALAR: break;
	}
	if (manifest_yaml_bool(n) >= 0)
		return "a boolean";
	if (manifest_yaml__is_number(n))
		return "a number";
	return "a string";
}
