/* report/lib/jsonout: the tool's indented JSON is the layout of the common pretty printers
 * (compared byte for byte with jansson's JSON_INDENT(2)), its reals read back exactly, its
 * strings read back as written, and a document too deep fails rather than comes out wrong. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonout.h"

/* What WRITE writes, as a string (malloc()ed). */
static char *written(void (*write)(struct jsonout *j), int *rc)
{
  char *text = NULL;
  size_t len = 0;
  FILE *out = open_memstream(&text, &len);
  cr_assert_not_null(out);
  struct jsonout j;
  jsonout_init(&j, out);
  write(&j);
  *rc = jsonout_finish(&j);
  fclose(out);
  return text;
}

static void write_shapes(struct jsonout *j)
{
  jsonout_object_begin(j, NULL);
  jsonout_str(j, "file", "runs/a b.jsonl");
  jsonout_str(j, "none", NULL);
  jsonout_int(j, "big", INT64_MAX);
  jsonout_int(j, "low", INT64_MIN);
  jsonout_bool(j, "yes", 1);
  jsonout_bool(j, "no", 0);
  jsonout_null(j, "null");
  jsonout_object_begin(j, "empty_object");
  jsonout_object_end(j);
  jsonout_array_begin(j, "empty_array");
  jsonout_array_end(j);
  jsonout_array_begin(j, "rows");
  jsonout_object_begin(j, NULL);
  jsonout_array_begin(j, "ids");
  jsonout_int(j, NULL, 1);
  jsonout_int(j, NULL, 2);
  jsonout_array_end(j);
  jsonout_object_begin(j, "inner");
  jsonout_object_end(j);
  jsonout_object_end(j);
  jsonout_object_begin(j, NULL);
  jsonout_array_begin(j, "deeper");
  jsonout_array_begin(j, NULL);
  jsonout_array_end(j);
  jsonout_array_end(j);
  jsonout_object_end(j);
  jsonout_array_end(j);
  jsonout_real(j, "whole", 4220.0);
  jsonout_real(j, "tenth", 0.1);
  jsonout_real(j, "huge", 1e20);
  jsonout_real(j, "tiny", 1e-5);
  jsonout_real(j, "third", 1.0 / 3.0);
  jsonout_real(j, "minus_zero", -0.0);
  jsonout_real(j, "near_max", 1.7976931348623157e308);
  jsonout_object_end(j);
}

Test(jsonout, writes_the_layout_and_numbers_jansson_writes)
{
  int rc;
  char *text = written(write_shapes, &rc);
  cr_assert_eq(rc, 0);
  json_error_t err;
  json_t *value = json_loads(text, 0, &err);
  cr_assert_not_null(value, "%s in:\n%s", err.text, text);
  char *again = json_dumps(value, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
  size_t n = strlen(text);
  cr_assert(n > 0 && text[n - 1] == '\n');
  text[n - 1] = '\0';
  cr_expect_str_eq(text, again);
  /* A whole number stays a real; the exponent as jansson writes it. */
  cr_expect(json_is_real(json_object_get(value, "whole")) && strstr(text, "\"whole\": 4220.0,"),
            "%s", text);
  cr_expect(strstr(text, "\"huge\": 1e20,") && strstr(text, "\"tiny\": 1.0000000000000001e-5,") &&
                strstr(text, "\"minus_zero\": -0.0,"),
            "%s", text);
  cr_expect_eq(json_real_value(json_object_get(value, "tenth")), 0.1);
  cr_expect_eq(json_real_value(json_object_get(value, "third")), 1.0 / 3.0);
  cr_expect_eq(json_real_value(json_object_get(value, "near_max")), 1.7976931348623157e308);
  cr_expect_eq(json_integer_value(json_object_get(value, "low")), INT64_MIN);
  free(again);
  json_decref(value);
  free(text);
}

static void write_hostile(struct jsonout *j)
{
  jsonout_object_begin(j, NULL);
  jsonout_str(j, "key \"with\" quotes\n",
              "\x1b[2Jevil\x07 \\ \"q\" \t\r\n \xe2\x80\xa8 \x7f \xc3\xa9");
  jsonout_real(j, "nan", NAN);
  jsonout_real(j, "inf", -INFINITY);
  jsonout_object_end(j);
}

Test(jsonout, strings_read_back_as_written_and_no_real_is_invalid_json)
{
  int rc;
  char *text = written(write_hostile, &rc);
  cr_assert_eq(rc, 0);
  /* No raw control character, DEL or line separator reaches the output. */
  for (const unsigned char *p = (const unsigned char *)text; *p; p++)
    cr_expect(*p >= 0x20 || *p == '\n', "raw byte %#x in %s", *p, text);
  cr_expect(!strstr(text, "\xe2\x80\xa8") && !strchr(text, 0x7f), "%s", text);
  json_error_t err;
  json_t *value = json_loads(text, 0, &err);
  cr_assert_not_null(value, "%s in:\n%s", err.text, text);
  cr_expect_str_eq(json_string_value(json_object_get(value, "key \"with\" quotes\n")),
                   "\x1b[2Jevil\x07 \\ \"q\" \t\r\n \xe2\x80\xa8 \x7f \xc3\xa9");
  cr_expect(json_is_null(json_object_get(value, "nan")));
  cr_expect(json_is_null(json_object_get(value, "inf")));
  json_decref(value);
  free(text);
}

static void write_too_deep(struct jsonout *j)
{
  for (int i = 0; i < JSONOUT_DEPTH_MAX + 5; i++)
    jsonout_array_begin(j, NULL);
  jsonout_int(j, NULL, 1);
  for (int i = 0; i < JSONOUT_DEPTH_MAX + 5; i++)
    jsonout_array_end(j);
}

Test(jsonout, a_document_deeper_than_the_limit_fails)
{
  int rc;
  char *text = written(write_too_deep, &rc);
  cr_expect_eq(rc, -1);
  free(text);
}
