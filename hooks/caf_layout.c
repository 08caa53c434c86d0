#define _GNU_SOURCE
#include "caf_layout.h"
#include "caf_symbols.h"
#include "intern.h"
#include "resolve.h"
#include "ptrmap.h"
#include "typetab.h"

#include <dlfcn.h>
#include <link.h>
#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Virtual-table slots, in declaration order (Itanium C++ ABI); caf_layout_verify checks the
 * neighbours it can see in the exported vtables. */
#define CAF_VIEW_SLOT_CONTENT 2
#define CAF_TUPLE_SLOT_SIZE 5
#define CAF_TUPLE_SLOT_TYPE 7
#define CAF_TUPLE_SLOT_GET 8
/* type_nr<atom_value>: its index in sorted_builtin_types plus one. */
#define CAF_TYPE_NR_ATOM 5
#define CAF_TYPE_NAME_MAX 96

struct caf_rtti_pair {
  uint16_t type_nr;
  const void *type_info;
};

typedef void *(*caf_content_fn)(const void *view);
typedef size_t (*caf_size_fn)(const void *tuple);
typedef struct caf_rtti_pair (*caf_type_fn)(const void *tuple, size_t pos);
typedef const void *(*caf_get_fn)(const void *tuple, size_t pos);

static const char *const *caf_type_names; /* numbered_type_names */
/* type key -> type id */
static struct as_ptrmap caf_message_types AS_FORK_TOUCHED = AS_PTRMAP_INIT;
/* std::type_info* -> name */
static struct as_ptrmap caf_class_names AS_FORK_TOUCHED = AS_PTRMAP_INIT;
/* std::type_info* -> verdict */
static struct as_ptrmap caf_init_helpers AS_FORK_TOUCHED = AS_PTRMAP_INIT;

/* Initial-exec TLS comes from the static TLS block's surplus when the library is dlopen()ed
 * (attach mode), which every library shares: the caches below keep to a few hundred bytes. */
#define CAF_TYPE_CACHE_BITS 5
#define CAF_TYPE_CACHE_SIZE (1u << CAF_TYPE_CACHE_BITS)
/* A per-thread cache slot for a key: multiplicative hashing spreads keys that differ only in
 * a few middle bits (atoms "ping" and "pong" differ in one 6-bit character). */
#define CAF_CACHE_SLOT(key, bits)                                                                  \
  ((size_t)(((uint64_t)(key)*0x9e3779b97f4a7c15ULL) >> (64 - (bits))))
struct caf_type_cache_entry {
  uint64_t key;
  uint32_t id;
};
static __thread struct caf_type_cache_entry caf_type_cache[CAF_TYPE_CACHE_SIZE]
    __attribute__((tls_model("initial-exec")));

static const char *const caf_exit_reasons[] = {
    "normal", "unhandled_exception",     "unknown",    "out_of_workers", "user_shutdown",
    "kill",   "remote_link_unreachable", "unreachable"};

/* CAF's sec codes as a stop reason names them (static: a stop passes its reason without
 * rendering it). */
