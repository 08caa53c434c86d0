// Actor per request: a front actor spawns a worker for each request, asks it, and the worker
// answers and quits; IN_FLIGHT requests (default 64) are open at any time, N (default 200000)
// in all. "caf_request N [IN_FLIGHT]" prints nothing; its exit status is 0 when every answer
// came back.
#include <caf/all.hpp>

#include <cstdlib>

using namespace caf;

using start_atom = atom_constant<atom("start")>;
using work_atom = atom_constant<atom("work")>;

behavior worker(event_based_actor *self)
{
  return {[=](work_atom, long n) {
    self->quit();
    return n + 1;
  }};
}

struct front_state {
  long total = 0, in_flight = 0, issued = 0, answered = 0, sum = 0;
  response_promise done;
};

static void front_issue(stateful_actor<front_state> *self)
{
  long n = self->state.issued++;
  self->request(self->spawn(worker), infinite, work_atom::value, n).then([=](long answer) {
    self->state.answered++;
    self->state.sum += answer - n;
    if (self->state.issued < self->state.total)
      front_issue(self);
    else if (self->state.answered == self->state.total)
      self->state.done.deliver(self->state.sum);
  });
}

behavior front(stateful_actor<front_state> *self, long total, long in_flight)
{
  self->state.total = total;
  self->state.in_flight = in_flight;
  return {[=](start_atom) {
    self->state.done = self->make_response_promise();
    for (long i = 0; i < self->state.in_flight && self->state.issued < self->state.total; i++)
      front_issue(self);
  }};
}

int main(int argc, char **argv)
{
  long n = argc > 1 ? std::atol(argv[1]) : 200000;
  long in_flight = argc > 2 ? std::atol(argv[2]) : 64;
  actor_system_config cfg;
  cfg.set("scheduler.max-threads", 2);
  actor_system system{cfg};
  scoped_actor self{system};
  auto f = system.spawn(front, n, in_flight);
  long sum = -1;
  self->request(f, infinite, start_atom::value)
      .receive([&](long s) { sum = s; }, [&](error &) { sum = -1; });
  self->send_exit(f, exit_reason::user_shutdown);
  return sum == n ? 0 : 1;
}
