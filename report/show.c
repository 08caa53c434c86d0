#include "show.h"
#include "cxxname.h"
#include "format.h"

#include <stdint.h>

#include <stdio.h>
#include <string.h>

const char *show_name(const char *name, size_t max, char *buf, size_t len)
{
  size_t n = strlen(name), keep = n;
  if (max + 4 > len)
    max = len - 4;
  if (n > max) {
    keep = max - 3;
    while (keep > 0 && ((unsigned char)name[keep] & 0xc0) == 0x80)
      keep--; /* not inside a multi-byte character */
  }
  for (size_t i = 0; i < keep; i++)
    buf[i] = (unsigned char)name[i] < 0x20 || name[i] == 0x7f ? '?' : name[i];
  if (keep < n) {
    memcpy(buf + keep, "...", 3);
    keep += 3;
  }
  buf[keep] = '\0';
  return buf;
}

void show_clean(const char *text, FILE *out)
{
  for (const unsigned char *p = (const unsigned char *)text; *p; p++)
    fputc(*p < 0x20 || *p == 0x7f ? '?' : *p, out);
}

int show_spend(struct show_budget *b)
{
  if (b->left == 0) {
    b->skipped++;
    return 0;
  }
  b->left--;
  return 1;
}

void show_skipped(const struct show_budget *b, const char *what)
{
  if (b->skipped)
    printf("  ... and %zu more %s (--all prints every one)\n", b->skipped, what);
}

/* The function of a frame "fn+0xOFF (object)" without its parameters; -1 for "0xOFF (object)". */
static int show_frame_function(const char *frame, char *out, size_t len)
{
  if (strncmp(frame, "0x", 2) == 0)
    return -1;
  const char *plus = strstr(frame, "+0x");
  size_t n = plus ? (size_t)(plus - frame) : strcspn(frame, " ");
  if (n == 0)
    return -1;
  snprintf(out, len, "%.*s", (int)(n < 200 ? n : 200), frame);
  as_cxxname_strip_parameters(out);
  return 0;
}

static int show_frame_in_libc(const char *frame)
{
  const char *object = strrchr(frame, '(');
  return object && (strncmp(object, "(libc.so", 8) == 0 ||
                    strncmp(object, "(libpthread.so", 14) == 0 ||
                    strncmp(object, "(ld-linux", 9) == 0);
}

const char *show_stack_line(const char *const *frames, size_t n, char *buf, size_t len)
{
  size_t at = 0, shown = 0, first = 0, last = 0;
  /* The C library's own frames on top (clock_nanosleep under nanosleep, __lll_lock_wait under
   * pthread_mutex_lock): the one its caller called stays. */
  while (first + 1 < n && show_frame_in_libc(frames[first]) && show_frame_in_libc(frames[first + 1]))
    first++;
  buf[0] = '\0';
  for (size_t i = first; i < n && len > 0; i++) {
    char fn[208], clean[208];
    if (show_frame_function(frames[i], fn, sizeof fn) < 0)
      continue;
    if (shown == 3)
      break;
    int w = snprintf(buf + at, len - at, "%s%s", shown ? " \u2190 " : "",
                     show_name(fn, 80, clean, sizeof clean));
    if (w < 0 || (size_t)w >= len - at)
      break;
    at += (size_t)w;
    shown++;
    last = i;
  }
  /* More frames follow (named or not): the line says so. */
  if (shown && last + 1 < n)
    snprintf(buf + at, len - at, " \u2190 \u2026");
  return buf;
}

/* How far a stack goes: stack_complete, or why not (stack_end). */
static const char *show_stack_extent(int complete, const char *end)
{
  if (complete)
    return "complete";
  if (end && strcmp(end, AS_STACK_END_V_MOVED) == 0)
    return "the thread ran while it was read (frames may mix two moments)";
  if (end && strcmp(end, AS_STACK_END_V_DEPTH) == 0)
    return "its outer frames cut";
  return "unwinding stopped at the last frame shown";
}

const char *show_stack_source(const char *source, int complete, const char *end, int64_t cpu_ns,
                              int64_t cpu_window_ns, char *buf, size_t len)
{
  if (source && strcmp(source, AS_STACK_SOURCE_V_CPU) == 0)
    snprintf(buf, len, "on a CPU, no stack (perf_event_open not allowed): spinning %.1f s of CPU in %.1f s",
             (double)cpu_ns / 1e9, (double)cpu_window_ns / 1e9);
  else if (source && strcmp(source, AS_STACK_SOURCE_V_PERF) == 0)
    snprintf(buf, len, "stack sampled on a CPU (perf), %s; %.1f s of CPU in %.1f s",
             show_stack_extent(complete, end), (double)cpu_ns / 1e9, (double)cpu_window_ns / 1e9);
  else if (source && strcmp(source, AS_STACK_SOURCE_V_SYSCALL) == 0)
    snprintf(buf, len, "stack read from its system call, %s", show_stack_extent(complete, end));
  else
    snprintf(buf, len, "stack %s", show_stack_extent(complete, end));
  return buf;
}
