/* A streaming writer of indented JSON: the tool's JSON documents (report --json, diff --json)
 * written as they are walked, never held whole (a run of 100k actors), with no JSON library.
 * The layout is the common pretty one (jansson's JSON_INDENT(2)): two spaces a level, a member
 * or element a line, "key": value, {} and [] for empty containers; strings escaped as
 * escape_json_string does for every command. */
#ifndef ACTORSCOPE_JSONOUT_H
#define ACTORSCOPE_JSONOUT_H

#include <stdint.h>
#include <stdio.h>

/* The tool's documents are fixed shapes a few levels deep: a writer refuses to go deeper than
 * this (jsonout_finish then fails) rather than write a wrong document. */
#define JSONOUT_DEPTH_MAX 64

struct jsonout {
  FILE *out;
  unsigned depth;
  uint64_t has; /* bit D: the open container at depth D + 1 has an item */
  int too_deep; /* a container past JSONOUT_DEPTH_MAX was asked for: nothing more is written */
};

void jsonout_init(struct jsonout *j, FILE *out);

/* Containers; KEY: a member of the enclosing object, NULL for an element of an array (or the
 * document itself). */
void jsonout_object_begin(struct jsonout *j, const char *key);
void jsonout_object_end(struct jsonout *j);
void jsonout_array_begin(struct jsonout *j, const char *key);
void jsonout_array_end(struct jsonout *j);

/* Values, each with its KEY as above. TEXT NULL writes null. A real that is not finite is
 * written null (JSON has no NaN); a finite one as the shortest text that reads back exactly,
 * with ".0" on a whole number so that it reads back as a real. */
void jsonout_str(struct jsonout *j, const char *key, const char *text);
void jsonout_int(struct jsonout *j, const char *key, int64_t value);
void jsonout_bool(struct jsonout *j, const char *key, int value);
void jsonout_null(struct jsonout *j, const char *key);
void jsonout_real(struct jsonout *j, const char *key, double value);

/* Ends the document with a newline; returns 0, or -1 when writing failed (or went too deep). */
int jsonout_finish(struct jsonout *j);

#endif
