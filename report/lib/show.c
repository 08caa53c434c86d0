#include "show.h"
#include "cxxname.h"
#include "format.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Bytes of NAME from AT backed off (BACK) or moved on to a UTF-8 character's start. */
static size_t show_char_start(const char *name, size_t at, int back)
{
  while (at > 0 && ((unsigned char)name[at] & 0xc0) == 0x80)
    at += back ? (size_t)-1 : 1;
  return at;
}

static size_t show_put_clean(char *buf, const char *from, size_t n)
{
  for (size_t i = 0; i < n; i++)
    buf[i] = (unsigned char)from[i] < 0x20 || from[i] == 0x7f ? '?' : from[i];
  return n;
}

const char *show_name(const char *name, size_t max, char *buf, size_t len)
{
  size_t n = strlen(name);
  if (max + 4 > len)
    max = len - 4;
  if (n <= max) {
    buf[show_put_clean(buf, name, n)] = '\0';
    return buf;
  }
  /* The middle goes: namespaced names that share a long start differ at their end
   * (company::ingestion::decoder_a, ..._b), and a cut end made them read the same. A third
   * of what shows is the start, the rest the end. */
  size_t room = max - 3, head = show_char_start(name, room / 3, 1);
  size_t tail_from = show_char_start(name, n - (room - head), 0);
  size_t at = show_put_clean(buf, name, head);
  memcpy(buf + at, "...", 3);
  at += 3;
  at += show_put_clean(buf + at, name + tail_from, n - tail_from);
  buf[at] = '\0';
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

int show_field(const char *text, int width)
{
  for (const unsigned char *p = (const unsigned char *)text; *p; p++)
    width += (*p & 0xc0) == 0x80; /* a continuation byte: no column of its own */
  return width;
}

size_t show_columns(const char *text) { return strlen(text) - (size_t)show_field(text, 0); }

/* ---- durations ----------------------------------------------------------------------------- */

static const int64_t show_pow10[] = {1,
                                     10,
                                     100,
                                     1000,
                                     10000,
                                     100000,
                                     1000000,
                                     10000000,
                                     100000000,
                                     1000000000,
                                     10000000000,
                                     100000000000,
                                     1000000000000,
                                     10000000000000,
                                     100000000000000,
                                     1000000000000000,
                                     10000000000000000,
                                     100000000000000000,
                                     1000000000000000000};

static int show_digit_count(uint64_t v)
{
  int k = 1;
  while (k < 19 && v >= (uint64_t)show_pow10[k])
    k++;
  return v >= 10000000000000000000ull ? 20 : k;
}

/* ABS rounded to DIGITS significant digits: *MANTISSA has *SHOWN digits (at most DIGITS; fewer
 * when ABS has fewer) and the value is *MANTISSA * 10^(*DIGITS_OF_VALUE - *SHOWN). */
static void show_round(uint64_t abs, int digits, uint64_t *mantissa, int *shown, int *k)
{
  *k = show_digit_count(abs);
  *shown = *k < digits ? *k : digits;
  int drop = *k - *shown;
  if (drop == 0) {
    *mantissa = abs;
    return;
  }
  uint64_t scale = (uint64_t)show_pow10[drop]; /* drop <= 17: DIGITS >= 3, 20 digits at most */
  *mantissa = abs / scale + (abs % scale >= scale / 2 ? 1 : 0);
  if (*mantissa == (uint64_t)show_pow10[*shown]) { /* 99.96 -> 100.0: one digit more */
    *mantissa /= 10;
    (*k)++;
  }
}

/* ABS nanoseconds (1000 s or more) in whole seconds rounded as the long forms show them: to the
 * second below an hour, the minute below 100 hours, else the hour. */
static uint64_t show_long_seconds(uint64_t abs)
{
  uint64_t sec = abs / 1000000000u + (abs % 1000000000u >= 500000000u);
  if (sec >= 3600)
    sec = (sec + 30) / 60 * 60;
  if (sec >= 100 * 3600)
    sec = (sec + 1800) / 3600 * 3600;
  return sec;
}

static const char *show_unit_name(int exponent)
{
  switch (exponent) {
  case 0: return "ns";
  case 3: return "\xc2\xb5s";
  case 6: return "ms";
  default: return "s";
  }
}

static const char *show_duration_digits(int64_t ns, int digits, unsigned flags, char *buf,
                                        size_t len)
{
  if (!len)
    return buf;
  digits = digits < 3 ? 3 : digits > 15 ? 15 : digits;
  const char *sign = ns < 0 ? "-" : flags & SHOW_DURATION_SIGN ? "+" : "";
  const char *space = flags & SHOW_DURATION_COMPACT ? "" : " ";
  uint64_t abs = ns < 0 ? (uint64_t)0 - (uint64_t)ns : (uint64_t)ns, mantissa;
  int shown, k;
  show_round(abs, digits, &mantissa, &shown, &k);
  if (k > 12 && digits == 3) {
    /* 1000 s and more: minutes and seconds, hours and minutes, days and hours. */
    uint64_t sec = show_long_seconds(abs);
    if (sec < 3600)
      snprintf(buf, len, "%s%llum%02llus", sign, (unsigned long long)(sec / 60),
               (unsigned long long)(sec % 60));
    else if (sec < 100 * 3600)
      snprintf(buf, len, "%s%lluh%02llum", sign, (unsigned long long)(sec / 3600),
               (unsigned long long)(sec / 60 % 60));
    else
      snprintf(buf, len, "%s%llud%02lluh", sign, (unsigned long long)(sec / 86400),
               (unsigned long long)(sec / 3600 % 24));
    return buf;
  }
  /* The unit: the largest of ns, µs, ms, s that leaves at least one digit before the point. */
  int exponent = k > 9 ? 9 : (k - 1) / 3 * 3;
  int whole = k - exponent; /* digits before the point (1 to 3; more for seconds) */
  char digits_text[24];
  snprintf(digits_text, sizeof digits_text, "%llu", (unsigned long long)mantissa);
  if (shown > whole)
    snprintf(buf, len, "%s%.*s.%s%s%s", sign, whole, digits_text, digits_text + whole, space,
             show_unit_name(exponent));
  else /* a whole number of the unit: the digits the rounding dropped are zeros */
    snprintf(buf, len, "%s%s%.*s%s%s", sign, digits_text, whole - shown, "000000000000000000000",
             space, show_unit_name(exponent));
  return buf;
}

const char *show_duration(int64_t ns, unsigned flags, char *buf, size_t len)
{
  return show_duration_digits(ns, 3, flags, buf, len);
}

/* NS as show_duration_digits writes it, rounded. */
static int64_t show_duration_rounded(int64_t ns, int digits)
{
  uint64_t abs = ns < 0 ? (uint64_t)0 - (uint64_t)ns : (uint64_t)ns, mantissa;
  int shown, k;
  show_round(abs, digits, &mantissa, &shown, &k);
  uint64_t v = k > 12 && digits == 3 ? show_long_seconds(abs) * 1000000000u
                                     : mantissa * (uint64_t)show_pow10[k - shown];
  if (v > INT64_MAX)
    v = INT64_MAX;
  return ns < 0 ? -(int64_t)v : (int64_t)v;
}

const char *show_duration_above(int64_t ns, int64_t limit_ns, unsigned flags, char *buf, size_t len)
{
  int digits = 3;
  while (digits < 15 && ns > limit_ns && show_duration_rounded(ns, digits) <= limit_ns)
    digits++;
  return show_duration_digits(ns, digits, flags, buf, len);
}

struct show_unit show_duration_unit(int64_t max_ns)
{
  uint64_t abs = max_ns < 0 ? (uint64_t)0 - (uint64_t)max_ns : (uint64_t)max_ns, mantissa;
  int shown, k;
  show_round(abs, 3, &mantissa, &shown, &k);
  int exponent = k > 9 ? 9 : (k - 1) / 3 * 3;
  return (struct show_unit){show_unit_name(exponent), show_pow10[exponent]};
}

/* Room for a frame's function: CAF's handler wrapper holds the program's whole lambda type. */
#define SHOW_STACK_NAME_WIDTH 80
#define SHOW_FRAME_FUNCTION_MAX 1024

/* The function of a frame "fn+0xOFF (object)" without its parameters, CAF's handler wrapper
 * unwrapped; -1 for "0xOFF (object)". */
static int show_frame_function(const char *frame, char *out, size_t len)
{
  if (strncmp(frame, "0x", 2) == 0)
    return -1;
  const char *plus = strstr(frame, "+0x");
  size_t n = plus ? (size_t)(plus - frame) : strcspn(frame, " ");
  if (n == 0)
    return -1;
  snprintf(out, len, "%.*s", (int)(n < len - 1 ? n : len - 1), frame);
  as_cxxname_function(out);
  as_cxxname_unwrap_handler(out);
  return 0;
}

/* Whether a frame lies in one of the objects listed: "(libc.so.6)" ends the frame. */
static int show_frame_in(const char *frame, const char *const *objects, size_t n)
{
  const char *object = strrchr(frame, '(');
  for (size_t i = 0; object && i < n; i++)
    if (strncmp(object, objects[i], strlen(objects[i])) == 0)
      return 1;
  return 0;
}

/* The objects of code the program calls rather than its own: the C library first (its first
 * SHOW_LIBC_OBJECTS), then the C++ runtime, the kernel's vDSO and the actor runtimes. */
#define SHOW_LIBC_OBJECTS 3
static const char *const show_runtime_objects[] = {
    "(libc.so",     "(libpthread.so", "(ld-linux", "(linux-vdso", "(libstdc++.so",
    "(libgcc_s.so", "(libm.so",       "(libcaf_",  "(libczmq.so", "(libzmq.so"};

static int show_frame_in_libc(const char *frame)
{
  return show_frame_in(frame, show_runtime_objects, SHOW_LIBC_OBJECTS);
}

static int show_frame_in_runtime(const char *frame)
{
  return show_frame_in(frame, show_runtime_objects,
                       sizeof show_runtime_objects / sizeof show_runtime_objects[0]);
}

/* Appends frame i's function to the line (seg: where the last one shown starts); 0 when it has
 * none, reads as the one before (a lambda's operator() under CAF's wrapper of it), or the line
 * is full. */
static int show_stack_add(const char *const *frames, size_t i, size_t shown, char *buf, size_t len,
                          size_t *at, size_t *seg)
{
  static const char arrow[] = " \u2190 ";
  char fn[SHOW_FRAME_FUNCTION_MAX], clean[208];
  if (show_frame_function(frames[i], fn, sizeof fn) < 0)
    return 0;
  as_cxxname_elide_templates(fn, SHOW_STACK_NAME_WIDTH); /* "billing::worker<std::map<...> >" */
  const char *name = show_name(fn, SHOW_STACK_NAME_WIDTH, clean, sizeof clean);
  if (shown && strcmp(buf + *seg, name) == 0)
    return 0;
  int w = snprintf(buf + *at, len - *at, "%s%s", shown ? arrow : "", name);
  if (w < 0 || (size_t)w >= len - *at) {
    buf[*at] = '\0';
    return 0;
  }
  *seg = *at + (shown ? sizeof arrow - 1 : 0);
  *at += (size_t)w;
  return 1;
}

const char *show_stack_line(const char *const *frames, size_t n, char *buf, size_t len)
{
  size_t at = 0, seg = 0, shown = 0, first = 0, last = 0;
  /* The C library's own frames on top (clock_nanosleep under nanosleep, __lll_lock_wait under
   * pthread_mutex_lock): the one its caller called stays. */
  while (first + 1 < n && show_frame_in_libc(frames[first]) &&
         show_frame_in_libc(frames[first + 1]))
    first++;
  buf[0] = '\0';
  if (len == 0)
    return buf;
  /* Where it is (the innermost named frame), then the program's own frames, each with the
   * runtime's function it called ("nanosleep <- zclock_sleep <- napper"): the runtime's
   * frames between them (CAF's dispatch, libstdc++'s clock) are in the whole stack. A stack
   * wholly in the runtimes shows its frames in order. */
  size_t i = first, called = SIZE_MAX;
  for (; i < n && !shown; i++)
    if (show_stack_add(frames, i, 0, buf, len, &at, &seg))
      shown = 1, last = i;
  int own = 0;
  for (size_t k = i; k < n && !own; k++)
    own = !show_frame_in_runtime(frames[k]) && strncmp(frames[k], "0x", 2) != 0;
  for (; i < n && shown < 3; i++) {
    if (own && show_frame_in_runtime(frames[i])) {
      if (strncmp(frames[i], "0x", 2) != 0)
        called = i;
      continue;
    }
    if (called != SIZE_MAX && show_stack_add(frames, called, shown, buf, len, &at, &seg))
      shown++, last = called;
    called = SIZE_MAX;
    if (shown < 3 && show_stack_add(frames, i, shown, buf, len, &at, &seg))
      shown++, last = i;
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
    snprintf(buf, len,
             "on a CPU, no stack (perf_event_open not allowed): spinning %.1f s of CPU in %.1f s",
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
