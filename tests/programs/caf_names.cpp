// One actor of each kind whose name the tracer must make readable (issue 10.5): a class that
// names itself (name()), a class template over an atom, a class template over namespaced
// types, a function with a parameter list longer than any name buffer, a function template
// (its symbol names its return type), a scoped actor, another that stays idle.
// Each answers one "hi"; prints how many answered.
// With "hold", every actor is held for 20 ms inside the tracer's naming hook (its record
// published, its final class not yet read), through the tracer's test pause point, while the
// collector snapshots every millisecond: no line may list an actor by a name it does not keep.
// It then waits 1.5 s, for the never-launched actor to be listed all the same.
#include <caf/all.hpp>

#include <cstring>
#include <iostream>
#include <unistd.h>
#include <map>
#include <string>
#include <vector>

using namespace caf;

using hi_atom = atom_constant<atom("hi")>;

static bool hold_naming;

extern "C" __attribute__((visibility("default"))) void actorscope_test_pause(const char *where)
{
  if (hold_naming && std::strcmp(where, "caf_launch") == 0)
    usleep(20000);
}

class named_actor : public event_based_actor
{
public:
  explicit named_actor(actor_config &cfg) : event_based_actor(cfg) {}
  const char *name() const override { return "my_named"; }
  behavior make_behavior() override
  {
    return {[](hi_atom) { return 1; }};
  }
};

template <atom_value Tag> class tagged : public event_based_actor
{
public:
  explicit tagged(actor_config &cfg) : event_based_actor(cfg) {}
  behavior make_behavior() override
  {
    return {[](hi_atom) { return 1; }};
  }
};

namespace shop
{
namespace inner
{
struct job {
};
} // namespace inner

template <class T, class U> class wrapper : public event_based_actor
{
public:
  explicit wrapper(actor_config &cfg) : event_based_actor(cfg) {}
  behavior make_behavior() override
  {
    return {[](hi_atom) { return 1; }};
  }
};

using table = std::map<std::string, std::vector<std::map<std::string, std::string>>>;

behavior long_worker(event_based_actor *, table, table, table)
{
  return {[](hi_atom) { return 1; }};
}

template <class T> behavior templ_worker(event_based_actor *)
{
  return {[](hi_atom) { return 1; }};
}
} // namespace shop

int main(int argc, char **argv)
{
  hold_naming = argc > 1 && std::strcmp(argv[1], "hold") == 0;
  actor_system_config cfg;
  cfg.set("scheduler.max-threads", 2);
  int answers = 0;
  {
    actor_system system{cfg};
    scoped_actor self{system};
    /* A scoped actor that never sends nor receives: named when it is made, not at its end. */
    scoped_actor idle{system};
    /* Made and never launched, as a test fixture does (CAF's own unit tests make one each). */
    actor_config never_cfg;
    auto never = make_actor<event_based_actor, actor>(system.next_actor_id(), system.node(),
                                                      &system, never_cfg);
    std::vector<actor> all{
        system.spawn<named_actor>(), system.spawn<tagged<atom("ping")>>(),
        system.spawn<shop::wrapper<shop::inner::job, int>>(),
        system.spawn(shop::long_worker, shop::table{}, shop::table{}, shop::table{}),
        system.spawn(shop::templ_worker<int>)};
    for (auto &a : all) {
      self->request(a, infinite, hi_atom::value)
          .receive([&](int n) { answers += n; }, [](error &) {});
      anon_send_exit(a, exit_reason::user_shutdown);
    }
    /* The never-launched actor is never named: it must still be listed before the end. */
    if (hold_naming)
      usleep(1500000);
  }
  std::cout << "answers " << answers << std::endl;
  return 0;
}
