// Whether the client of a request being handled has gone away. cpp-httplib 0.11 does not
// give a handler its connection, so the socket is found by its addresses: the one local
// socket whose peer is the request's remote address and port, on the server's port.
// Then poll() says whether the peer has closed it (POLLRDHUP).
#pragma once

#include <string>

namespace sluice::service {

class ClientWatch {
 public:
  ClientWatch(std::string remote_addr, int remote_port, int local_port)
      : remote_addr_(std::move(remote_addr)), remote_port_(remote_port), local_port_(local_port) {}
  // True once the client has closed its end (or the connection failed). Looks the socket
  // up on the first call, so requests answered quickly never pay for it, and a thread
  // remembers the socket it found for the next request on the same connection.
  bool gone();

 private:
  std::string remote_addr_;
  int remote_port_;
  int local_port_;
  int fd_ = -2;  // -2: not looked up yet; -1: not found (taken as still there)
};

}  // namespace sluice::service
