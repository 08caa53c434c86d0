/* format/program.c: the name people know a traced program by, from its executable and argv. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <string.h>

#include "program.h"

struct program_case {
  char program[48];
  char argv[8][40];
  char expected[48];
};

ParameterizedTestParameters(program, an_interpreter_is_named_by_its_script)
{
  static struct program_case cases[] = {
      {"/work/build/tests/programs/czmq_demo", {"./czmq_demo", "3"}, "czmq_demo"},
      {"/usr/bin/python3.11",
       {"/usr/bin/python3", "build/tests/programs/broker_pubsub.py", "5"},
       "broker_pubsub.py (python3.11)"},
      {"/usr/bin/python3.11",
       {"python3", "-u", "-X", "dev", "-W", "ignore", "brk_long.py"},
       "brk_long.py (python3.11)"},
      {"/usr/bin/python3.11", {"python3", "-uBWignore", "app.py"}, "app.py (python3.11)"},
      {"/usr/bin/python3.11", {"python3", "-m", "http.server", "8000"}, "http.server (python3.11)"},
      {"/usr/bin/python3.11", {"python3", "-mzmq.eventloop"}, "zmq.eventloop (python3.11)"},
      {"/usr/bin/python3.11", {"python3", "-c", "import broker; main()", "x.py"}, "python3.11"},
      {"/usr/bin/python3.11", {"python3"}, "python3.11"},
      {"/usr/bin/python3.11", {"python3", "-", "arg"}, "python3.11"},
      {"/usr/bin/python3.11", {"python3", "--", "job.py"}, "job.py (python3.11)"},
      {"/usr/bin/perl",
       {"perl", "-w", "-Ilib", "-MData::Dumper", "bin/worker.pl"},
       "worker.pl (perl)"},
      {"/usr/bin/perl", {"perl", "-I", "lib", "tool.pl"}, "tool.pl (perl)"},
      {"/usr/bin/perl", {"perl", "-we", "print 1", "x.pl"}, "perl"},
      {"/usr/bin/ruby3.1",
       {"ruby", "-r", "bundler/setup", "-W0", "server.rb"},
       "server.rb (ruby3.1)"},
      {"/usr/bin/node",
       {"node", "--max-old-space-size=4096", "-r", "dotenv/config", "srv.js"},
       "srv.js (node)"},
      {"/usr/bin/node", {"node", "--require", "ts-node/register", "srv.ts"}, "srv.ts (node)"},
      {"/usr/bin/node", {"node", "--eval", "1+1"}, "node"},
      {"/usr/bin/bash", {"bash", "-euo", "pipefail", "/opt/run.sh", "a"}, "run.sh (bash)"},
      {"/usr/bin/dash", {"/bin/sh", "+x", "./start.sh"}, "start.sh (dash)"},
      {"/usr/bin/dash", {"sh", "-c", "exec ./x", "name"}, "dash"},
      {"/usr/bin/bash", {"bash", "-s", "arg"}, "bash"},
      {"/usr/bin/bash", {"bash", "--norc", "--rcfile", "rc", "s.sh"}, "s.sh (bash)"},
      {"/usr/local/bin/python3-config", {"python3-config", "x.py"}, "python3-config"},
      {"/opt/pythonic/app", {"app", "x.py"}, "app"},
      {"", {"/usr/bin/python3", "svc.py"}, "svc.py (python3)"},
      {"", {""}, ""},
  };
  return cr_make_param_array(struct program_case, cases, sizeof cases / sizeof cases[0]);
}

ParameterizedTest(struct program_case *c, program, an_interpreter_is_named_by_its_script)
{
  const char *argv[8];
  size_t argc = 0;
  while (argc < 8 && (argc == 0 || c->argv[argc][0]))
    argv[argc] = c->argv[argc], argc++;
  char out[AS_PROGRAM_NAME_MAX];
  cr_expect_str_eq(as_program_name(c->program, argv, argc, out, sizeof out), c->expected,
                   "%s %s %s", c->program, c->argv[0], c->argv[1]);
}

Test(program, no_program_and_no_argv_is_nothing)
{
  char out[16] = "x";
  cr_expect_str_eq(as_program_name(NULL, NULL, 0, out, sizeof out), "");
  cr_expect_str_eq(as_program_name("/usr/bin/python3",
                                   (const char *const[]){"python3", "a_very_long_script_name.py"},
                                   2, out, sizeof out),
                   "a_very_long_scr", "cut to the buffer");
}
