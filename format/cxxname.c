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
