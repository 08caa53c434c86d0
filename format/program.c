/* The program's name for people (program.h): an interpreter is named by its script. */
#include "program.h"

#include <stdio.h>
#include <string.h>

/* How an interpreter reads its command line: which options take a word, and which mean there
 * is no script. Short options cluster ("-uB", "-we"); one that takes an argument takes the rest
 * of its word, or the next word when nothing follows it. Lists of words are " a b c ". */
struct interpreter {
  const char *names;    /* executables' names without their version */
  const char *arg;      /* short options taking an argument */
  const char *rest;     /* short options taking the rest of their word only (perl -Mfoo, -0777) */
  const char *code;     /* short options whose argument is the program: no script */
  const char *module;   /* short options whose argument names the program (python -m) */
  const char *none;     /* short options without argument that mean no script (sh -s: stdin) */
  const char *long_arg; /* long options taking the next word when not written with '=' */
  const char *long_code;
  int plus; /* "+o", "+x": a shell's options also start with '+' */
};

static const struct interpreter interpreters[] = {
    {" python pypy ", "WXcm", "", "c", "m", "", " --check-hash-based-pycs ", "", 0},
    {" perl ", "eEI", "0CdDilmMx", "eE", "", "", "", "", 0},
    {" ruby ", "CIreE", "0FKTWix", "e", "", "",
     " --encoding --external-encoding --internal-encoding ", "", 0},
    {" node nodejs ", "eprC", "", "ep", "", "",
     " --require --import --loader --experimental-loader --conditions --input-type --title ",
     " --eval --print ", 0},
    {" lua luajit ", "elbj", "O", "e", "", "", "", "", 0},
    {" sh bash dash zsh ksh mksh ash yash ", "oc", "", "c", "", "s", " --rcfile --init-file ", "",
     1},
};

static const char *program_base(const char *path)
{
  const char *slash = strrchr(path, '/');
  return slash ? slash + 1 : path;
}

/* Whether BASE is one of NAMES followed by a version only ("python3.11", "perl5.36.0"). */
static int program_is(const char *base, const char *names)
{
  for (const char *p = names; *p;) {
    p += strspn(p, " ");
    size_t n = strcspn(p, " ");
    if (n && strncmp(base, p, n) == 0 && strspn(base + n, "0123456789.") == strlen(base + n))
      return 1;
    p += n;
  }
  return 0;
}

static const struct interpreter *program_interpreter(const char *base)
{
  for (size_t i = 0; i < sizeof interpreters / sizeof interpreters[0]; i++)
    if (program_is(base, interpreters[i].names))
      return &interpreters[i];
  return NULL;
}

/* Whether WORD, up to a '=' in it, is one of LIST. */
static int program_listed(const char *list, const char *word)
{
  size_t len = strcspn(word, "=");
  for (const char *p = list; *p;) {
    p += strspn(p, " ");
    size_t n = strcspn(p, " ");
    if (n && n == len && strncmp(p, word, n) == 0)
      return 1;
    p += n;
  }
  return 0;
}

/* The word of ARGV (from 1) that names the program: its script or module, or NULL when there is
 * none. */
static const char *program_script(const struct interpreter *in, const char *const *argv,
                                  size_t argc)
{
  for (size_t i = 1; i < argc; i++) {
    const char *w = argv[i];
    if (strcmp(w, "--") == 0)
      return i + 1 < argc && strcmp(argv[i + 1], "-") != 0 ? argv[i + 1] : NULL;
    if (strcmp(w, "-") == 0)
      return NULL; /* the program comes from stdin */
    if (!((w[0] == '-' || (in->plus && w[0] == '+')) && w[1]))
      return w;
    if (w[0] == '-' && w[1] == '-' && w[2]) {
      if (program_listed(in->long_code, w))
        return NULL;
      if (!strchr(w, '=') && program_listed(in->long_arg, w))
        i++;
      continue;
    }
    /* A cluster of short options: the first one taking an argument ends it. */
    for (const char *o = w + 1; *o; o++) {
      if (strchr(in->none, *o))
        return NULL;
      if (strchr(in->rest, *o))
        break;
      if (!strchr(in->arg, *o))
        continue;
      const char *value = o[1] ? o + 1 : i + 1 < argc ? argv[++i] : NULL;
      if (strchr(in->code, *o))
        return NULL;
      if (strchr(in->module, *o))
        return value;
      break;
    }
  }
  return NULL;
}

const char *as_program_name(const char *program, const char *const *argv, size_t argc, char *out,
                            size_t cap)
{
  if (!cap)
    return out;
  if (!program || !*program)
    program = argc && argv[0] ? argv[0] : "";
  const char *base = program_base(program);
  const struct interpreter *in = program_interpreter(base);
  const char *script = in ? program_script(in, argv, argc) : NULL;
  if (script && *program_base(script))
    snprintf(out, cap, "%s (%s)", program_base(script), base);
  else
    snprintf(out, cap, "%s", base);
  return out;
}