static const char *const caf_sec_prefixed[] = {
    "sec::none",
    "sec::unexpected_message",
    "sec::unexpected_response",
    "sec::request_receiver_down",
    "sec::request_timeout",
    "sec::no_such_group_module",
    "sec::no_actor_published_at_port",
    "sec::unexpected_actor_messaging_interface",
    "sec::state_not_serializable",
    "sec::unsupported_sys_key",
    "sec::unsupported_sys_message",
    "sec::disconnect_during_handshake",
    "sec::cannot_forward_to_invalid_actor",
    "sec::no_route_to_receiving_node",
    "sec::failed_to_assign_scribe_from_handle",
    "sec::failed_to_assign_doorman_from_handle",
    "sec::cannot_close_invalid_port",
    "sec::cannot_connect_to_node",
    "sec::cannot_open_port",
    "sec::network_syscall_failed",
    "sec::invalid_argument",
    "sec::invalid_protocol_family",
    "sec::cannot_publish_invalid_actor",
    "sec::cannot_spawn_actor_from_arguments",
    "sec::end_of_stream",
    "sec::no_context",
    "sec::unknown_type",
    "sec::no_proxy_registry",
    "sec::runtime_error",
    "sec::remote_linking_failed",
    "sec::cannot_add_upstream",
    "sec::upstream_already_exists",
    "sec::invalid_upstream",
    "sec::cannot_add_downstream",
    "sec::downstream_already_exists",
    "sec::invalid_downstream",
    "sec::no_downstream_stages_defined",
    "sec::stream_init_failed",
    "sec::invalid_stream_state",
    "sec::unhandled_stream_error",
    "sec::bad_function_call",
    "sec::feature_disabled",
    "sec::cannot_open_file",
    "sec::socket_invalid",
    "sec::socket_disconnected",
    "sec::socket_operation_failed",
    "sec::unavailable_or_would_block",
    "sec::incompatible_versions",
    "sec::incompatible_application_ids",
    "sec::malformed_basp_message",
    "sec::serializing_basp_payload_failed",
    "sec::redundant_connection",
    "sec::remote_lookup_failed",
    "sec::connection_timeout",
};

/* ---- verification -------------------------------------------------------------------------- */

static int caf_slots_pure(void *const *slots, int from, int to, const void *pure)
{
  for (int i = from; i <= to; i++)
    if (slots[i] != pure)
      return 0;
  return 1;
}

/* actor_system::registry(), exported by libcaf_core: the registry's address is CAF's to say. */
static void *(*caf_registry_of_system)(void *system);

void *caf_layout_registry_of(const void *system)
{
  return caf_registry_of_system && system ? caf_registry_of_system((void *)system) : NULL;
}

int caf_layout_verify(const void *real_ctor, char *why, size_t why_len)
{
  /* The object's link map names it without dladdr()'s scan of all its symbols (some 150,000
   * instructions in libcaf_core, at the first actor of every CAF process). */
  Dl_info info = {0};
  struct dl_find_object object;
  if (real_ctor && _dl_find_object((void *)real_ctor, &object) == 0 && object.dlfo_link_map &&
      object.dlfo_link_map->l_name && object.dlfo_link_map->l_name[0])
    info.dli_fname = object.dlfo_link_map->l_name;
  else if (real_ctor && !dladdr(real_ctor, &info))
    info.dli_fname = NULL;
  if (!info.dli_fname) {
    snprintf(why, why_len, "libcaf_core's abstract_actor constructor was not found");
    return -1;
  }
  /* The versioned file name, also when it was opened through the libcaf_core.so link. */
  char real[PATH_MAX];
  const char *path = realpath(info.dli_fname, real) ? real : info.dli_fname;
  const char *base = strrchr(path, '/');
  base = base ? base + 1 : path;
  if (strcmp(base, "libcaf_core.so.0.17.6") != 0) {
    snprintf(why, why_len, "%s is not libcaf_core 0.17.6, the only version whose layouts are known",
             path);
    return -1;
  }
  /* Looked up through libcaf_core's own handle, i.e. in its dependency scope: a C host that
   * dlopen()ed a CAF library RTLD_LOCAL has libcaf_core and the C++ runtime outside the global
   * scope, where RTLD_DEFAULT finds neither. */
  void *lib = dlopen(info.dli_fname, RTLD_LAZY | RTLD_NOLOAD);
  if (!lib) {
    snprintf(why, why_len, "%s could not be opened again to read its symbols (%s)", info.dli_fname,
             dlerror());
    return -1;
  }
#define CAF_SYMBOL_NAME(sym, what) #sym,
  static const char *const needed[] = {CAF_PROBED_SYMBOLS(CAF_SYMBOL_NAME) "__cxa_pure_virtual"};
  void *found[sizeof needed / sizeof needed[0]];
  const char *missing = NULL;
  for (size_t i = 0; i < sizeof needed / sizeof needed[0]; i++)
    if (!(found[i] = dlsym(lib, needed[i])) && !missing)
      missing = needed[i];
  /* Optional: without it no running count is shown (caf_running.c says so), the rest traces. */
  void *registry = dlsym(lib, "_ZN3caf12actor_system8registryEv");
  dlclose(lib);
  if (missing) {
    if (strcmp(missing, "__cxa_pure_virtual") == 0)
      snprintf(why, why_len, "the C++ runtime's __cxa_pure_virtual is not in %s's dependency scope",
               info.dli_fname);
    else
      snprintf(why, why_len, "%s does not define %s, which CAF 0.17.6 does", info.dli_fname,
               missing);
    return -1;
  }
  void *const *tuple_vt = found[0], *const *view_vt = found[1];
  const char *const *names = found[2];
  void *load = found[3], *shared = found[4], *save = found[5], *pure = found[6];
  /* A vtable symbol points at offset-to-top and RTTI; the slots follow. */
  void *const *tuple_slots = tuple_vt + 2, *const *view_slots = view_vt + 2;
  if (!caf_slots_pure(tuple_slots, 2, 3, pure) || tuple_slots[4] != load ||
      !caf_slots_pure(tuple_slots, 5, 11, pure) || tuple_slots[12] != shared ||
      tuple_slots[13] != save || !caf_slots_pure(view_slots, 2, 5, pure)) {
    snprintf(why, why_len, "%s: the type_erased_tuple or message_view vtable differs from 0.17.6",
             info.dli_fname);
    return -1;
  }
  if (!names[CAF_TYPE_NR_ATOM - 1] || strcmp(names[CAF_TYPE_NR_ATOM - 1], "@atom") != 0) {
    snprintf(why, why_len, "%s: numbered_type_names differs from 0.17.6", info.dli_fname);
    return -1;
  }
  caf_type_names = names;
  caf_registry_of_system = (void *(*)(void *))registry;
  return 0;
}

