/* caf_names_shorten: readable class names from demangled ones. */
#include "caf_names.h"

#include <criterion/criterion.h>
#include <string.h>

static void assert_short(const char *full, const char *expected)
{
  char out[1024];
  caf_names_shorten(full, out, sizeof out);
  cr_assert_str_eq(out, expected, "%s", full);
}

Test(caf_names, template_arguments_lose_their_namespaces)
{
  assert_short("caf::stateful_actor<my::app::state, caf::event_based_actor>",
               "caf::stateful_actor<state, event_based_actor>");
  assert_short("caf::stateful_actor<caf::(anonymous namespace)::kvstate, caf::event_based_actor>",
               "caf::stateful_actor<kvstate, event_based_actor>");
  assert_short("(anonymous namespace)::worker", "(anonymous namespace)::worker");
  assert_short("plain::class_name", "plain::class_name");
}

Test(caf_names, atoms_are_decoded)
{
  /* atom("ping") */
  assert_short("tagged<(caf::atom_value)265743596>", "tagged<'ping'>");
  assert_short("tagged<(caf::atom_value)265743596ul>", "tagged<'ping'>");
}

Test(caf_names, long_names_elide_nested_arguments)
{
  char out[1024];
  caf_names_shorten("caf::typed_event_based_actor<caf::typed_mpi<caf::detail::type_list<"
                    "caf::atom_constant<(caf::atom_value)265743596>, int, std::__cxx11::basic_"
                    "string<char, std::char_traits<char>, std::allocator<char> > >, caf::output_"
                    "tuple<int> > >",
                    out, sizeof out);
  cr_assert_str_eq(out, "caf::typed_event_based_actor<typed_mpi<\xe2\x80\xa6> >");
}

Test(caf_names, a_small_buffer_is_never_overrun)
{
  char out[8];
  memset(out, 'x', sizeof out);
  caf_names_shorten("caf::stateful_actor<my::state, caf::event_based_actor>", out, sizeof out);
  cr_assert_eq(strlen(out), sizeof out - 1);
}
