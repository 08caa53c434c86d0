/* Names a person can read for CAF actors (issue 10.5): CAF's own name() where a class overrides
 * it, `scoped_actor` for scoped actors, class templates shortened (full name kept), atoms
 * decoded, and the runtime's own actors marked internal. */
#define _GNU_SOURCE
#include "caf_names.h"
#include "caf_layout.h"
#include "guard.h"
#include "intern.h"
#include "ptrmap.h"
#include "resolve.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* virtual const char* name() const: its slot in every actor's vtable (monitorable_actor
 * declares it; checked against two classes' vtables before it is ever called). */
#define CAF_SLOT_NAME 13
#define CAF_NAME_MAX 1024
/* A shortened name longer than this has its nested template arguments elided too. */
#define CAF_SHORT_NAME_MAX 80

typedef const char *(*caf_name_fn)(const void *actor);

/* name() implementations that only say what kind of actor it is, and what they return. */
static const char *const caf_default_name_symbols[] = {
    "_ZNK3caf17monitorable_actor4nameEv", "_ZNK3caf11local_actor4nameEv",
    "_ZNK3caf15scheduled_actor4nameEv", "_ZNK3caf14blocking_actor4nameEv",
    "_ZNK3caf2io15abstract_broker4nameEv"};
#define CAF_DEFAULT_NAMES (sizeof caf_default_name_symbols / sizeof caf_default_name_symbols[0])
static const char *const caf_default_name_texts[] = {"actor", "monitorable_actor",
                                                     "scheduled_actor", "blocking_actor", "broker"};

/* The runtime's own actors, by CAF's name() or by class. */
static const char *const caf_internal_names[] = {"spawn_server", "config_server", "middleman_actor",
                                                 "basp-broker"};
static const char *const caf_internal_classes[] = {
    "caf::scheduler::(anonymous namespace)::printer_actor"};
/* scoped_actor's implementation class (libcaf_core's scoped_actor.cpp). */
static const char caf_scoped_class[] = "caf::(anonymous namespace)::impl";

static void *caf_default_name_fns[CAF_DEFAULT_NAMES];
static int caf_name_slot_known;
static pthread_once_t caf_names_once = PTHREAD_ONCE_INIT;
/* Per std::type_info: the interned name when the class's name() says nothing of its own
 * (most classes), CAF_NAMES_CALL when it must be asked each time (it may depend on state). */
static struct as_ptrmap caf_names_by_class AS_FORK_TOUCHED = AS_PTRMAP_INIT;
#define CAF_NAMES_CALL ((void *)1)

static int caf_vtable_slot_is(const char *vtable, const char *function)
{
  void *const *vt = as_resolve_real(vtable);
  void *fn = as_resolve_real(function);
  return vt && fn && vt[2 + CAF_SLOT_NAME] == fn;
}

static void caf_names_init(void)
{
  for (size_t i = 0; i < CAF_DEFAULT_NAMES; i++)
    caf_default_name_fns[i] = as_resolve_real(caf_default_name_symbols[i]);
  caf_name_slot_known =
      caf_vtable_slot_is("_ZTVN3caf15scheduled_actorE", "_ZNK3caf15scheduled_actor4nameEv") &&
      caf_vtable_slot_is("_ZTVN3caf17monitorable_actorE", "_ZNK3caf17monitorable_actor4nameEv");
}

static int caf_in_list(const char *text, const char *const *list, size_t count)
{
  for (size_t i = 0; i < count; i++)
    if (strcmp(text, list[i]) == 0)
      return 1;
  return 0;
}

/* Whether the class's name() slot is one of CAF's generic ones. */
static int caf_name_fn_is_default(const void *fn)
{
  for (size_t i = 0; i < CAF_DEFAULT_NAMES; i++)
    if (fn == caf_default_name_fns[i])
      return 1;
  return 0;
}

static void caf_guard_restore(const int *was_set)
{
  if (!*was_set)
    as_guard_clear();
}

/* The text of the actor's own name(), or NULL when it names only the kind of actor. */
static const char *caf_own_name(const void *actor, char *out, size_t len)
{
  caf_name_fn fn = (caf_name_fn)(*(void *const *const *)actor)[CAF_SLOT_NAME];
  if (!caf_name_slot_known || !fn || caf_name_fn_is_default((const void *)fn))
    return NULL;
  /* Our hooks pass straight through should name() call into CAF; the guard is restored also
   * if name() throws. */
  __attribute__((cleanup(caf_guard_restore))) int guarded = as_guard_is_set();
  as_guard_set();
  const char *text = fn(actor);
  if (text)
    snprintf(out, len, "%s", text);
  if (!text || !out[0] ||
      caf_in_list(out, caf_default_name_texts,
                  sizeof caf_default_name_texts / sizeof caf_default_name_texts[0]))
    return NULL;
  return out;
}

/* ---- shortening ---------------------------------------------------------------------------- */