/* ---- names --------------------------------------------------------------------------------- */

void caf_layout_atom_decode(uint64_t atom, char out[16])
{
  static const char table[] = " 0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz";
  size_t pos = 0;
  int reading = (atom >> 60) == 0xF;
  uint64_t mask = 0x0FC0000000000000ULL;
  for (int shift = 54; shift >= 0; shift -= 6, mask >>= 6) {
    unsigned code = (unsigned)((atom & mask) >> shift);
    if (reading)
      out[pos++] = table[code < sizeof table - 1 ? code : 0];
    else if (code == 0xF)
      reading = 1;
  }
  out[pos] = '\0';
}

/* A std::type_info's mangled name (no "_Z" prefix; a leading '*' marks local types). */
static const char *caf_type_info_mangled(const void *type_info)
{
  const char *mangled = *(const char *const *)((const char *)type_info + sizeof(void *));
  return mangled[0] == '*' ? mangled + 1 : mangled;
}

/* Demangles a type name from a std::type_info into out. */
static void caf_type_info_name(const void *type_info, char *out, size_t len)
{
  const char *mangled = caf_type_info_mangled(type_info);
  char *plain = as_resolve_demangle(mangled);
  snprintf(out, len, "%s", plain ? plain : mangled);
  free(plain);
}

const char *caf_layout_class_name(const void *actor)
{
  const void *type_info = caf_layout_type_info_of(actor);
  if (!type_info)
    return NULL;
  const char *name = as_ptrmap_get(&caf_class_names, (uintptr_t)type_info);
  if (name)
    return name;
  char buf[512];
  caf_type_info_name(type_info, buf, sizeof buf);
  const char *interned = as_intern_string(buf);
  if (interned)
    as_ptrmap_put(&caf_class_names, (uintptr_t)type_info, (void *)interned);
  return interned;
}

/* In "tmpl<A, B, ...>", whether B is a function pointer type. */
static int caf_second_argument_is_function_pointer(const char *name)
{
  const char *p = strchr(name, '<');
  int depth = 0, argument = 0;
  for (p = p ? p + 1 : name; *p; p++) {
    if (*p == '<' || *p == '(')
      depth++;
    else if (*p == '>' || *p == ')')
      depth--;
    else if (*p == ',' && depth == 0 && ++argument == 2)
      return 0;
    if (argument == 1 && strncmp(p, "(*)(", 4) == 0)
      return 1;
  }
  return 0;
}

