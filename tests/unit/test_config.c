#include "config.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *env_names[8];
static const char *env_values[8];

static const char *fake_lookup(const char *name)
{
  for (int i = 0; i < 8 && env_names[i]; i++)
    if (strcmp(env_names[i], name) == 0)
      return env_values[i];
  return NULL;
}

static void fake_env(const char *name, const char *value)
{
  memset(env_names, 0, sizeof env_names);
  env_names[0] = name;
  env_values[0] = value;
}

Test(config, defaults_when_nothing_is_set)
{
  fake_env(NULL, NULL);
  struct as_config cfg;
  struct as_error err;
  cr_assert_eq(as_config_parse(&cfg, fake_lookup, "/srv/app", &err), 0);
  cr_assert_eq(cfg.output.kind, AS_DEST_FILE);
  cr_assert_str_eq(cfg.output.path, "/srv/app/actorscope.%p.jsonl");
  cr_assert_eq(cfg.interval_ms, 500);
  cr_assert_eq(cfg.grave_ms, 5000);
  cr_assert_eq(cfg.stack_depth, 8);
  cr_assert_eq(cfg.stuck_ms, 1000); /* on: read from outside the thread, nothing reaches it */
}

Test(config, stuck_ms_takes_milliseconds_and_0_turns_it_off)
{
  struct as_config cfg;
  struct as_error err;
  fake_env("ACTORSCOPE_STUCK_MS", "0");
  cr_assert_eq(as_config_parse(&cfg, fake_lookup, "/", &err), 0);
  cr_assert_eq(cfg.stuck_ms, 0);
  fake_env("ACTORSCOPE_STUCK_MS", "86400000");
  cr_assert_eq(as_config_parse(&cfg, fake_lookup, "/", &err), 0);
  cr_assert_eq(cfg.stuck_ms, 86400000);
}

Test(config, relative_file_paths_become_absolute_and_absolute_ones_stay)
{
  struct as_config cfg;
  struct as_error err;
  fake_env("ACTORSCOPE_OUTPUT", "file:out/t.jsonl");
  cr_assert_eq(as_config_parse(&cfg, fake_lookup, "/home/u", &err), 0);
  cr_assert_str_eq(cfg.output.path, "/home/u/out/t.jsonl");
  fake_env("ACTORSCOPE_OUTPUT", "file:/var/log/t.jsonl");
  cr_assert_eq(as_config_parse(&cfg, fake_lookup, "/home/u", &err), 0);
  cr_assert_str_eq(cfg.output.path, "/var/log/t.jsonl");
}

Test(config, tcp_defaults_to_loopback_and_accepts_a_host)
{
  struct as_config cfg;
  struct as_error err;
  fake_env("ACTORSCOPE_OUTPUT", "tcp:7070");
  cr_assert_eq(as_config_parse(&cfg, fake_lookup, "/", &err), 0);
  cr_assert_eq(cfg.output.kind, AS_DEST_TCP);
  cr_assert_str_eq(cfg.output.host, "127.0.0.1");
  cr_assert_eq(cfg.output.port, 7070);
  fake_env("ACTORSCOPE_OUTPUT", "tcp:[::1]:81");
  cr_assert_eq(as_config_parse(&cfg, fake_lookup, "/", &err), 0);
  cr_assert_str_eq(cfg.output.host, "::1");
  cr_assert_eq(cfg.output.port, 81);
}

Test(config, unix_paths_longer_than_a_sockaddr_are_refused)
{
  struct as_config cfg;
  struct as_error err;
  char long_path[200] = "unix:/";
  memset(long_path + 6, 'x', 150);
  fake_env("ACTORSCOPE_OUTPUT", long_path);
  cr_assert_eq(as_config_parse(&cfg, fake_lookup, "/", &err), -EINVAL);
  cr_assert_not_null(strstr(err.text, "108"));
}

struct bad_value {
  const char *name, *value, *expect;
};

