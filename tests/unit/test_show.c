/* report/lib/show.c: durations as every view writes them (three significant digits, the unit that
 * fits, rounded once). */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdint.h>
#include <string.h>

#include "cxxname.h"
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

/* A stuck stack in one line: where it is, then the program's own frames with the runtime's
 * function each called; the runtimes' frames between them only in the whole stack. */
static const char *show_line_of(const char *const *frames, size_t n)
{
  static char line[512];
  return show_stack_line(frames, n, line, sizeof line);
}

Test(show, a_stuck_stack_reads_where_and_the_program_s_own_frame)
{
  const char *sleep[] = {"clock_nanosleep+0x64 (libc.so.6)", "nanosleep+0x12 (libc.so.6)",
                         "zclock_sleep+0x4f (libczmq.so.4)", "napper+0x89 (czmq_blocking)",
                         "0x1e2c0 (libczmq.so.4)",           "0x891f4 (libc.so.6)"};
  cr_assert_str_eq(show_line_of(sleep, 6),
                   "nanosleep \u2190 zclock_sleep \u2190 napper \u2190 \u2026");
  /* CZMQ calls libzmq: the function the program called stays, zmq_poll under it goes. */
  const char *poll[] = {"poll+0x4f (libc.so.6)", "zmq_poll+0x1a2 (libzmq.so.5)",
                        "zpoller_wait+0x3b (libczmq.so.4)", "poller+0x51 (czmq_blocking)",
                        "0x1e2c0 (libczmq.so.4)"};
  cr_assert_str_eq(show_line_of(poll, 5), "poll \u2190 zpoller_wait \u2190 poller \u2190 \u2026");
  /* CAF's dispatch (trivial_match_case) names the program's lambda: its actor's behaviour. */
  const char *mutex[] = {
      "0x8612a (libc.so.6)",
      "pthread_mutex_lock+0x111 (libc.so.6)",
      "caf::trivial_match_case<company::billing::ledger::worker_v2::make_behavior()::{lambda("
      "caf::atom_constant<(caf::atom_value)264718896>)#1}>::invoke(caf::detail::invoke_result_"
      "visitor&, caf::type_erased_tuple&)+0xa8 (stuckcaf)",
      "caf::detail::behavior_impl::invoke(caf::detail::invoke_result_visitor&, "
      "caf::type_erased_tuple&)+0x57 (libcaf_core.so.0.17.6)",
      "caf::scheduled_actor::consume(caf::mailbox_element&)+0x2b (libcaf_core.so.0.17.6)",
      "0xd44a2 (libstdc++.so.6)"};
  cr_assert_str_eq(show_line_of(mutex, 6),
                   "pthread_mutex_lock \u2190 company::billing::ledger::worker_v2::make_behavior "
                   "\u2190 \u2026");
  /* A spinning handler sampled in the vDSO's clock: libstdc++'s clock is what it called. */
  const char *spin[] = {
      "0x7bd (linux-vdso.so.1)",
      "clock_gettime+0x17d (linux-vdso.so.1)",
      "clock_gettime+0x18 (libc.so.6)",
      "std::chrono::_V2::steady_clock::now()+0x14 (libstdc++.so.6)",
      "caf::trivial_match_case<ns::w::make_behavior()::{lambda(int)#2}>::invoke(caf::detail::"
      "invoke_result_visitor&, caf::type_erased_tuple&)+0xd2 (stuckcaf)",
      "caf::scheduled_actor::consume(caf::mailbox_element&)+0x2b (libcaf_core.so.0.17.6)"};
  cr_assert_str_eq(show_line_of(spin, 6),
                   "clock_gettime \u2190 std::chrono::_V2::steady_clock::now "
                   "\u2190 ns::w::make_behavior \u2190 \u2026");
}

Test(show, a_stack_wholly_in_the_runtimes_reads_in_order)
{
  const char *internal[] = {
      "pthread_cond_wait+0x10 (libc.so.6)",
      "caf::detail::thread_safe_actor_clock::run()+0x5 "
      "(libcaf_core.so.0.17.6)",
      "caf::scheduler::abstract_coordinator::start()+0x9 (libcaf_core.so.0.17.6)",
      "caf::actor_system::actor_system(caf::actor_system_config&)+0x3 (libcaf_core.so.0.17.6)",
      "0x1098eb (libc.so.6)"};
  cr_assert_str_eq(show_line_of(internal, 5),
                   "pthread_cond_wait \u2190 caf::detail::thread_safe_actor_clock::run \u2190 "
                   "caf::scheduler::abstract_coordinator::start \u2190 \u2026");
  const char *none[] = {"0x7bd (linux-vdso.so.1)", "0x8612a (libc.so.6)"};
  cr_assert_str_eq(show_line_of(none, 2), "");
}