#define CAF_VERDICT_NO ((void *)2)
#define CAF_VERDICT_YES ((void *)3)
static __thread struct {
  const void *type_info;
  void *verdict;
} caf_init_memo __attribute__((tls_model("initial-exec")));
static void *caf_init_verdict(const void *type_info);

const void *caf_layout_init_function(const void *config)
{
  int holds_wrapper =
      *(const unsigned char *)((const char *)config + CAF_CONFIG_INIT_HOLDS_WRAPPER);
  const void *pointer = caf_read_ptr(config, CAF_CONFIG_INIT_POINTER);
  if (!pointer || !holds_wrapper)
    return pointer;
  const void *type_info = caf_layout_type_info_of(pointer);
  if (!type_info)
    return NULL;
  /* A program spawns from a few functions, mostly one after another: this thread's last
   * helper class and its verdict spare a lookup in the shared map at most spawns. */
  void *verdict = caf_init_memo.type_info == type_info ? caf_init_memo.verdict : NULL;
  if (!verdict)
    verdict = caf_init_verdict(type_info);
  return verdict == CAF_VERDICT_YES ? caf_read_ptr(pointer, CAF_INIT_HELPER_FUN) : NULL;
}

static __attribute__((noinline)) void *caf_init_verdict(const void *type_info)
{
  void *verdict = as_ptrmap_get(&caf_init_helpers, (uintptr_t)type_info);
  if (!verdict) {
    char name[1024];
    caf_type_info_name(type_info, name, sizeof name);
    int known = strncmp(name, "caf::detail::init_fun_factory_helper<", 37) == 0 &&
                caf_second_argument_is_function_pointer(name);
    verdict = known ? CAF_VERDICT_YES : CAF_VERDICT_NO;
    as_ptrmap_put(&caf_init_helpers, (uintptr_t)type_info, verdict);
  }
  caf_init_memo.type_info = type_info;
  caf_init_memo.verdict = verdict;
  return verdict;
}

/* prefix then text into out (len bytes), cut to fit: what snprintf("%s%s") writes, at a
 * fraction of its cost (every actor's stop renders its reason). */
static void caf_layout_copy(char *out, size_t len, const char *prefix, const char *text)
{
  if (len == 0)
    return;
  size_t used = strnlen(prefix, len - 1);
  memcpy(out, prefix, used);
  size_t more = strnlen(text, len - 1 - used);
  memcpy(out + used, text, more);
  out[used + more] = '\0';
}

const char *caf_layout_error_text(const void *error_object)
{
  const void *data = error_object ? caf_read_ptr(error_object, 0) : NULL;
  if (!data)
    return "normal"; /* CAF keeps no data for code 0: every normal exit */
  unsigned code = *(const unsigned char *)data;
  char category[16];
  caf_layout_atom_decode(caf_read_u64(data, 8), category);
  if (strcmp(category, "exit") == 0 && code < sizeof caf_exit_reasons / sizeof caf_exit_reasons[0])
    return caf_exit_reasons[code];
  if (strcmp(category, "system") == 0 &&
      code < sizeof caf_sec_prefixed / sizeof caf_sec_prefixed[0])
    return caf_sec_prefixed[code];
  return NULL;
}

void caf_layout_render_error(const void *error_object, char *out, size_t len)
{
  const char *text = caf_layout_error_text(error_object);
  if (text) {
    caf_layout_copy(out, len, "", text);
    return;
  }
  const void *data = caf_read_ptr(error_object, 0);
  char category[16];
  caf_layout_atom_decode(caf_read_u64(data, 8), category);
  snprintf(out, len, "error(%s, %u)", category, *(const unsigned char *)data);
}

/* ---- message types ------------------------------------------------------------------------- */