void caf_names_decode_atoms(const char *full, char *out, size_t len)
{
  static const char cast[] = "(caf::atom_value)";
  size_t used = 0;
  while (*full && used + 1 < len) {
    if (strncmp(full, cast, sizeof cast - 1) == 0 &&
        isdigit((unsigned char)full[sizeof cast - 1])) {
      char *end;
      unsigned long long value = strtoull(full + sizeof cast - 1, &end, 10);
      while (*end == 'u' || *end == 'l' || *end == 'U' || *end == 'L')
        end++;
      char atom[16];
      caf_layout_atom_decode(value, atom);
      used += (size_t)snprintf(out + used, len - used, "'%s'", atom);
      if (used >= len)
        used = len - 1;
      full = end;
      continue;
    }
    out[used++] = *full++;
  }
  out[used] = '\0';
}

/* Appends one character, keeping room for the terminator. */
static void caf_put(char *out, size_t len, size_t *used, char c)
{
  if (*used + 1 < len)
    out[(*used)++] = c;
}

/* `name` with the namespaces of template arguments dropped ("caf::stateful_actor<my::state,
 * caf::event_based_actor>" -> "caf::stateful_actor<state, event_based_actor>"); arguments
 * nested deeper than max_depth are written "…". */
static void caf_names_shorten_depth(const char *name, char *out, size_t len, int max_depth)
{
  static const char anonymous[] = "(anonymous namespace)::";
  size_t used = 0, word = 0; /* where the current qualified name began in out */
  int depth = 0;
  for (const char *p = name; *p; p++) {
    char c = *p;
    if (depth > 0 && strncmp(p, anonymous, sizeof anonymous - 1) == 0) {
      p += sizeof anonymous - 2;
      continue;
    }
    if (c == '<' || c == '(') {
      if (depth < max_depth)
        caf_put(out, len, &used, c);
      else if (depth == max_depth)
        for (const char *elided = c == '<' ? "<\xe2\x80\xa6" : "(\xe2\x80\xa6"; *elided; elided++)
          caf_put(out, len, &used, *elided);
      depth++;
      word = used;
      continue;
    }
    if (c == '>' || c == ')') {
      depth = depth > 0 ? depth - 1 : 0;
      if (depth <= max_depth)
        caf_put(out, len, &used, c);
      word = used;
      continue;
    }
    if (depth > max_depth)
      continue;
    if (c == ',' || c == ' ' || c == '*' || c == '&') {
      caf_put(out, len, &used, c);
      word = used;
      continue;
    }
    if (c == ':' && p[1] == ':' && depth > 0) {
      used = word; /* inside arguments: drop the qualifier written so far */
      p++;
      continue;
    }
    caf_put(out, len, &used, c);
  }
  out[used] = '\0';
}

void caf_names_shorten(const char *full, char *out, size_t len)
{
  char decoded[CAF_NAME_MAX];
  caf_names_decode_atoms(full, decoded, sizeof decoded);
  if (!strchr(decoded, '<')) {
    snprintf(out, len, "%s", decoded);
    return;
  }
  caf_names_shorten_depth(decoded, out, len, 64);
  if (strlen(out) > CAF_SHORT_NAME_MAX)
    caf_names_shorten_depth(decoded, out, len, 1);
}

/* ---- naming -------------------------------------------------------------------------------- */

static const struct as_actor_name *caf_names_make(const char *own, const char *full)
{
  char text[CAF_NAME_MAX];
  int internal = caf_in_list(full, caf_internal_classes,
                             sizeof caf_internal_classes / sizeof caf_internal_classes[0]);
  if (own) {
    snprintf(text, sizeof text, "%s", own);
    internal |= caf_in_list(own, caf_internal_names,
                            sizeof caf_internal_names / sizeof caf_internal_names[0]);
  } else if (strcmp(full, caf_scoped_class) == 0) {
    snprintf(text, sizeof text, "scoped_actor");
  } else {
    caf_names_shorten(full, text, sizeof text);
  }
  return as_actor_name_intern(text, full, internal);
}

static const struct as_actor_name *caf_names_of_class_made(const void *actor,
                                                           const void *type_info);

__thread const void *caf__names_last_class __attribute__((tls_model("initial-exec")));
__thread const struct as_actor_name *caf__names_last __attribute__((tls_model("initial-exec")));

/* Out of line: its name buffer would make every call set up a large frame. */
__attribute__((noinline)) const struct as_actor_name *caf__names_of_class(const void *actor,
                                                                          const void *type_info)
{
  int saved = errno; /* naming may allocate, intern and print */
  const struct as_actor_name *name = caf_names_of_class_made(actor, type_info);
  errno = saved;
  return name;
}

static const struct as_actor_name *caf_names_of_class_made(const void *actor, const void *type_info)
{
  pthread_once(&caf_names_once, caf_names_init);
  void *known = as_ptrmap_get(&caf_names_by_class, (uintptr_t)type_info);
  if (known && known != CAF_NAMES_CALL) {
    caf__names_last_class = type_info;
    caf__names_last = known;
    return known;
  }
  const char *full = caf_layout_class_name(actor);
  if (!full)
    return NULL;
  char buf[CAF_NAME_MAX];
  const char *own = caf_own_name(actor, buf, sizeof buf);
  const struct as_actor_name *name = caf_names_make(own, full);
  /* A class whose name() adds nothing never will: its name is the same for every actor. */
  if (!known && name)
    as_ptrmap_put(&caf_names_by_class, (uintptr_t)type_info, own ? CAF_NAMES_CALL : (void *)name);
  return name;
}
