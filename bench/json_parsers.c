/* The parser choice for format/reader.c, measured: parse every line of a file with jansson
 * (json_loadb, one line at a time, the tree freed after each) or with yajl's SAX parser (null
 * callbacks, fed in 256 KiB chunks, no tree). Prints MB/s and peak RSS.
 *   bench_json_parsers jansson|yajl FILE */
#define _GNU_SOURCE
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <yajl/yajl_parse.h>

static int on_any(void *ctx) { return 1; }
static int on_int(void *ctx, long long v) { return 1; }
static int on_dbl(void *ctx, double v) { return 1; }
static int on_bool(void *ctx, int v) { return 1; }
static int on_str(void *ctx, const unsigned char *s, size_t n) { return 1; }

int main(int argc, char **argv)
{
  if (argc != 3)
    return 2;
  FILE *f = fopen(argv[2], "r");
  if (!f)
    return 2;
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  size_t total = 0;
  if (strcmp(argv[1], "jansson") == 0) {
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, f)) > 0) {
      total += (size_t)len;
      json_error_t e;
      json_t *v = json_loadb(line, (size_t)len, 0, &e);
      if (!v)
        return fprintf(stderr, "jansson: %s\n", e.text), 1;
      json_decref(v);
    }
    free(line);
  } else {
    static const yajl_callbacks cb = {on_any, on_bool, on_int, on_dbl, NULL,  on_str,
                                      on_any, on_str,  on_any, on_any, on_any};
    static unsigned char buf[256 << 10];
    yajl_handle h = yajl_alloc(&cb, NULL, NULL);
    yajl_config(h, yajl_allow_multiple_values, 1);
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
      total += n;
      if (yajl_parse(h, buf, n) != yajl_status_ok)
        return fprintf(stderr, "yajl error\n"), 1;
    }
    yajl_complete_parse(h);
    yajl_free(h);
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  printf("%s: %.0f MB in %.2f s = %.0f MB/s, peak RSS %ld MB\n", argv[1], (double)total / 1e6, s,
         (double)total / 1e6 / s, ru.ru_maxrss / 1024);
  return 0;
}