static inline uint64_t caf_mix(uint64_t h, uint64_t v)
{
  h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  return h;
}

static void caf_element_name(struct caf_rtti_pair type, char *out, size_t len)
{
  if (type.type_nr > 0 && caf_type_names && caf_type_names[type.type_nr - 1]) {
    const char *name = caf_type_names[type.type_nr - 1];
    snprintf(out, len, "%s", name[0] == '@' ? name + 1 : name);
  } else if (type.type_info) {
    caf_type_info_name(type.type_info, out, len);
  } else {
    snprintf(out, len, "?");
  }
}

static __attribute__((noinline)) uint32_t caf_type_id_shared(uint64_t key,
                                                             struct caf_type_cache_entry *cached)
{
  uint32_t id = (uint32_t)(uintptr_t)as_ptrmap_get(&caf_message_types, key);
  if (id) {
    cached->key = key;
    cached->id = id;
  }
  return id;
}

/* The id of a message type by its key, through the per-thread cache and the shared map;
 * 0 when it was never named. */
static inline __attribute__((always_inline)) uint32_t caf_type_id_cached(uint64_t key)
{
  /* A per-thread direct-mapped cache in front of the shared map: a thread mostly handles the
   * same few message types. */
  struct caf_type_cache_entry *cached = &caf_type_cache[CAF_CACHE_SLOT(key, CAF_TYPE_CACHE_BITS)];
  if (cached->key == key)
    return cached->id;
  return caf_type_id_shared(key, cached);
}

/* Names a message type once (allocating: errno is kept for the host). */
static uint32_t caf_type_id_new(uint64_t key, const char *name)
{
  int saved = errno;
  uint32_t id = as_typetab_intern(name, strnlen(name, CAF_TYPE_NAME_MAX));
  as_ptrmap_put(&caf_message_types, key, (void *)(uintptr_t)id);
  errno = saved;
  return id;
}

/* ptrmap keys 0 and 1 are reserved. */
static uint64_t caf_atom_key(uint64_t atom) { return caf_mix(0xa70a70a7ULL, atom) | 2; }

static __attribute__((noinline)) uint32_t caf_atom_type_new(uint64_t key, uint64_t atom)
{
  char name[CAF_TYPE_NAME_MAX];
  caf_layout_atom_decode(atom, name);
  return caf_type_id_new(key, name);
}

static inline __attribute__((always_inline)) uint32_t caf_atom_type(uint64_t atom)
{
  uint64_t key = caf_atom_key(atom);
  uint32_t id = caf_type_id_cached(key);
  return id ? id : caf_atom_type_new(key, atom);
}

/* The element's content: a type_erased_tuple (the element itself, or the message it wraps). */
static const void *caf_element_tuple(const void *element)
{
  const void *view = (const char *)element + CAF_ELEMENT_MESSAGE_VIEW;
  return (*(caf_content_fn *const *)view)[CAF_VIEW_SLOT_CONTENT](view);
}

