#pragma once
// The soak's producers: numbered lines into a rotating file, a pipe and logplex POSTs, each at its own pace, on its
// own thread. A line is "<stream>-<seq> <padding>", so the receivers can tell what is missing and what came twice.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>

namespace sluice::soak {

// Every line of a stream starts with its prefix and a 9-digit sequence number from 0.
std::string soakLine(const std::string& stream, uint64_t seq, size_t width);
// The stream and the sequence number of a received message body; false when it is not a soak line.
bool parseSoakLine(std::string_view body, std::string* stream, uint64_t* seq);

class Producer {
 public:
  virtual ~Producer();
  void start();
  // Stops producing; what was started (a POST under way) is finished first.
  void stop();
  uint64_t produced() const { return produced_.load(); }
  virtual const char* stream() const = 0;

 protected:
  Producer(double lines_per_second, size_t width) : width_(width), rate_(lines_per_second) {}
  // Produces the lines [from, from + count); returns how many it did (all, unless stopping).
  virtual uint64_t produce(uint64_t from, uint64_t count) = 0;
  bool stopping() const { return stop_.load(); }
  size_t width_;

 private:
  void run();
  double rate_;
  std::atomic<uint64_t> produced_{0};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// Appends to DIR/app.log and renames it to app.log.N every few seconds (the logrotate way: rename, then a new file).
class RotatingFileWriter final : public Producer {
 public:
  RotatingFileWriter(std::string dir, double lines_per_second, size_t width, std::chrono::milliseconds rotate_every);
  ~RotatingFileWriter() override;
  const char* stream() const override { return "file"; }
  uint64_t rotations() const { return rotations_.load(); }

 private:
  uint64_t produce(uint64_t from, uint64_t count) override;
  std::string dir_;
  std::chrono::milliseconds rotate_every_;
  std::chrono::steady_clock::time_point opened_;
  int fd_ = -1;
  std::atomic<uint64_t> rotations_{0};
};

// Writes into a pipe whose read end every incarnation of the agent gets as its stdin.
class PipeWriter final : public Producer {
 public:
  PipeWriter(double lines_per_second, size_t width);
  ~PipeWriter() override;
  const char* stream() const override { return "pipe"; }
  int readEnd() const { return read_fd_; }

 private:
  uint64_t produce(uint64_t from, uint64_t count) override;
  int read_fd_ = -1;
  int write_fd_ = -1;
};

// POSTs application/logplex-1 batches of `batch` lines, each with a frame id, again and again until one is answered
// 2xx: an at-least-once client, as an add-on's log collector is.
class LogplexPoster final : public Producer {
 public:
  LogplexPoster(uint16_t port, std::string token, double lines_per_second, size_t width, size_t batch);
  const char* stream() const override { return "post"; }
  uint64_t attempts() const { return attempts_.load(); }

 private:
  uint64_t produce(uint64_t from, uint64_t count) override;
  uint16_t port_;
  std::string token_;
  size_t batch_;
  std::atomic<uint64_t> attempts_{0};
};

}  // namespace sluice::soak
