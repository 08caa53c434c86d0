/* The destination grammar shared by the tracer, `run` and the reader (format/destination.c). */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "destination.h"
#include "format.h"

static struct as_dest dest;
static char why[256];

static int parse(const char *text, const char *cwd)
{
  why[0] = '\0';
  return as_dest_parse(&dest, text, cwd, why, sizeof why);
}

Test(destination, file_paths_are_joined_to_the_start_directory_unless_absolute)
{
  cr_assert_eq(parse("file:out/%p.jsonl", "/srv/app"), 0);
  cr_expect_eq(dest.kind, AS_DEST_FILE);
  cr_expect_str_eq(dest.path, "/srv/app/out/%p.jsonl");
  cr_assert_eq(parse("file:/tmp/x.jsonl", "/srv/app"), 0);
  cr_expect_str_eq(dest.path, "/tmp/x.jsonl");
  cr_assert_eq(parse("file:rel.jsonl", NULL), 0);
  cr_expect_str_eq(dest.path, "rel.jsonl");
  cr_expect_eq(parse("file:", "/"), -EINVAL);
  cr_expect_str_eq(why, "the path is empty");
}

Test(destination, unix_paths_must_fit_a_sockaddr)
{
  cr_assert_eq(parse("unix:/tmp/a.sock", NULL), 0);
  cr_expect_eq(dest.kind, AS_DEST_UNIX);
  cr_expect_str_eq(dest.path, "/tmp/a.sock");
  char text[200] = "unix:/";
  memset(text + 6, 'a', 110);
  cr_expect_eq(parse(text, NULL), -EINVAL);
  cr_expect(strstr(why, "108") != NULL, "%s", why);
}

Test(destination, tcp_takes_a_port_a_host_and_port_or_a_bracketed_ipv6_address)
{
  cr_assert_eq(parse("tcp:7000", NULL), 0);
  cr_expect_eq(dest.kind, AS_DEST_TCP);
  cr_expect_str_eq(dest.host, "127.0.0.1");
  cr_expect_eq(dest.port, 7000);
  cr_assert_eq(parse("tcp:example.org:65535", NULL), 0);
  cr_expect_str_eq(dest.host, "example.org");
  cr_expect_eq(dest.port, 65535);
  cr_assert_eq(parse("tcp:[::1]:0", NULL), 0);
  cr_expect_str_eq(dest.host, "::1");
  cr_expect_eq(dest.port, 0);
  cr_assert_eq(parse("tcp:[fe80::1%eth0]:9", NULL), 0);
  cr_expect_str_eq(dest.host, "fe80::1%eth0");
}

Test(destination, tcp_refuses_what_it_cannot_read_unambiguously)
{
  const char *bad[] = {"tcp:",
                       "tcp:65536",
                       "tcp:-1",
                       "tcp:12a",
                       "tcp::7000",
                       "tcp:host:",
                       "tcp:[::1]",
                       "tcp:[::1]7000",
                       "tcp:[]:7000",
                       "tcp:[::1:7000",
                       "tcp:99999999999999999999"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    cr_expect_eq(parse(bad[i], NULL), -EINVAL, "%s was accepted", bad[i]);
  cr_expect_eq(parse("tcp:::1:7000", NULL), -EINVAL);
  cr_expect(strstr(why, "brackets") != NULL, "%s", why);
}

Test(destination, unknown_schemes_say_what_is_accepted)
{
  cr_expect_eq(parse("udp:7000", NULL), -EINVAL);
  cr_expect_str_eq(why, "expected file:PATH, unix:PATH or tcp:[HOST:]PORT");
  cr_expect_eq(parse("/plain/path", NULL), -EINVAL);
  cr_expect(as_dest_is_socket("unix:/x"));
  cr_expect(as_dest_is_socket("tcp:1"));
  cr_expect(!as_dest_is_socket("file:/x"));
  cr_expect(!as_dest_is_socket("run.jsonl"));
}

Test(destination, formatting_gives_back_text_that_parses_the_same)
{
  char text[300];
  cr_assert_eq(parse("tcp:[::1]:7000", NULL), 0);
  cr_assert_eq(as_dest_format(&dest, text, sizeof text), 0);
  cr_expect_str_eq(text, "tcp:[::1]:7000");
  cr_assert_eq(parse("tcp:9", NULL), 0);
  cr_assert_eq(as_dest_format(&dest, text, sizeof text), 0);
  cr_expect_str_eq(text, "tcp:127.0.0.1:9");
  cr_expect_eq(as_dest_format(&dest, text, 5), -ENAMETOOLONG);
}

Test(destination, percent_p_expands_to_the_pid_and_overflow_is_refused)
{
  char out[32];
  cr_assert_eq(as_dest_expand_path("/t/a.%p.jsonl", 4242, out, sizeof out), 0);
  cr_expect_str_eq(out, "/t/a.4242.jsonl");
  cr_assert_eq(as_dest_expand_path("%p%p%", 7, out, sizeof out), 0);
  cr_expect_str_eq(out, "77%");
  cr_expect_eq(as_dest_expand_path("/a/very/long/path/name/x.%p.jsonl", 1, out, sizeof out),
               -ENAMETOOLONG);
  cr_expect_eq(as_dest_expand_path("%p", 123456, out, 4), -ENAMETOOLONG);
  cr_expect(as_dest_path_is_per_process("x.%p"));
  cr_expect(!as_dest_path_is_per_process("x.p"));
}

Test(destination, vocabularies_round_trip)
{
  enum as_status s;
  cr_assert_eq(as_status_parse("stopping", 8, &s), 0);
  cr_expect_eq(s, AS_STATUS_STOPPING);
  cr_expect_str_eq(as_status_name(s), "stopping");
  cr_expect_eq(as_status_parse("stop", 4, &s), -1);
  cr_expect_null(as_status_name(AS_STATUS_COUNT));
  cr_expect_eq(as_runtime_parse("caf", 3), AS_RUNTIME_CAF);
  cr_expect_eq(as_runtime_parse("pony", 4), AS_RUNTIME_OTHER);
  enum as_wait_kind k;
  cr_expect_eq(as_wait_kind_parse("signal", 6, &k), 0);
  cr_expect_eq(k, AS_WAIT_SIGNAL);
  cr_expect_null(as_wait_kind_name(AS_WAIT_NONE));
  cr_expect_eq(as_wait_kind_parse("", 0, &k), -1);
}

Test(destination, rotated_names_put_the_number_before_the_last_extension)
{
  char out[64];
  cr_assert_eq(as_dest_rotated_name("/t/actorscope.42.jsonl", 1, out, sizeof out), 0);
  cr_expect_str_eq(out, "/t/actorscope.42.1.jsonl");
  cr_assert_eq(as_dest_rotated_name("/a.b/run", 12, out, sizeof out), 0);
  cr_expect_str_eq(out, "/a.b/run.12");
  cr_assert_eq(as_dest_rotated_name(".hidden", 3, out, sizeof out), 0);
  cr_expect_str_eq(out, ".hidden.3");
  cr_expect_eq(as_dest_rotated_name("/a/very/long/name.jsonl", 1, out, 10), -ENAMETOOLONG);
}
