#pragma once
// A logplex drain for tests and benchmarks: a real HTTP(S) server on 127.0.0.1:0, on its own thread and loop,
// that parses every request strictly (headers, auth, octet counting, RFC 5424 header shape) and records what
// arrived. It can be told to fail: answer statuses, reset connections, go down and come back, answer slowly.
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace sluice {

class TestDrain {
 public:
  struct Options {
    bool tls = true;
    std::string cert_file;           // PEM, with tls
    std::string key_file;
    std::string token = "SECRET";    // the expected basic-auth password of user "token"; "" = no check
    std::string path = "/logs";
    bool keep_messages = true;       // false: only count (benchmarks)
    bool check_rfc5424 = true;       // check the header shape of every message
    // false: only the body's octet counting is checked (a peer agent in the benchmark, which sends neither
    // Sluice's User-Agent nor a per-batch Logplex-Msg-Count or Frame-Id).
    bool check_headers = true;
  };

  struct Request {
    std::string frame_id;
    size_t messages = 0;
    int status = 0;                  // what the drain answered (0: reset, no answer)
    bool accepted = false;           // its messages were recorded
    std::chrono::steady_clock::time_point arrived;
  };

  explicit TestDrain(Options options);
  ~TestDrain();
  TestDrain(const TestDrain&) = delete;
  TestDrain& operator=(const TestDrain&) = delete;

  uint16_t port() const { return port_; }
  // "https://token:SECRET@127.0.0.1:PORT/logs" (http:// without tls).
  std::string url() const;

  // Failure scripts, consumed by the next requests in order.
  void failNext(int count, int status, std::string retry_after = "");
  // From now on, answers `status` to this fraction of the requests not scripted otherwise (a fixed seed).
  void failRandomly(double fraction, int status);
  void resetNext(int count);                 // close with a TCP RST, no answer, nothing recorded
  void acceptThenResetNext(int count);       // record the batch, then RST: the agent must resend it
  void setDelay(std::chrono::milliseconds delay);   // answer every request this much later
  void goDown();                             // stop listening and drop every connection
  void comeUp();                             // listen again on the same port

  // What arrived (thread-safe). Messages are in arrival order of accepted batches, duplicates included.
  size_t messageCount() const;
  std::vector<std::string> messages() const;
  // MSG parts only (after "- - " ... the structured-data dash): what the agent read.
  std::vector<std::string> bodies() const;
  std::vector<Request> requests() const;
  // Accepted batches by frame id, in arrival order: (frame id, messages).
  std::vector<std::pair<std::string, std::vector<std::string>>> batches() const;
  std::vector<std::string> protocolErrors() const;
  uint64_t bytesReceived() const;
  // Requests that arrived, answered or not yet (setDelay holds answers back).
  size_t requestsArrived() const;
  // The client addresses ("127.0.0.1:PORT") requests came from: one per connection the agent opened.
  std::set<std::string> peers() const;
  // Connections open now (a killed agent's close once the drain has read what they held).
  size_t openConnections() const;
  bool waitForMessages(size_t count, std::chrono::milliseconds deadline) const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
  uint16_t port_ = 0;
};

// The MSG of an RFC 5424 message as Sluice frames it ("<PRI>1 TS HOST APP PROCID MSGID - MSG").
std::string_view syslogBody(std::string_view message);
// Checks the header shape; "" when fine, else what is wrong.
std::string checkRfc5424(std::string_view message);

}  // namespace sluice
