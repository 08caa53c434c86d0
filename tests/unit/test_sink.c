#include "harness.h"
#include "sink.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static struct as_config unix_config(const char *name)
{
  struct as_config cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.output_kind = AS_OUTPUT_UNIX;
  snprintf(cfg.output_path, sizeof cfg.output_path, "/tmp/actorscope-%s-%d.sock", name, (int)getpid());
  return cfg;
}

static struct as_config file_config(const char *path)
{
  struct as_config cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.output_kind = AS_OUTPUT_FILE;
  snprintf(cfg.output_path, sizeof cfg.output_path, "%s", path);
  return cfg;
}

Test(sink, a_file_is_created_at_the_first_write_with_the_header_first)
{
  char dir[] = "/tmp/actorscope-sink-XXXXXX";
  cr_assert_not_null(mkdtemp(dir));
  char tmpl[128], path[128];
  snprintf(tmpl, sizeof tmpl, "%s/out.%%p.jsonl", dir);
  snprintf(path, sizeof path, "%s/out.4242.jsonl", dir);
  struct as_config cfg = file_config(tmpl);
  struct as_sink *sink = NULL;
  struct as_error err;
  cr_assert_eq(as_sink_open(&sink, &cfg, 4242, &err), 0);
  cr_assert_eq(access(path, F_OK), -1, "created before anything was written");
  as_sink_set_header(sink, "{\"type\":\"header\"}");
  cr_assert_eq(as_sink_write_line(sink, "{\"seq\":0}", &err), 0);
  /* A long line goes out in parts; the file gets it whole. */
  cr_assert_eq(as_sink_write_part(sink, "{\"seq\"", 6, &err), 0);
  cr_assert_eq(as_sink_write_part(sink, ":1}", 3, &err), 0);
  cr_assert_eq(as_sink_end_line(sink, &err), 0);
  as_sink_close(sink);
  char *text = as_test_read_file(path);
  cr_assert_str_eq(text, "{\"type\":\"header\"}\n{\"seq\":0}\n{\"seq\":1}\n");
  free(text);
  unlink(path);
  rmdir(dir);
}

Test(sink, a_write_error_is_described_and_the_sink_stays_off)
{
  struct as_config cfg = file_config("/dev/full");
  struct as_sink *sink = NULL;
  struct as_error err = {""};
  cr_assert_eq(as_sink_open(&sink, &cfg, 1, &err), 0);
  cr_assert_eq(as_sink_write_line(sink, "{}", &err), -ENOSPC);
  cr_assert_not_null(strstr(err.text, "/dev/full"), "%s", err.text);
  cr_assert_eq(as_sink_write_line(sink, "{}", &err), -EIO);
  as_sink_close(sink);
}

Test(sink, a_unix_socket_is_private_and_removed_at_close)
{
  struct as_config cfg = unix_config("unit");
  struct as_sink *sink = NULL;
  struct as_error err;
  cr_assert_eq(as_sink_open(&sink, &cfg, 1, &err), 0, "%s", err.text);
  struct stat st;
  cr_assert_eq(stat(cfg.output_path, &st), 0);
  cr_assert_eq(st.st_mode & 0777, 0600);
  /* No client: writing is not an error. */
  cr_assert_eq(as_sink_write_line(sink, "{}", &err), 0);
  as_sink_close(sink);
  cr_assert_eq(access(cfg.output_path, F_OK), -1);
}

Test(sink, a_client_connecting_in_the_middle_of_a_line_gets_only_whole_lines)
{
  struct as_config cfg = unix_config("parts");
  struct as_sink *sink = NULL;
  struct as_error err;
  cr_assert_eq(as_sink_open(&sink, &cfg, 1, &err), 0, "%s", err.text);
  as_sink_set_header(sink, "{\"type\":\"header\"}");
  cr_assert_eq(as_sink_write_part(sink, "{\"seq\"", 6, &err), 0);
  int client = socket(AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  snprintf(addr.sun_path, sizeof addr.sun_path, "%.107s", cfg.output_path);
  cr_assert_eq(connect(client, (struct sockaddr *)&addr, sizeof addr), 0);
  cr_assert_eq(as_sink_write_part(sink, ":0}", 3, &err), 0);
  cr_assert_eq(as_sink_end_line(sink, &err), 0);
  cr_assert_eq(as_sink_write_line(sink, "{\"seq\":1}", &err), 0);
  as_sink_close(sink);
  char buf[256] = "";
  size_t n = 0;
  ssize_t got;
  while ((got = read(client, buf + n, sizeof buf - 1 - n)) > 0)
    n += (size_t)got;
  buf[n] = '\0';
  close(client);
  cr_assert_str_eq(buf, "{\"type\":\"header\"}\n{\"seq\":1}\n");
}
