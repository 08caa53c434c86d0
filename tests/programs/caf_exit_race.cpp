// A thread meets SIGPIPE (a write to a pipe whose reader is gone, as a `prog | head` writer
// does) while main, 20 ms later, ends the process itself: argv[1] is "_exit", "quick_exit" or
// "exit" (an atexit handler and a static object's destructor then print to stdout). Untraced
// the signal kills at once: exit status 128 + SIGPIPE, nothing printed. Busy actors (16
// driving themselves and spawning short-lived helpers, 1000 idle) make the traced process's
// last line take longer than 20 ms.
#include <caf/all.hpp>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace caf;

namespace
{

int pipe_ends[2];

behavior idle(event_based_actor *)
{
  return {[](int) {}};
}

behavior driving_itself(event_based_actor *self)
{
  return {[=](int n) {
    self->send(self, n + 1);
    if (n % 64 == 0) { /* and a short-lived helper now and then */
      auto helper = self->spawn(idle);
      self->send(helper, n);
      anon_send_exit(helper, exit_reason::user_shutdown);
    }
  }};
}

void said_at_exit() { std::printf("atexit handler ran\n"); }

struct said_at_destruction {
  ~said_at_destruction() { std::printf("static destructor ran\n"); }
} destroyed_last;

} // namespace

int main(int argc, char **argv)
{
  if (argc < 2)
    return 2;
  actor_system_config cfg;
  actor_system system{cfg};
  std::vector<actor> crowd;
  for (int i = 0; i < 1000; i++)
    crowd.push_back(system.spawn(idle));
  for (int i = 0; i < 16; i++)
    anon_send(system.spawn(driving_itself), 0);
  usleep(300000);
  std::atexit(said_at_exit);
  if (pipe(pipe_ends) != 0)
    return 4;
  close(pipe_ends[0]);
  /* Main's 20 ms start once the writer runs: on a loaded machine its thread could otherwise
   * start after them, and main would end the process first, traced or not. */
  static std::atomic<bool> writing{false};
  std::thread writer([] {
    writing.store(true);
    if (write(pipe_ends[1], "x", 1) < 0)
      _exit(5); /* only with SIGPIPE ignored or blocked */
  });
  while (!writing.load())
    usleep(100);
  usleep(20000);
  if (std::strcmp(argv[1], "_exit") == 0)
    _exit(3);
  if (std::strcmp(argv[1], "quick_exit") == 0)
    quick_exit(6);
  std::exit(7);
}
