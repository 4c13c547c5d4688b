// client_watch.h over real sockets on 127.0.0.1: a watch sees its client leave; the socket
// a thread found is reused for the next request on the same connection, and never taken for
// another connection that was given the same file descriptor number.
#include "client_watch.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace sluice::service {
namespace {

int port_of(int fd, bool peer) {
  sockaddr_in a{};
  socklen_t size = sizeof a;
  (peer ? getpeername : getsockname)(fd, reinterpret_cast<sockaddr*>(&a), &size);
  return ntohs(a.sin_port);
}

class ClientWatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    listener_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(bind(listener_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    ASSERT_EQ(listen(listener_, 8), 0);
    local_port_ = port_of(listener_, false);
  }
  void TearDown() override { close(listener_); }

  // A connection: the client's end and the server's.
  struct Connection {
    int client = -1, server = -1, client_port = 0;
  };
  Connection connect_one() {
    Connection c;
    c.client = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<uint16_t>(local_port_));
    EXPECT_EQ(connect(c.client, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    c.server = accept(listener_, nullptr, nullptr);
    EXPECT_GE(c.server, 0);
    c.client_port = port_of(c.client, false);
    return c;
  }
  ClientWatch watch(const Connection& c) const {
    return ClientWatch("127.0.0.1", c.client_port, local_port_);
  }

  int listener_ = -1;
  int local_port_ = 0;
};

TEST_F(ClientWatchTest, SeesTheClientLeaveOnEveryRequestOfItsConnection) {
  const Connection a = connect_one();
  ClientWatch first = watch(a);
  EXPECT_FALSE(first.gone()) << "found by the scan, still there";
  ClientWatch second = watch(a);  // the next request on the connection: the found socket
  EXPECT_FALSE(second.gone());
  close(a.client);
  EXPECT_TRUE(first.gone());
  EXPECT_TRUE(second.gone());
  EXPECT_TRUE(watch(a).gone());
  close(a.server);
}

TEST_F(ClientWatchTest, AnotherConnectionIsFoundAnew) {
  const Connection a = connect_one(), b = connect_one();
  EXPECT_FALSE(watch(a).gone());
  ClientWatch on_b = watch(b);  // not a's socket: scanned for
  close(a.client);
  EXPECT_FALSE(on_b.gone()) << "b is still there though a left";
  close(b.client);
  EXPECT_TRUE(on_b.gone());
  close(a.server);
  close(b.server);
}

TEST_F(ClientWatchTest, AReusedDescriptorNumberIsNotTakenForTheOldConnection) {
  const Connection a = connect_one();
  EXPECT_FALSE(watch(a).gone());  // this thread now remembers a's socket
  close(a.server);
  close(a.client);
  const Connection c = connect_one();  // likely given a.server's number
  close(c.client);                     // c has left; a's watch must not say so from c's socket
  EXPECT_FALSE(watch(a).gone()) << "a's socket is gone from this process: not found, not c's";
  EXPECT_TRUE(watch(c).gone());
  close(c.server);
}

}  // namespace
}  // namespace sluice::service
