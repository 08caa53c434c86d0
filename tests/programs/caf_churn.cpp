// An invoicing service the way such code is written: a gateway actor answers each request by
// spawning a worker for it, asking it and passing the answer on; the worker quits after one
// answer. "caf_churn N [IN_FLIGHT]" issues N requests with IN_FLIGHT (default 64) open at
// once, prints "answered N sum S" and exits 0 when every answer came back.
#include <caf/all.hpp>

#include <cstdio>
#include <cstdlib>

using namespace caf;

namespace acme::billing
{

using invoice_atom = atom_constant<atom("invoice")>;
using start_atom = atom_constant<atom("start")>;

behavior invoice_worker(event_based_actor *self)
{
  return {[=](invoice_atom, long cents) {
    self->quit();
    return cents + 1;
  }};
}

struct gateway_state {
  long total = 0, issued = 0, answered = 0, sum = 0;
  response_promise done;
};

void issue_one(stateful_actor<gateway_state> *self)
{
  long n = self->state.issued++;
  self->request(self->spawn(invoice_worker), infinite, invoice_atom::value, n)
      .then([=](long answer) {
        self->state.answered++;
        self->state.sum += answer - n;
        if (self->state.issued < self->state.total)
          issue_one(self);
        else if (self->state.answered == self->state.total)
          self->state.done.deliver(self->state.sum);
      });
}

behavior invoice_gateway(stateful_actor<gateway_state> *self, long total, long in_flight)
{
  self->state.total = total;
  return {[=](start_atom) {
    self->state.done = self->make_response_promise();
    for (long i = 0; i < in_flight && self->state.issued < self->state.total; i++)
      issue_one(self);
    return self->state.done;
  }};
}

} // namespace acme::billing

int main(int argc, char **argv)
{
  long n = argc > 1 ? std::atol(argv[1]) : 10000;
  long in_flight = argc > 2 ? std::atol(argv[2]) : 64;
  actor_system_config cfg;
  cfg.set("scheduler.max-threads", 2);
  actor_system system{cfg};
  scoped_actor self{system};
  auto gateway = system.spawn(acme::billing::invoice_gateway, n, in_flight);
  long sum = -1;
  self->request(gateway, infinite, acme::billing::start_atom::value)
      .receive([&](long s) { sum = s; }, [&](error &) {});
  std::printf("answered %ld sum %ld\n", n, sum);
  return sum == n ? 0 : 1;
}
