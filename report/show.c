#include "show.h"

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
