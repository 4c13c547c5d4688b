#include "client_watch.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <cstdlib>
#include <cstring>

namespace sluice::service {
namespace {

// The address and port of a socket's end, as text; false when it is not an inet socket.
bool address_of(const sockaddr_storage& a, std::string& host, int& port) {
  char text[INET6_ADDRSTRLEN] = {};
  if (a.ss_family == AF_INET) {
    const auto& v4 = reinterpret_cast<const sockaddr_in&>(a);
    inet_ntop(AF_INET, &v4.sin_addr, text, sizeof text);
    port = ntohs(v4.sin_port);
  } else if (a.ss_family == AF_INET6) {
    const auto& v6 = reinterpret_cast<const sockaddr_in6&>(a);
    inet_ntop(AF_INET6, &v6.sin6_addr, text, sizeof text);
    port = ntohs(v6.sin6_port);
  } else {
    return false;
  }
  host = text;
  return true;
}

// Whether `fd` is the connection from remote_addr:remote_port to our local_port.
bool is_connection(int fd, const std::string& remote_addr, int remote_port, int local_port) {
  sockaddr_storage local{}, peer{};
  socklen_t local_size = sizeof local, peer_size = sizeof peer;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_size) != 0) return false;
  std::string host;
  int port = 0;
  if (!address_of(local, host, port) || port != local_port) return false;
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &peer_size) != 0) return false;
  return address_of(peer, host, port) && port == remote_port && host == remote_addr;
}

int find_socket(const std::string& remote_addr, int remote_port, int local_port) {
  DIR* dir = opendir("/proc/self/fd");
  if (!dir) return -1;
  int found = -1;
  while (const dirent* entry = readdir(dir)) {
    if (entry->d_name[0] < '0' || entry->d_name[0] > '9') continue;
    const int fd = std::atoi(entry->d_name);
    if (is_connection(fd, remote_addr, remote_port, local_port)) {
      found = fd;
      break;
    }
  }
  closedir(dir);
  return found;
}

// The socket this thread found last. A server thread serves one kept-alive connection
// request after request, so the scan of /proc/self/fd (two system calls per open file) is
// made once per connection, not once per request that waits: at concurrency 64 every
// request waits past the first check, and each scanned all of the server's sockets.
thread_local int last_found = -1;

}  // namespace

bool ClientWatch::gone() {
  if (fd_ == -2) {
    // is_connection checks the number again: it may have been closed and reused since.
    fd_ = last_found >= 0 && is_connection(last_found, remote_addr_, remote_port_, local_port_)
              ? last_found
              : find_socket(remote_addr_, remote_port_, local_port_);
    last_found = fd_;
  }
  if (fd_ < 0) return false;
  pollfd p{fd_, POLLRDHUP, 0};
  if (poll(&p, 1, 0) != 1) return false;
  return (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) != 0;
}

}  // namespace sluice::service
