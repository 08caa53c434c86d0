// A CAF plugin with a C entry point, loaded with dlopen(RTLD_LOCAL) by a C host (plugin_host)
// or by Python's ctypes: libcaf_core and the C++ runtime are then outside the global scope.
// plugin_run(n): a "ping" actor sends n "ping"s to a "pong" actor, one at a time; returns the
// number of "pong"s it got.
#include <caf/all.hpp>

#include <atomic>

using namespace caf;

using ping_atom = atom_constant<atom("ping")>;
using pong_atom = atom_constant<atom("pong")>;

static std::atomic<int> pongs;

behavior pong(event_based_actor *)
{
  return {[](ping_atom, int n) { return std::make_tuple(pong_atom::value, n); }};
}

behavior ping(event_based_actor *self, actor buddy, int rounds)
{
  self->send(buddy, ping_atom::value, rounds);
  return {[=](pong_atom, int n) {
    pongs++;
    if (n <= 1) {
      self->send_exit(buddy, exit_reason::user_shutdown);
      self->quit();
      return;
    }
    self->send(buddy, ping_atom::value, n - 1);
  }};
}

extern "C" __attribute__((visibility("default"))) int plugin_run(int rounds)
{
  actor_system_config cfg;
  cfg.set("scheduler.max-threads", 2);
  {
    actor_system system{cfg};
    auto p = system.spawn(pong);
    system.spawn(ping, p, rounds);
  }
  return pongs.load();
}