/* The message type of a type_erased_tuple, through its virtual functions. */
static uint32_t caf_tuple_type(const void *tuple, uint16_t *first_type_nr)
{
  void *const *slots = *(void *const *const *)tuple;
  size_t size = ((caf_size_fn)slots[CAF_TUPLE_SLOT_SIZE])(tuple);
  caf_type_fn type = (caf_type_fn)slots[CAF_TUPLE_SLOT_TYPE];
  *first_type_nr = 0;
  if (size == 0)
    return as_typetab_intern("<empty>", 7);

  struct caf_rtti_pair first = type(tuple, 0);
  *first_type_nr = first.type_nr;
  if (first.type_nr == CAF_TYPE_NR_ATOM)
    return caf_atom_type(*(const uint64_t *)((caf_get_fn)slots[CAF_TUPLE_SLOT_GET])(tuple, 0));
  uint64_t key = caf_mix(0x7e5, size);
  for (size_t i = 0; i < size; i++) {
    struct caf_rtti_pair t = type(tuple, i);
    key = caf_mix(caf_mix(key, t.type_nr), (uint64_t)(uintptr_t)t.type_info);
  }
  key |= 2;
  uint32_t id = caf_type_id_cached(key);
  if (id)
    return id;
  /* A tuple reads as one type, "(actor, actorvec, str)": in a list of types with their counts,
   * "actor 16, actorvec, str, actor 16" would not say where one ends. */
  char name[CAF_TYPE_NAME_MAX] = "";
  size_t used = size > 1 ? (size_t)snprintf(name, sizeof name, "(") : 0;
  for (size_t i = 0; i < size && used + 4 < sizeof name; i++) {
    char part[CAF_TYPE_NAME_MAX];
    caf_element_name(type(tuple, i), part, sizeof part);
    used += (size_t)snprintf(name + used, sizeof name - used, "%s%s", i ? ", " : "", part);
  }
  if (size > 1) {
    /* Closed within the longest name the writer keeps, cut with "..." when it is longer. */
    used = used < sizeof name ? used : sizeof name - 1;
    if (used + 1 > AS_TYPE_NAME_MAX)
      used = (size_t)snprintf(name + AS_TYPE_NAME_MAX - 4, 5, "...)") + AS_TYPE_NAME_MAX - 4;
    else
      used += (size_t)snprintf(name + used, sizeof name - used, ")");
  }
  return caf_type_id_new(key, name);
}

/* What an element's class says of its message, learnt at the first element of each class:
 * mailbox_element_vals<Ts...> holds a message of types Ts in the element itself, so the class
 * alone gives the type, or, when the first is an atom, where the atom lies (the atom names
 * the type). Other classes (wrappers of a caf::message, views) are read through content(). */
enum caf_class_kind {
  CAF_CLASS_GENERIC = 1,
  CAF_CLASS_TYPED,
  CAF_CLASS_ATOM_AT,
  CAF_CLASS_MESSAGE
};
#define CAF_CLASS_CACHE_BITS 4
#define CAF_CLASS_ATOM_OFFSET_MAX 4096
struct caf_class_cache_entry {
  const void *vptr;
  uint32_t kind;
  uint32_t value; /* TYPED: the type id; ATOM_AT: the atom's offset in the element */
};
static __thread struct caf_class_cache_entry caf_class_cache[1u << CAF_CLASS_CACHE_BITS]
    __attribute__((tls_model("initial-exec")));
/* vptr -> kind | value << 8 */
static struct as_ptrmap caf_element_classes AS_FORK_TOUCHED = AS_PTRMAP_INIT;

/* The verdict on a class whose instances all hold the same types, from one instance: its
 * content TUPLE, and BASE, the object the atom's offset counts from. */
static uintptr_t caf_class_verdict(const void *base, const void *tuple)
{
  uint16_t first_type_nr;
  uint32_t id = caf_tuple_type(tuple, &first_type_nr);
  if (first_type_nr != CAF_TYPE_NR_ATOM)
    return CAF_CLASS_TYPED | (uintptr_t)id << 8;
  const char *atom = ((caf_get_fn)(*(void *const *const *)tuple)[CAF_TUPLE_SLOT_GET])(tuple, 0);
  ptrdiff_t offset = atom - (const char *)base;
  if (offset <= 0 || offset > CAF_CLASS_ATOM_OFFSET_MAX)
    return CAF_CLASS_GENERIC;
  return CAF_CLASS_ATOM_AT | (uintptr_t)offset << 8;
}

/* Whether a polymorphic object's dynamic class's mangled name begins with PREFIX. */
static bool caf_class_is(const void *object, const char *prefix, size_t len)
{
  const void *type_info = caf_layout_type_info_of(object);
  return type_info && strncmp(caf_type_info_mangled(type_info), prefix, len) == 0;
}

static __attribute__((noinline)) uintptr_t caf_class_learn(const void *element, const void *unused)
{
  static const char vals[] = "N3caf20mailbox_element_valsI";
  if (!caf_class_is(element, vals, sizeof vals - 1))
    return CAF_CLASS_GENERIC;
  return caf_class_verdict(element, caf_element_tuple(element));
}

