/* Text the exports write: safely into their formats (a JSON string, HTML text, an
 * exposition-format label value: the input is the reader's validated UTF-8 and only the bytes
 * each format reserves are changed), and the few texts they share (a cycle, a program name). */
#ifndef ACTORSCOPE_ESCAPE_H
#define ACTORSCOPE_ESCAPE_H

#include <stdint.h>
#include <stdio.h>

/* "TEXT" with quotes, backslashes and control characters escaped (RFC 8259). */
void escape_json_string(FILE *out, const char *text);
/* The same without the quotes, to build a string from parts. */
void escape_json_chars(FILE *out, const char *text);
/* TEXT with & < > " ' as character references: safe in HTML and XML (check's JUnit file)
 * element content and quoted attributes. */
void escape_html_text(FILE *out, const char *text);
/* TEXT with \ " and newline escaped, as Prometheus text 0.0.4 and OpenMetrics label values
 * need (without the quotes). */
void escape_label_value(FILE *out, const char *text);
/* A deadlock cycle as text, "#1 a ARROW #2 b ARROW #1" (malloc()ed; NULL when out of memory):
 * also its identity from one snapshot to the next. */
struct as_rec_cycle;
char *escape_cycle_text(const struct as_rec_cycle *cycle, const char *arrow);
/* Numbers as people read them, for HTML: a duration in ns as show_duration writes it ("5.90 µs",
 * "150 ms", "2.30 s"); a count with thin spaces between thousands. */
void escape_html_duration(FILE *out, int64_t ns);
void escape_html_count(FILE *out, int64_t n);

#endif
