/* Every CAF symbol the hooks use exists in the installed libcaf (a typo would otherwise fail
 * silently), libactorscope.so exports each hook, and the layout probe accepts the real
 * 0.17.6 library. */
#define _GNU_SOURCE
#include "caf_layout.h"
#include "caf_running.h"
#include "diag.h"
#include "caf_symbols.h"
#include "resolve.h"

#include <criterion/criterion.h>
#include <dlfcn.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

struct caf_symbol {
  const char *mangled;
  const char *what;
};

#define AS_SYMBOL_ROW(sym, what) {#sym, what},
static const struct caf_symbol core_hooks[] = {CAF_CORE_HOOKS(AS_SYMBOL_ROW)};
static const struct caf_symbol io_hooks[] = {CAF_IO_HOOKS(AS_SYMBOL_ROW)};
static const struct caf_symbol probed[] = {CAF_PROBED_SYMBOLS(AS_SYMBOL_ROW)};

static void *open_library(const char *path)
{
  void *lib = dlopen(path, RTLD_NOW | RTLD_GLOBAL);
  cr_assert_not_null(lib, "%s: %s", path, dlerror());
  return lib;
}

static void check_defined(void *lib, const char *path, const struct caf_symbol *rows, size_t n)
{
  for (size_t i = 0; i < n; i++)
    cr_expect_not_null(dlsym(lib, rows[i].mangled), "%s does not define %s (%s)", path,
                       rows[i].mangled, rows[i].what);
}

Test(caf_layout, every_hooked_and_probed_symbol_exists_in_the_installed_caf)
{
  void *core = open_library(AS_CAF_CORE);
  void *io = open_library(AS_CAF_IO);
  check_defined(core, AS_CAF_CORE, core_hooks, sizeof core_hooks / sizeof core_hooks[0]);
  check_defined(core, AS_CAF_CORE, probed, sizeof probed / sizeof probed[0]);
  check_defined(io, AS_CAF_IO, io_hooks, sizeof io_hooks / sizeof io_hooks[0]);
}

Test(caf_layout, the_preload_library_exports_every_hook)
{
  void *own = dlopen(AS_TEST_PRELOAD, RTLD_LAZY | RTLD_LOCAL);
  cr_assert_not_null(own, "%s", dlerror());
  const struct caf_symbol *tables[] = {core_hooks, io_hooks};
  size_t sizes[] = {sizeof core_hooks / sizeof core_hooks[0], sizeof io_hooks / sizeof io_hooks[0]};
  for (int t = 0; t < 2; t++) {
    for (size_t i = 0; i < sizes[t]; i++) {
      void *sym = dlsym(own, tables[t][i].mangled);
      Dl_info info;
      cr_expect(sym && dladdr(sym, &info) && strstr(info.dli_fname, "libactorscope.so"),
                "libactorscope.so does not export %s", tables[t][i].mangled);
    }
  }
}

Test(caf_layout, the_probe_accepts_the_installed_caf_0_17_6)
{
  void *core = open_library(AS_CAF_CORE);
  char why[320] = "";
  int rc = caf_layout_verify(dlsym(core, "_ZN3caf14abstract_actorC2ERNS_12actor_configE"), why,
                             sizeof why);
  cr_assert_eq(rc, 0, "%s", why);
}

Test(caf_layout, the_probe_refuses_code_outside_libcaf_core)
{
  char why[320] = "";
  cr_assert_eq(caf_layout_verify((const void *)caf_layout_verify, why, sizeof why), -1);
  cr_assert_not_null(strstr(why, "is not libcaf_core 0.17.6"), "%s", why);
  cr_assert_eq(caf_layout_verify(NULL, why, sizeof why), -1);
}

/* CAF 0.17.6: atom("ping") and atom("exit"), computed by its encoder. */
static uint64_t encode_atom(const char *s)
{
  static const char table[] = " 0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz";
  uint64_t value = 0xF;
  for (; *s; s++)
    value = (value << 6) | (uint64_t)(strchr(table, *s) - table);
  return value;
}

Test(caf_layout, atoms_decode_to_their_text)
{
  char out[16];
  const char *words[] = {"ping", "exit", "system", "a_Z9", "abcdefghij"};
  for (size_t i = 0; i < 5; i++) {
    caf_layout_atom_decode(encode_atom(words[i]), out);
    cr_assert_str_eq(out, words[i]);
  }
  caf_layout_atom_decode(0, out);
  cr_assert_str_eq(out, "");
}

struct fake_error_data {
  uint8_t code;
  uint64_t category;
};

Test(caf_layout, exit_reasons_render_as_caf_names_them)
{
  char out[64];
  caf_layout_render_error(NULL, out, sizeof out);
  cr_assert_str_eq(out, "normal");
  void *none = NULL;
  caf_layout_render_error(&none, out, sizeof out);
  cr_assert_str_eq(out, "normal");

  struct fake_error_data data = {4, encode_atom("exit")};
  void *error = &data;
  caf_layout_render_error(&error, out, sizeof out);
  cr_assert_str_eq(out, "user_shutdown");
  data = (struct fake_error_data){5, encode_atom("exit")};
  caf_layout_render_error(&error, out, sizeof out);
  cr_assert_str_eq(out, "kill");
  data = (struct fake_error_data){28, encode_atom("system")};
  caf_layout_render_error(&error, out, sizeof out);
  cr_assert_str_eq(out, "sec::runtime_error");
  data = (struct fake_error_data){3, encode_atom("myapp")};
  caf_layout_render_error(&error, out, sizeof out);
  cr_assert_str_eq(out, "error(myapp, 3)");
  data = (struct fake_error_data){200, encode_atom("exit")};
  caf_layout_render_error(&error, out, sizeof out);
  cr_assert_str_eq(out, "error(exit, 200)");
}

