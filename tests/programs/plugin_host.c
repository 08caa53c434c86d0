/* Loads a CZMQ plugin with dlopen(RTLD_LOCAL) and runs it. The host itself does not link
 * CZMQ. Exit status 0 when the plugin got every answer. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
  if (argc < 2)
    return 2;
  void *plugin = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (!plugin) {
    fprintf(stderr, "%s\n", dlerror());
    return 2;
  }
  int (*run)(int) = (int (*)(int))dlsym(plugin, "plugin_run");
  int acks = run ? run(25) : -1;
  printf("acks=%d\n", acks);
  return acks == 25 ? 0 : 1;
}
