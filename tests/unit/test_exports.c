/* The library exports exactly the hooked symbols: the hook lists (hooks/caf_symbols.h,
 * hooks/czmq_symbols.h, hooks/process_symbols.h), preload/exports.map and the dynamic symbol table of the built
 * libactorscope.so (nm -D) name the same set. An exported helper would interpose on the
 * host; a hook missing from the map would never run. */
#include "caf_symbols.h"
#include "czmq_symbols.h"
#include "process_symbols.h"
#include "process_symbols.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAMES_MAX 256

struct names {
  char *name[NAMES_MAX];
  size_t count;
};

static void names_add(struct names *n, const char *name, size_t len)
{
  cr_assert_lt(n->count, NAMES_MAX);
  n->name[n->count++] = strndup(name, len);
}

static int names_has(const struct names *n, const char *name)
{
  for (size_t i = 0; i < n->count; i++)
    if (strcmp(n->name[i], name) == 0)
      return 1;
  return 0;
}

static void names_free(struct names *n)
{
  for (size_t i = 0; i < n->count; i++)
    free(n->name[i]);
  n->count = 0;
}

static void hooked_names(struct names *out)
{
#define ADD_CAF(sym, what) names_add(out, #sym, strlen(#sym));
#define ADD_NAME(sym) names_add(out, #sym, strlen(#sym));
  CAF_CORE_HOOKS(ADD_CAF)
  CAF_IO_HOOKS(ADD_CAF)
  CZMQ_HOOKS(ADD_NAME)
  PROCESS_HOOKS(ADD_NAME)
  /* The documented entry points, which are no hooks (preload/attach.h). */
  names_add(out, "actorscope_attach", strlen("actorscope_attach"));
}

/* The names in the version script's global: section. */
static void map_names(struct names *out)
{
  FILE *f = fopen(AS_EXPORTS_MAP, "r");
  cr_assert_not_null(f, "cannot read %s", AS_EXPORTS_MAP);
  char line[1024];
  int in_global = 0;
  while (fgets(line, sizeof line, f)) {
    char *comment = strstr(line, "/*");
    if (comment)
      *comment = '\0';
    if (strstr(line, "global:")) {
      in_global = 1;
      continue;
    }
    if (strstr(line, "local:"))
      break;
    for (char *p = line; in_global && *p;) {
      size_t skip = strspn(p, " \t\n;{}");
      p += skip;
      size_t len = strcspn(p, " \t\n;{}");
      if (len)
        names_add(out, p, len);
      p += len;
    }
  }
  fclose(f);
}

/* Symbols the built library defines in its dynamic symbol table. */
static void library_names(struct names *out)
{
  FILE *p = popen("nm -D --defined-only '" AS_TEST_PRELOAD "'", "r");
  cr_assert_not_null(p);
  char line[1024];
  while (fgets(line, sizeof line, p)) {
    char value[64], type[8], name[900];
    if (sscanf(line, "%63s %7s %899s", value, type, name) != 3)
      continue;
    /* The version script's own version node is no function. */
    if (strcmp(type, "A") == 0)
      continue;
    names_add(out, name, strlen(name));
  }
  cr_assert_eq(pclose(p), 0, "nm -D failed on %s", AS_TEST_PRELOAD);
}

static void assert_same(const struct names *a, const char *a_what, const struct names *b,
                        const char *b_what)
{
  for (size_t i = 0; i < a->count; i++)
    cr_expect(names_has(b, a->name[i]), "%s has %s, %s has not", a_what, a->name[i], b_what);
  for (size_t i = 0; i < b->count; i++)
    cr_expect(names_has(a, b->name[i]), "%s has %s, %s has not", b_what, b->name[i], a_what);
}

Test(exports, the_map_the_library_and_the_hook_lists_name_the_same_symbols)
{
  struct names hooked = {0}, map = {0}, library = {0};
  hooked_names(&hooked);
  map_names(&map);
  library_names(&library);
  cr_assert_gt(hooked.count, 30);
  assert_same(&hooked, "the hook lists", &map, "exports.map");
  assert_same(&hooked, "the hook lists", &library, "libactorscope.so");
  names_free(&hooked);
  names_free(&map);
  names_free(&library);
}