Test(caf_layout, demangled_names_lose_gccs_abi_tags)
{
  /* __cxa_demangle lives in the C++ runtime, which CAF brings. */
  cr_assert_not_null(dlopen("libstdc++.so.6", RTLD_NOW | RTLD_GLOBAL), "%s", dlerror());
  char *name =
      as_resolve_demangle("_ZN3caf2io20make_middleman_actorB5cxx11ERNS_12actor_systemENS_5actorE");
  cr_assert_not_null(name);
  cr_expect_str_eq(name, "caf::io::make_middleman_actor(caf::actor_system&, caf::actor)");
  free(name);
  /* Two tags, and one on a type in the parameters. */
  name = as_resolve_demangle("_Z1fB5cxx11B3fooN2ns1tB5cxx11E");
  cr_assert_not_null(name);
  cr_expect_str_eq(name, "f(ns::t)");
  free(name);
}

/* An actor_system as far as the running count reads it: registry() points into it, and the
 * registry's back reference says whether it is one. */
static _Alignas(16) unsigned char fake_system[64 * 1024];

/* libcaf_core's layout verified, as the hooks' first spawn does. */
static void verify_installed_caf(void)
{
  void *core = open_library(AS_CAF_CORE);
  char why[320] = "";
  cr_assert_eq(caf_layout_verify(dlsym(core, "_ZN3caf14abstract_actorC2ERNS_12actor_configE"), why,
                                 sizeof why),
               0, "%s", why);
}

static int said_running_unknown(void)
{
  struct as_diag_entry diags[AS_DIAG_MAX];
  size_t n = as_diag_copy(diags, AS_DIAG_MAX);
  int said = 0;
  for (size_t i = 0; i < n; i++)
    said |= strcmp(diags[i].code, "caf_running_unknown") == 0;
  return said;
}

Test(caf_layout, the_running_count_is_read_only_from_a_registry_that_reads_back)
{
  verify_installed_caf();
  unsigned char *registry = caf_layout_registry_of(fake_system);
  cr_assert(registry > fake_system && registry + 0x100 < fake_system + sizeof fake_system);
  const void *_Atomic systems[CAF_RUNNING_SYSTEMS_MAX] = {fake_system};
  uint64_t running = 99, seven = 7;
  memcpy(registry + CAF_REGISTRY_RUNNING, &seven, sizeof seven);
  /* Not a registry (no back reference): no count, and it is said once. */
  cr_assert_eq(caf_running_total(systems, CAF_RUNNING_SYSTEMS_MAX, 1, &running), -1);
  cr_assert_eq(running, 99);
  cr_assert(said_running_unknown());
  /* The back reference in place: CAF's count. */
  const void *self = fake_system;
  memcpy(registry + CAF_REGISTRY_SYSTEM, &self, sizeof self);
  cr_assert_eq(caf_running_total(systems, CAF_RUNNING_SYSTEMS_MAX, 1, &running), 0);
  cr_assert_eq(running, 7);
  /* Read in place from then on: a new count is seen at once. */
  uint64_t eight = 8;
  memcpy(registry + CAF_REGISTRY_RUNNING, &eight, sizeof eight);
  cr_assert_eq(caf_running_total(systems, CAF_RUNNING_SYSTEMS_MAX, 1, &running), 0);
  cr_assert_eq(running, 8);
  /* A system destroyed since (its back reference gone) runs nothing. */
  memset(registry + CAF_REGISTRY_SYSTEM, 0, sizeof self);
  cr_assert_eq(caf_running_total(systems, CAF_RUNNING_SYSTEMS_MAX, 1, &running), 0);
  cr_assert_eq(running, 0);
  /* One whose destructor returned is not read again, whatever its memory holds now... */
  memcpy(registry + CAF_REGISTRY_SYSTEM, &self, sizeof self);
  caf_running_system_ends(systems, CAF_RUNNING_SYSTEMS_MAX, fake_system);
  cr_assert_eq(caf_running_total(systems, CAF_RUNNING_SYSTEMS_MAX, 1, &running), 0);
  cr_assert_eq(running, 0);
  /* ...until an actor of a new system at its address is seen. */
  caf_running_system_seen(0);
  cr_assert_eq(caf_running_total(systems, CAF_RUNNING_SYSTEMS_MAX, 1, &running), 0);
  cr_assert_eq(running, 8);
}

/* A short program's system often ends before the collector's first look: no count then, and
 * no word of a layout not recognised (every such run's report said one). */
Test(caf_layout, a_system_ended_before_its_first_read_is_not_said_unrecognised)
{
  verify_installed_caf();
  const void *_Atomic systems[CAF_RUNNING_SYSTEMS_MAX] = {fake_system};
  uint64_t running = 99;
  caf_running_system_ends(systems, CAF_RUNNING_SYSTEMS_MAX, fake_system);
  cr_assert_eq(caf_running_total(systems, CAF_RUNNING_SYSTEMS_MAX, 1, &running), -1);
  cr_assert_eq(running, 99);
  cr_assert_not(said_running_unknown());
}
