/* Loads a plugin lazily bound (RTLD_LAZY) once attached, unloads it and loads it again bound at
 * load (RTLD_NOW): the same library, most likely at the same place, with different slots. Once
 * detached, runs the plugin's actor 20 times and prints how many round trips came back.
 * Waits for the files "attached" and "detached" in its directory, each at most 20 s. */
#include <czmq.h>
#include <dlfcn.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void wait_for(const char *file)
{
  for (int i = 0; i < 2000 && access(file, F_OK) != 0; i++)
    usleep(10000);
}

int main(void)
{
  char exe[PATH_MAX] = "", plugin[PATH_MAX + 64];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  exe[n > 0 ? n : 0] = '\0';
  snprintf(plugin, sizeof plugin, "%s/libczmq_attach_plugin.so", dirname(exe));
  zsys_init(); /* the program is a CZMQ one itself: attach traces CZMQ programs */
  fprintf(stderr, "ready\n");
  wait_for("attached");
  void *lazy = dlopen(plugin, RTLD_LAZY | RTLD_LOCAL);
  if (!lazy) {
    fprintf(stderr, "%s\n", dlerror());
    return 1;
  }
  usleep(300000); /* passes of the tracer rewrite its slots */
  dlclose(lazy);
  void *now = dlopen(plugin, RTLD_NOW | RTLD_LOCAL);
  usleep(300000);
  fprintf(stderr, "loaded\n");
  wait_for("detached");
  int (*run)(void) = now ? (int (*)(void))dlsym(now, "plugin_run") : NULL;
  int ok = 0;
  for (int i = 0; run && i < 20; i++)
    ok += run();
  printf("round_trips=%d\n", ok);
  return 0;
}