/* A template actor's handler: its argument lists elided from the deepest (brackets kept), not
 * cut in the middle; a lambda's own frame under CAF's wrapper of it is not shown twice. */
Test(show, a_template_actor_s_handler_reads_whole_once)
{
  const char *frames[] = {
      "nanosleep+0x12 (libc.so.6)",
      "billing::worker<std::map<std::__cxx11::basic_string<char, std::char_traits<char>, "
      "std::allocator<char> >, int, std::less<std::__cxx11::basic_string<char, "
      "std::char_traits<char>, std::allocator<char> > > > >(caf::event_based_actor*)::{lambda("
      "caf::atom_constant<'go'>)#1}::operator()(caf::atom_constant<'go'>) const+0x2a (tmpl)",
      "caf::trivial_match_case<billing::worker<std::map<std::__cxx11::basic_string<char, "
      "std::char_traits<...>, std::allocator<...> >, int, std::less<std::__cxx11::basic_string<"
      "...> > > >(caf::event_based_actor*)::{lambda(caf::atom_constant<'go'>)#1}>::invoke(caf::"
      "detail::invoke_result_visitor&, caf::type_erased_tuple&)+0xb7 (tmpl)",
      "caf::detail::behavior_impl::invoke(caf::detail::invoke_result_visitor&, "
      "caf::type_erased_tuple&)+0x57 (libcaf_core.so.0.17.6)"};
  cr_assert_str_eq(show_line_of(frames, 4),
                   "nanosleep \u2190 billing::worker<std::map<...> > \u2190 \u2026");
}

/* A stack frame's long C++ name is shortened in place, deepest template arguments first; one
 * whose angle brackets are no template's is left for the cut in the middle. */
Test(show, cxx_names_lose_their_deepest_template_arguments_first)
{
  char name[] = "ns::f<std::map<std::basic_string<char>, std::vector<int> >, long>(int)";
  cr_assert(as_cxxname_elide_templates(name, 69)); /* "<int>" would be no shorter */
  cr_assert_str_eq(name, "ns::f<std::map<std::basic_string<...>, std::vector<int> >, long>(int)");
  cr_assert(as_cxxname_elide_templates(name, 31));
  cr_assert_str_eq(name, "ns::f<std::map<...>, long>(int)");
  cr_assert(as_cxxname_elide_templates(name, 16));
  cr_assert_str_eq(name, "ns::f<...>(int)");
  char small[] = "ns::f<ab>(int)"; /* "<...>" would be no shorter */
  cr_assert_not(as_cxxname_elide_templates(small, 5));
  cr_assert_str_eq(small, "ns::f<ab>(int)");
  char op[] = "ns::operator<(ns::value<int> const&, ns::value<int> const&)";
  cr_assert_not(as_cxxname_elide_templates(op, 20));
  cr_assert_str_eq(op, "ns::operator<(ns::value<int> const&, ns::value<int> const&)");
}

/* -Og keeps CAF's apply_args out of line: its symbol starts with its return type's decltype. */
Test(show, a_frame_whose_name_starts_with_decltype_reads_as_its_function)
{
  const char *frames[] = {
      "nanosleep+0x12 (libc.so.6)",
      "decltype ({parm#1}(...)) caf::detail::apply_args<billing::worker::{lambda()#1}&, 0l>("
      "billing::worker::{lambda()#1}&, caf::detail::int_list<0l>, caf::message&)+0x1a (short_Og)",
      "billing::worker(caf::event_based_actor*)::{lambda(int)#1}::operator()(int) const+0x9 "
      "(short_Og)"};
  cr_assert_str_eq(show_line_of(frames, 3),
                   "nanosleep \u2190 caf::detail::apply_args<billing::worker::{lambda()#1}&, 0l> "
                   "\u2190 billing::worker");
  char name[] = "caf::behavior ns::f<int>(caf::event_based_actor*)";
  as_cxxname_function(name);
  cr_assert_str_eq(name, "ns::f<int>");
}
