/* Runs CZMQ's own self-tests, exported by Debian's libczmq (`zproxy_test`, `zmonitor_test`,
 * `zgossip_test`, `zbeacon_test` ...): real zactor code that nobody here wrote, for the tests to
 * trace. Usage: czmq_selftests NAME... (each NAME without its `_test`). libczmq is opened by
 * name, as a program that calls none of its functions directly would not keep it linked. The
 * self-tests write scratch files into the working directory. */
#include <dlfcn.h>
#include <stdbool.h>
#include <stdio.h>

int main(int argc, char **argv)
{
  void *czmq = dlopen("libczmq.so.4", RTLD_NOW | RTLD_GLOBAL);
  if (!czmq) {
    fprintf(stderr, "czmq_selftests: %s\n", dlerror());
    return 2;
  }
  for (int i = 1; i < argc; i++) {
    char symbol[128];
    snprintf(symbol, sizeof symbol, "%s_test", argv[i]);
    void (*self_test)(bool verbose) = (void (*)(bool))dlsym(czmq, symbol);
    if (!self_test) {
      fprintf(stderr, "czmq_selftests: libczmq has no %s\n", symbol);
      return 2;
    }
    self_test(false);
  }
  return 0;
}
