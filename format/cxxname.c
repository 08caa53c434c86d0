#include "cxxname.h"

#include <string.h>

int as_cxxname_strip_parameters(char *name)
{
  static const char anonymous[] = "(anonymous namespace)";
  int depth = 0;
  for (char *p = name; *p; p++) {
    if (*p == '<' || *p == '{')
      depth++;
    else if ((*p == '>' || *p == '}') && depth > 0)
      depth--;
    else if (*p == '(' && depth == 0) {
      if (strncmp(p, anonymous, sizeof anonymous - 1) == 0) {
        p += sizeof anonymous - 2;
        continue;
      }
      if (p - name >= 8 && strncmp(p - 8, "operator", 8) == 0 && p[1] == ')') {
        p++;
        continue;
      }
      if (p == name)
        return 0;
      *p = '\0';
      return 1;
    }
  }
  return 0;
}

int as_cxxname_unwrap_handler(char *name)
{
  static const char prefix[] = "caf::trivial_match_case<", suffix[] = ">::invoke";
  size_t len = strlen(name), p = sizeof prefix - 1, s = sizeof suffix - 1;
  if (len <= p + s || strncmp(name, prefix, p) != 0 || strcmp(name + len - s, suffix) != 0)
    return 0;
  memmove(name, name + p, len - p - s);
  name[len - p - s] = '\0';
  as_cxxname_strip_parameters(name);
  return 1;
}

/* One pass: every template argument list entered at depth d written "<...>" (only where that is
 * shorter, so that the text is rewritten in place, never past what was read). */
static size_t cxxname_elide_depth(char *name, int d)
{
  size_t r = 0, w = 0;
  int depth = 0;
  while (name[r]) {
    if (name[r] == '<' && depth + 1 == d) {
      size_t end = r + 1;
      for (int open = 1; name[end] && open; end++)
        open += name[end] == '<' ? 1 : name[end] == '>' ? -1 : 0;
      if (name[end - 1] == '>' && end - r > 5) {
        memcpy(name + w, "<...>", 5);
        w += 5;
        r = end;
        continue;
      }
    }
    depth += name[r] == '<' ? 1 : name[r] == '>' ? -1 : 0;
    name[w++] = name[r++];
  }
  name[w] = '\0';
  return w;
}

int as_cxxname_elide_templates(char *name, size_t room)
{
  int depth = 0, deepest = 0;
  for (const char *p = name; *p && depth >= 0; p++) {
    depth += *p == '<' ? 1 : *p == '>' ? -1 : 0;
    deepest = depth > deepest ? depth : deepest;
  }
  size_t len = strlen(name);
  if (depth != 0) /* "operator<", "operator->": brackets that are no template's */
    return len <= room;
  for (int d = deepest; d >= 1 && len > room; d--)
    len = cxxname_elide_depth(name, d);
  return len <= room;
}

/* "caf::behavior ns::f<int>" (a function template's symbol names its return type) ->
 * "ns::f<int>": whatever precedes the last space outside brackets goes. */
static void cxxname_strip_return_type(char *name)
{
  int depth = 0;
  char *start = NULL;
  for (char *p = name; *p; p++) {
    if (*p == '<' || *p == '(')
      depth++;
    else if ((*p == '>' || *p == ')') && depth > 0)
      depth--;
    else if (*p == ' ' && depth == 0)
      start = p + 1;
  }
  if (start && *start && strncmp(start - 9 > name ? start - 9 : name, "operator ", 9) != 0)
    memmove(name, start, strlen(start) + 1);
}

void as_cxxname_function(char *name)
{
  static const char decltype_[] = "decltype (";
  if (strncmp(name, decltype_, sizeof decltype_ - 1) == 0) {
    char *p = name + sizeof decltype_ - 1;
    for (int depth = 1; *p && depth; p++)
      depth += *p == '(' ? 1 : *p == ')' ? -1 : 0;
    while (*p == ' ')
      p++;
    memmove(name, p, strlen(p) + 1);
  }
  if (as_cxxname_strip_parameters(name))
    cxxname_strip_return_type(name);
}
