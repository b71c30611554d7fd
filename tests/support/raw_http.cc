#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <functional>
#include <thread>

#include "tests/support/raw_http.h"

namespace sluice {

RawConnection::RawConnection(uint16_t port, int rcvbuf) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return;
  if (rcvbuf > 0) setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

RawConnection::~RawConnection() {
  if (fd_ >= 0) ::close(fd_);
}

bool RawConnection::send(const std::string& bytes) {
  size_t off = 0;
  while (off < bytes.size()) {
    ssize_t n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    off += static_cast<size_t>(n);
  }
  return true;
}

bool RawConnection::readSome(std::chrono::milliseconds wait) {
  if (fd_ < 0 || eof_) return false;
  pollfd p{fd_, POLLIN, 0};
  int r = ::poll(&p, 1, static_cast<int>(wait.count()));
  if (r <= 0) return true;
  char tmp[65536];
  ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
  if (n <= 0) {
    eof_ = true;
    return false;
  }
  buf_.append(tmp, static_cast<size_t>(n));
  return true;
}

bool RawConnection::readUntil(const std::string& text, std::chrono::milliseconds deadline) {
  auto end = std::chrono::steady_clock::now() + deadline;
  while (buf_.find(text) == std::string::npos) {
    if (std::chrono::steady_clock::now() >= end) return false;
    if (!readSome(std::chrono::milliseconds(20)) && eof_) return buf_.find(text) != std::string::npos;
  }
  return true;
}

bool RawConnection::readToEnd(std::chrono::milliseconds deadline) {
  auto end = std::chrono::steady_clock::now() + deadline;
  while (!eof_) {
    if (std::chrono::steady_clock::now() >= end) return false;
    readSome(std::chrono::milliseconds(20));
  }
  return true;
}

std::optional<RawResponse> parseRawResponse(const std::string& raw) {
  size_t head_end = raw.find("\r\n\r\n");
  if (head_end == std::string::npos || raw.compare(0, 9, "HTTP/1.1 ") != 0) return std::nullopt;
  RawResponse r;
  r.status = std::atoi(raw.c_str() + 9);
  size_t pos = raw.find("\r\n") + 2;
  while (pos < head_end) {
    size_t eol = raw.find("\r\n", pos);
    std::string line = raw.substr(pos, eol - pos);
    size_t colon = line.find(':');
    if (colon != std::string::npos) {
      std::string name = line.substr(0, colon);
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      std::string value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      r.headers[name] = value;
    }
    pos = eol + 2;
  }
  std::string rest = raw.substr(head_end + 4);
  if (r.header("transfer-encoding") == "chunked") {
    size_t p = 0;
    while (true) {
      size_t eol = rest.find("\r\n", p);
      if (eol == std::string::npos) return std::nullopt;
      size_t len = std::stoul(rest.substr(p, eol - p), nullptr, 16);
      if (len == 0) break;
      if (eol + 2 + len > rest.size()) return std::nullopt;
      r.body += rest.substr(eol + 2, len);
      p = eol + 2 + len + 2;
    }
  } else if (!r.header("content-length").empty()) {
    size_t len = std::stoul(r.header("content-length"));
    if (rest.size() < len) return std::nullopt;
    r.body = rest.substr(0, len);
  } else {
    r.body = rest;
  }
  return r;
}

std::optional<RawResponse> rawRequest(uint16_t port, const std::string& method, const std::string& target,
                                      const std::vector<std::pair<std::string, std::string>>& headers,
                                      const std::string& body, std::chrono::milliseconds deadline) {
  RawConnection c(port);
  if (!c.ok()) return std::nullopt;
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                    "\r\nConnection: close\r\n";
  bool has_length = false;
  for (const auto& [k, v] : headers) {
    req += k + ": " + v + "\r\n";
    if (k == "Content-Length" || k == "Transfer-Encoding") has_length = true;
  }
  if (!body.empty() && !has_length) req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  req += "\r\n" + body;
  c.send(req);  // a server may answer (413) and close before it has read everything: read what it said
  if (!c.readToEnd(deadline)) return std::nullopt;
  return parseRawResponse(c.buffer());
}

uint16_t waitForPort(const std::function<std::string()>& text_fn, const std::string& marker,
                     std::chrono::milliseconds deadline) {
  auto end = std::chrono::steady_clock::now() + deadline;
  while (std::chrono::steady_clock::now() < end) {
    std::string text = text_fn();
    size_t pos = text.find(marker);
    if (pos != std::string::npos) {
      size_t colon = text.find(':', text.find("127.0.0.1", pos) );
      if (colon != std::string::npos) return static_cast<uint16_t>(std::atoi(text.c_str() + colon + 1));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return 0;
}

}  // namespace sluice