/* A generic element (a reply, a message built by make_message) wraps a caf::message, its
 * content; the message's data is most often a tuple_vals<Ts...>, whose class gives its types
 * just as mailbox_element_vals's does. */
static __attribute__((noinline)) uintptr_t caf_content_class_learn(const void *tuple,
                                                                   const void *unused)
{
  const void *type_info = caf_layout_type_info_of(tuple);
  return type_info && strcmp(caf_type_info_mangled(type_info), "N3caf7messageE") == 0
             ? CAF_CLASS_MESSAGE
             : CAF_CLASS_GENERIC;
}

/* DATA: a message's data; MESSAGE: the message (its virtual functions read the data's). */
static __attribute__((noinline)) uintptr_t caf_data_class_learn(const void *data,
                                                                const void *message)
{
  static const char vals[] = "N3caf6detail10tuple_valsI";
  if (!caf_class_is(data, vals, sizeof vals - 1))
    return CAF_CLASS_GENERIC;
  return caf_class_verdict(data, message);
}

/* The classes of contents and of messages' data, as caf_class_cache does elements'. */
#define CAF_CONTENT_CACHE_BITS 1 /* contents are caf::message, or rarely something else */
#define CAF_DATA_CACHE_BITS 2
static __thread struct caf_class_cache_entry caf_content_class_cache[1u << CAF_CONTENT_CACHE_BITS]
    __attribute__((tls_model("initial-exec")));
static struct as_ptrmap caf_content_classes AS_FORK_TOUCHED = AS_PTRMAP_INIT;
static __thread struct caf_class_cache_entry caf_data_class_cache[1u << CAF_DATA_CACHE_BITS]
    __attribute__((tls_model("initial-exec")));
static struct as_ptrmap caf_data_classes AS_FORK_TOUCHED = AS_PTRMAP_INIT;

/* The verdict on OBJECT's class, through a per-thread cache and a shared map, learnt once
 * (LEARN's second argument: CONTENT, the tuple it reads types through). */
static inline __attribute__((always_inline)) const struct caf_class_cache_entry *
caf_class_of(struct caf_class_cache_entry *cache, unsigned bits, struct as_ptrmap *known,
             uintptr_t (*learn)(const void *, const void *), const void *object,
             const void *content)
{
  const void *vptr = *(const void *const *)object;
  struct caf_class_cache_entry *c = &cache[CAF_CACHE_SLOT((uintptr_t)vptr, bits)];
  if (__builtin_expect(c->vptr != vptr, 0)) {
    uintptr_t verdict = (uintptr_t)as_ptrmap_get(known, (uintptr_t)vptr);
    if (!verdict) {
      int saved = errno;
      verdict = learn(object, content);
      as_ptrmap_put(known, (uintptr_t)vptr, (void *)verdict);
      errno = saved;
    }
    *c = (struct caf_class_cache_entry){vptr, (uint32_t)(verdict & 0xff), (uint32_t)(verdict >> 8)};
  }
  return c;
}

/* The memo's class for elements of class VPTR whose type is read as said (caf_type_memo_class):
 * the one it has, else the older of the two; reset when what it knew differs. */
static struct caf_type_memo_class *caf_type_memo_class_for(struct caf_type_memo *memo,
                                                           const void *vptr, uint32_t data_at,
                                                           const void *data_vptr,
                                                           uint32_t atom_offset)
{
  struct caf_type_memo_class *c = NULL;
  for (unsigned i = 0; i < CAF_TYPE_MEMO_CLASSES && !c; i++)
    if (memo->classes[i].vptr == vptr)
      c = &memo->classes[i];
  if (!c) {
    c = &memo->classes[memo->next];
    memo->next = (memo->next + 1) % CAF_TYPE_MEMO_CLASSES;
  }
  if (c->vptr != vptr || c->data_at != data_at || c->data_vptr != data_vptr ||
      c->atom_offset != atom_offset)
    *c = (struct caf_type_memo_class){
        .vptr = vptr, .data_at = data_at, .data_vptr = data_vptr, .atom_offset = atom_offset};
  return c;
}