Test(config, each_bad_value_names_its_variable_and_what_it_accepts)
{
  const struct bad_value bad[] = {
      {"ACTORSCOPE_INTERVAL_MS", "0", "from 1 to 3600000"},
      {"ACTORSCOPE_INTERVAL_MS", "12ms", "from 1 to 3600000"},
      {"ACTORSCOPE_INTERVAL_MS", "", "from 1 to 3600000"},
      {"ACTORSCOPE_GRAVE_MS", "-1", "from 0 to 86400000"},
      {"ACTORSCOPE_STACK_DEPTH", "65", "from 0 to 64"},
      {"ACTORSCOPE_STUCK_MS", "86400001", "from 0 to 86400000"},
      {"ACTORSCOPE_STUCK_MS", "5s", "from 0 to 86400000"},
      {"ACTORSCOPE_STACK_DEPTH", "99999999999999999999", "from 0 to 64"},
      {"ACTORSCOPE_OUTPUT", "http://x", "file:PATH, unix:PATH or tcp:[HOST:]PORT"},
      {"ACTORSCOPE_OUTPUT", "file:", "the path is empty"},
      {"ACTORSCOPE_OUTPUT", "tcp:host:http", "PORT from 0 to 65535"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    struct as_config cfg;
    struct as_error err = {""};
    fake_env(bad[i].name, bad[i].value);
    cr_assert_eq(as_config_parse(&cfg, fake_lookup, "/", &err), -EINVAL, "%s=%s", bad[i].name,
                 bad[i].value);
    cr_assert_not_null(strstr(err.text, bad[i].name), "%s", err.text);
    cr_assert_not_null(strstr(err.text, bad[i].expect), "%s", err.text);
  }
}

/* A value of 100 KB is quoted by its start only: the line still says what is wrong (quoted
 * whole, the 256-byte line ended inside the value). */
Test(config, a_huge_bad_value_is_quoted_short_and_the_reason_survives)
{
  static char huge[100001];
  const struct bad_value bad[] = {
      {"ACTORSCOPE_MAILBOX_WAIT_EVERY", huge, "a power of two) from 1 to 1024"},
      {"ACTORSCOPE_EVENTS", huge, "expected 0 (off) or 1 (on)"},
      {"ACTORSCOPE_MAX_BYTES", huge, "optionally with K, M or G"},
  };
  memset(huge, '7', sizeof huge - 1);
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    struct as_config cfg;
    struct as_error err = {""};
    fake_env(bad[i].name, bad[i].value);
    cr_assert_eq(as_config_parse(&cfg, fake_lookup, "/", &err), -EINVAL, "%s", bad[i].name);
    cr_assert_not_null(strstr(err.text, "7777..."), "%s", err.text);
    cr_assert_not_null(strstr(err.text, bad[i].expect), "%s", err.text);
  }
}

/* ACTORSCOPE_TOKEN_FILE: the token from a file only its owner can read. */
static void token_file(char *path, size_t len, const char *text, mode_t mode)
{
  snprintf(path, len, "/tmp/actorscope-token-XXXXXX");
  int fd = mkstemp(path);
  cr_assert_geq(fd, 0);
  cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
  close(fd);
  cr_assert_eq(chmod(path, mode), 0);
}

Test(config, a_token_file_of_mode_0600_gives_the_token_without_its_newline)
{
  char path[64];
  token_file(path, sizeof path, "0123456789abcdef-secret\n", 0600);
  struct as_config cfg;
  struct as_error err;
  fake_env("ACTORSCOPE_TOKEN_FILE", path);
  cr_assert_eq(as_config_parse(&cfg, fake_lookup, "/", &err), 0, "%s", err.text);
  cr_assert_str_eq(cfg.token, "0123456789abcdef-secret");
  unlink(path);
}

Test(config, a_token_file_others_can_read_is_refused_and_never_echoed)
{
  char path[64];
  token_file(path, sizeof path, "0123456789abcdef-secret\n", 0644);
  struct as_config cfg;
  struct as_error err;
  fake_env("ACTORSCOPE_TOKEN_FILE", path);
  cr_assert_eq(as_config_parse(&cfg, fake_lookup, "/", &err), -EPERM);
  cr_assert_not_null(strstr(err.text, "mode 0644 lets others read it; chmod 600 it"), "%s",
                     err.text);
  cr_assert_null(strstr(err.text, "secret"));
  unlink(path);
}

Test(config, a_token_file_that_is_a_link_or_missing_is_refused)
{
  char path[64], link_path[80];
  token_file(path, sizeof path, "0123456789abcdef-secret\n", 0600);
  snprintf(link_path, sizeof link_path, "%s.link", path);
  cr_assert_eq(symlink(path, link_path), 0);
  struct as_config cfg;
  struct as_error err;
  fake_env("ACTORSCOPE_TOKEN_FILE", link_path);
  cr_assert_eq(as_config_parse(&cfg, fake_lookup, "/", &err), -ELOOP, "%s", err.text);
  cr_assert_not_null(strstr(err.text, "symbolic link"), "%s", err.text);
  fake_env("ACTORSCOPE_TOKEN_FILE", "/nonexistent/token");
  cr_assert_eq(as_config_parse(&cfg, fake_lookup, "/", &err), -ENOENT);
  unlink(link_path);
  unlink(path);
}

Test(config, token_and_token_file_together_are_refused)
{
  char path[64];
  token_file(path, sizeof path, "0123456789abcdef-secret", 0400);
  memset(env_names, 0, sizeof env_names);
  env_names[0] = "ACTORSCOPE_TOKEN_FILE";
  env_values[0] = path;
  env_names[1] = "ACTORSCOPE_TOKEN";
  env_values[1] = "0123456789abcdef-other";
  struct as_config cfg;
  struct as_error err;
  cr_assert_eq(as_config_parse(&cfg, fake_lookup, "/", &err), -EINVAL);
  cr_assert_not_null(strstr(err.text, "set one"), "%s", err.text);
  unlink(path);
}
