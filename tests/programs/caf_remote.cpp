// Two actor systems in one process talk over the middleman on 127.0.0.1: the second reaches
// the first one's actor through a forwarding proxy. Then an actor companion (as CAF's Qt
// widgets use it) is driven by hand from the main thread. Exit status 0.
#include <caf/all.hpp>
#include <caf/actor_companion.hpp>
#include <caf/io/all.hpp>

#include <chrono>
#include <deque>
#include <iostream>
#include <mutex>

using namespace caf;

using hello_atom = atom_constant<atom("hello")>;

behavior greeter(event_based_actor *)
{
  return {[](hello_atom, int n) { return n + 1; }};
}

int main()
{
  actor_system_config cfg_a, cfg_b;
  cfg_a.load<io::middleman>().set("scheduler.max-threads", 2);
  cfg_b.load<io::middleman>().set("scheduler.max-threads", 2);
  int answers = 0;
  {
    actor_system a{cfg_a};
    actor_system b{cfg_b};
    auto local = a.spawn(greeter);
    auto port = a.middleman().publish(local, 0, "127.0.0.1");
    if (!port) {
      std::cerr << "publish failed" << std::endl;
      return 2;
    }
    auto remote = b.middleman().remote_actor("127.0.0.1", *port);
    if (!remote) {
      std::cerr << "remote_actor failed" << std::endl;
      return 2;
    }
    scoped_actor self{b};
    for (int i = 0; i < 5; i++)
      self->request(*remote, std::chrono::seconds(5), hello_atom::value, i)
          .receive([&](int) { answers++; }, [](error &) {});
    std::cout << "remote answers " << answers << std::endl;

    // A companion: its mailbox elements are handed to us, and we run them on this thread.
    auto companion = a.spawn<actor_companion>();
    auto *impl = static_cast<actor_companion *>(actor_cast<abstract_actor *>(companion));
    std::mutex lock;
    std::deque<mailbox_element_ptr> queue;
    impl->on_enqueue([&](mailbox_element_ptr ptr) {
      std::lock_guard<std::mutex> guard{lock};
      queue.push_back(std::move(ptr));
    });
    int handled = 0;
    impl->become([&](hello_atom, int) { handled++; });
    for (int i = 0; i < 3; i++)
      anon_send(companion, hello_atom::value, i);
    for (int spins = 0; handled < 3 && spins < 1000; spins++) {
      mailbox_element_ptr next;
      {
        std::lock_guard<std::mutex> guard{lock};
        if (!queue.empty()) {
          next = std::move(queue.front());
          queue.pop_front();
        }
      }
      if (next)
        impl->activate(impl->context(), *next);
      else
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    std::cout << "companion handled " << handled << std::endl;
    anon_send_exit(companion, exit_reason::user_shutdown);
    anon_send_exit(local, exit_reason::user_shutdown);
  }
  return answers == 5 ? 0 : 1;
}
