// An io::broker echo server on 127.0.0.1: a plain socket client connects, sends "hello",
// reads the echo and closes. Exit status 0 when the echo came back. With argument "hold MS",
// the server's data handler first sends itself 5 "tick" messages and sleeps MS milliseconds:
// the ticks wait in its mailbox meanwhile, after the network events its servants handed it
// outside the mailbox. With argument "skip", the server takes only the new connection and skips
// every other message (CAF then drops the data it is handed and keeps the closing message in
// the broker's cache); the client does not wait for an echo, and main stops the server.
#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include <arpa/inet.h>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <netinet/in.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

using namespace caf;

using tick_atom = atom_constant<atom("tick")>;

behavior echo_server(io::broker *self, long hold_ms)
{
  return {
      [=](const io::new_connection_msg &msg) {
        self->configure_read(msg.handle, io::receive_policy::at_most(1024));
      },
      [=](const io::new_data_msg &msg) {
        if (hold_ms > 0) {
          for (int i = 0; i < 5; i++)
            self->send(self, tick_atom::value);
          std::this_thread::sleep_for(std::chrono::milliseconds(hold_ms));
        }
        self->write(msg.handle, msg.buf.size(), msg.buf.data());
        self->flush(msg.handle);
      },
      [=](tick_atom) {},
      [=](const io::connection_closed_msg &) { self->quit(); },
  };
}

behavior skipping_server(io::broker *self)
{
  self->set_default_handler(skip);
  return {[=](const io::new_connection_msg &msg) {
    self->configure_read(msg.handle, io::receive_policy::at_most(1024));
  }};
}

int main(int argc, char **argv)
{
  long hold_ms = argc > 2 && std::strcmp(argv[1], "hold") == 0 ? std::atol(argv[2]) : 0;
  actor_system_config cfg;
  cfg.load<io::middleman>();
  cfg.set("scheduler.max-threads", 2);
  actor_system system{cfg};
  uint16_t port = 0;
  bool skipping = argc > 1 && std::strcmp(argv[1], "skip") == 0;
  auto server = skipping ? system.middleman().spawn_server(skipping_server, port)
                         : system.middleman().spawn_server(echo_server, port, hold_ms);
  if (!server) {
    std::cerr << "cannot spawn the server" << std::endl;
    return 2;
  }
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) != 0) {
    std::cerr << "cannot connect" << std::endl;
    return 2;
  }
  if (write(fd, "hello", 5) != 5)
    return 2;
  if (skipping) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    close(fd);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    anon_send_exit(*server, exit_reason::user_shutdown);
    system.await_all_actors_done();
    std::cout << "skipped" << std::endl;
    return 0;
  }
  char buf[16] = {0};
  ssize_t got = 0;
  while (got < 5) {
    ssize_t n = read(fd, buf + got, sizeof buf - 1 - got);
    if (n <= 0)
      break;
    got += n;
  }
  close(fd);
  std::cout << "echo: " << buf << std::endl;
  return std::strcmp(buf, "hello") == 0 ? 0 : 1;
}