/* The type of a message whose values lie in BASE (an element, or a message's data) as its class
 * says (ENTRY); remembered in the memo for element class VPTR, its data (if any) read at
 * DATA_AT. An id of 0 (the type table full) stays out of the memo: named again next time. */
static uint32_t caf_type_memo_fill(struct caf_type_memo *memo, const void *vptr, uint32_t data_at,
                                   const void *base, const struct caf_class_cache_entry *entry)
{
  const void *data_vptr = data_at ? *(const void *const *)base : NULL;
  if (entry->kind == CAF_CLASS_TYPED) {
    if (entry->value)
      caf_type_memo_class_for(memo, vptr, data_at, data_vptr, 0)->id = entry->value;
    return entry->value;
  }
  uint64_t atom = caf_read_u64(base, entry->value);
  uint32_t id = caf_atom_type(atom);
  struct caf_type_memo_class *c =
      caf_type_memo_class_for(memo, vptr, data_at, data_vptr, entry->value);
  *caf__type_memo_atom(c, atom) = (struct caf_type_memo_atom){atom, id};
  if (id) {
    c->atom = atom;
    c->id = id;
  }
  return id;
}

/* Where a wrapper's content, a caf::message, lies in the element: the content of an element of
 * a generic class is one of its members, at one offset for the whole class (0: not within). */
#define CAF_WRAPPED_MESSAGE_MAX 4096

uint32_t caf__message_type_slow(struct caf_type_memo *memo, const void *element)
{
  const void *vptr = *(const void *const *)element;
  const struct caf_class_cache_entry *c = caf_class_of(
      caf_class_cache, CAF_CLASS_CACHE_BITS, &caf_element_classes, caf_class_learn, element, NULL);
  if (c->kind == CAF_CLASS_TYPED || c->kind == CAF_CLASS_ATOM_AT)
    return caf_type_memo_fill(memo, vptr, 0, element, c);
  const void *tuple = caf_element_tuple(element);
  const struct caf_class_cache_entry *t =
      caf_class_of(caf_content_class_cache, CAF_CONTENT_CACHE_BITS, &caf_content_classes,
                   caf_content_class_learn, tuple, NULL);
  const void *data = t->kind == CAF_CLASS_MESSAGE ? caf_read_ptr(tuple, CAF_MESSAGE_DATA) : NULL;
  if (data) {
    t = caf_class_of(caf_data_class_cache, CAF_DATA_CACHE_BITS, &caf_data_classes,
                     caf_data_class_learn, data, tuple);
    if (t->kind == CAF_CLASS_TYPED || t->kind == CAF_CLASS_ATOM_AT) {
      ptrdiff_t at = (const char *)tuple - (const char *)element;
      uint32_t data_at =
          at > 0 && at < CAF_WRAPPED_MESSAGE_MAX ? (uint32_t)at + CAF_MESSAGE_DATA : 0;
      if (!data_at) /* not a member: read through content() every time */
        return t->kind == CAF_CLASS_TYPED ? t->value : caf_atom_type(caf_read_u64(data, t->value));
      return caf_type_memo_fill(memo, vptr, data_at, data, t);
    }
  }
  uint16_t first_type_nr;
  return caf_tuple_type(tuple, &first_type_nr);
}

int caf_layout_probe_refs(const void *actor, uint64_t *strong, uint64_t *weak)
{
  if (!actor)
    return -ENOENT;
  const void *ctrl = caf_ctrl_of_actor(actor);
  *strong = atomic_load_explicit(
      (const _Atomic uint64_t *)((const char *)ctrl + CAF_CTRL_STRONG_REFS), memory_order_relaxed);
  *weak = atomic_load_explicit((const _Atomic uint64_t *)((const char *)ctrl + CAF_CTRL_WEAK_REFS),
                               memory_order_relaxed);
  return 0;
}
