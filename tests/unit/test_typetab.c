#include "typetab.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

Test(typetab, the_same_name_gets_the_same_id_and_names_round_trip)
{
  uint32_t ping = as_typetab_intern("PING", 4);
  uint32_t pong = as_typetab_intern("PONG", 4);
  cr_assert_neq(ping, AS_TYPE_NONE);
  cr_assert_neq(ping, pong);
  cr_assert_eq(as_typetab_intern("PINGX", 4), ping);
  cr_assert_str_eq(as_typetab_name(ping), "PING");
  cr_assert_str_eq(as_typetab_name(AS_TYPE_NONE), "");
}

Test(typetab, past_capacity_new_names_share_the_overflow_name)
{
  char name[32];
  uint32_t last = 0;
  for (unsigned i = 0; i < AS_TYPETAB_CAPACITY + 10; i++) {
    int n = snprintf(name, sizeof name, "T%u", i);
    last = as_typetab_intern(name, (size_t)n);
    cr_assert_neq(last, AS_TYPE_NONE);
  }
  cr_assert_str_eq(as_typetab_name(last), AS_TYPE_OVERFLOW_NAME);
  cr_assert_str_eq(as_typetab_name(as_typetab_intern("T5", 2)), "T5");
}
