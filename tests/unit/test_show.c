/* report/lib/show.c: durations as every view writes them (three significant digits, the unit that
 * fits, rounded once). */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdint.h>
#include <string.h>

#include "show.h"

struct duration_case {
  int64_t ns;
  unsigned flags;
  char expected[24];
};

ParameterizedTestParameters(show, durations_read_in_the_unit_that_fits)
{
  static struct duration_case cases[] = {
      {0, 0, "0 ns"},
      {7, 0, "7 ns"},
      {999, 0, "999 ns"},
      {1000, 0, "1.00 \xc2\xb5s"},
      {1005, 0, "1.01 \xc2\xb5s"},
      {12345, 0, "12.3 \xc2\xb5s"},
      {395000, 0, "395 \xc2\xb5s"},
      {999499, 0, "999 \xc2\xb5s"},
      {999500, 0, "1.00 ms"}, /* rounded once: never "1000 µs" */
      {4100, 0, "4.10 \xc2\xb5s"},
      {23456789, 0, "23.5 ms"},
      {100512000, 0, "101 ms"},
      {999500000, 0, "1.00 s"},
      {1500000000, 0, "1.50 s"},
      {999400000000, 0, "999 s"},
      {999600000000, 0, "16m40s"},
      {3599400000000, 0, "59m59s"},
      {3599600000000, 0, "1h00m"},
      {7380000000000, 0, "2h03m"},
      {360000000000000, 0, "4d04h"},
      {INT64_MAX, 0, "106752d00h"},
      {-600000, 0, "-600 \xc2\xb5s"},
      {INT64_MIN, 0, "-106752d00h"},
      {600000, SHOW_DURATION_SIGN, "+600 \xc2\xb5s"},
      {0, SHOW_DURATION_SIGN, "+0 ns"},
      {212000000, SHOW_DURATION_COMPACT, "212ms"},
      {1200000000, SHOW_DURATION_COMPACT, "1.20s"},
  };
  return cr_make_param_array(struct duration_case, cases, sizeof cases / sizeof cases[0]);
}

ParameterizedTest(struct duration_case *c, show, durations_read_in_the_unit_that_fits)
{
  char buf[SHOW_DURATION_MAX];
  cr_expect_str_eq(show_duration(c->ns, c->flags, buf, sizeof buf), c->expected, "%lld",
                   (long long)c->ns);
}

Test(show, a_value_above_a_limit_never_reads_as_the_limit)
{
  char buf[SHOW_DURATION_MAX];
  cr_expect_str_eq(show_duration_above(250400000, 250000000, 0, buf, sizeof buf), "250.4 ms");
  cr_expect_str_eq(show_duration_above(250000001, 250000000, 0, buf, sizeof buf), "250.000001 ms");
  cr_expect_str_eq(show_duration_above(312000000, 250000000, 0, buf, sizeof buf), "312 ms");
  cr_expect_str_eq(show_duration_above(1000400000000, 1000000000000, 0, buf, sizeof buf),
                   "1000.4 s");
  cr_expect_str_eq(show_duration_above(1200000000000, 250000000, 0, buf, sizeof buf), "20m00s");
  cr_expect_str_eq(show_duration_above(100, 250000000, 0, buf, sizeof buf), "100 ns");
}

Test(show, a_short_buffer_is_cut_not_overrun)
{
  char buf[5] = "xxxx";
  show_duration(123456789, 0, buf, sizeof buf);
  cr_expect_str_eq(buf, "123 ");
  show_duration(5, 0, buf, 0); /* nothing written */
  cr_expect_str_eq(buf, "123 ");
}

Test(show, an_axis_takes_the_unit_of_its_largest_value)
{
  struct show_unit u = show_duration_unit(395000);
  cr_expect_str_eq(u.name, "\xc2\xb5s");
  cr_expect_eq(u.ns, 1000);
  u = show_duration_unit(999600); /* reads 1.00 ms */
  cr_expect_str_eq(u.name, "ms");
  u = show_duration_unit(5000000000000);
  cr_expect_str_eq(u.name, "s");
  cr_expect_eq(u.ns, 1000000000);
  u = show_duration_unit(0);
  cr_expect_str_eq(u.name, "ns");
}
