/* Stands for a setuid program into which the library is loaded: it loads the library named
 * by argv[1] (RTLD_GLOBAL, so its hooks come first for what is loaded later), then runs the
 * CZMQ plugin named by argv[2]. Exit status 0 when the plugin got every answer. */
#include <dlfcn.h>
#include <stdio.h>

int main(int argc, char **argv)
{
  if (argc < 3)
    return 2;
  if (!dlopen(argv[1], RTLD_NOW | RTLD_GLOBAL)) {
    fprintf(stderr, "%s\n", dlerror());
    return 2;
  }
  void *plugin = dlopen(argv[2], RTLD_NOW | RTLD_LOCAL);
  int (*run)(int) = plugin ? (int (*)(int))dlsym(plugin, "plugin_run") : NULL;
  int acks = run ? run(5) : -1;
  printf("acks=%d\n", acks);
  return acks == 5 ? 0 : 1;
}
