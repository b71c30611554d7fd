#pragma once
// Helpers of the spool's end-to-end tests: a config, a pipe fed from a thread, counting what the drain received,
// runs that only spool, and the lines of damaged segments.
#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <thread>

#include "agent/buffer/spool_format.h"
#include "agent/formats/frame.h"
#include "tests/e2e/e2e.h"

namespace sluice::e2e {

// stdin -> the drain with `buffer` (a flow map, and lines after it); `extra_agent` ends the agent: section (it may
// add top-level sections after it, as kAgentWithApi does).
inline std::string spoolConfig(const Env& env, const TestDrain& drain, const std::string& buffer,
                               const std::string& extra_agent = "  shutdown_timeout: 20s\n",
                               const std::string& state_dir = "") {
  return env.writeFile("sluice.yaml", "agent:\n  hostname: h\n  state_dir: " +
                                          (state_dir.empty() ? env.dir.path() + "/state" : state_dir) + "\n" +
                                          extra_agent + "sources:\n  - name: app\n    type: stdin\nsinks:\n"
                                          "  - name: drain\n    type: logplex_https\n    url: " + drain.url() +
                                          "\n    tls: {ca_file: " + env.certs.ca_cert + "}\n"
                                          "    retry: {initial: 50ms, max: 500ms}\n    buffer: " + buffer + "\n");
}

// Feeds `input` into a pipe from a thread, in 64 KiB writes; it can be held back and resumed.
class PipeWriter {
 public:
  explicit PipeWriter(std::string input) : input_(std::move(input)) {
    int p[2];
    REQUIRE(pipe2(p, O_CLOEXEC) == 0);
    read_fd = p[0];
    write_fd_ = p[1];
    thread_ = std::thread([this] { run(); });
  }
  ~PipeWriter() {
    stop_ = true;
    held_ = false;
    if (write_fd_ >= 0) ::close(write_fd_);
    write_fd_ = -1;
    thread_.join();
    ::close(read_fd);
  }
  void hold() {
    held_ = true;
    REQUIRE(waitFor([&] { return idle_.load(); }, 60s));
  }
  void resume() { held_ = false; }
  size_t written() const { return written_; }
  // What the reader took from the pipe: written, less what the pipe still holds.
  size_t consumed() const {
    int remaining = 0;
    REQUIRE(ioctl(read_fd, FIONREAD, &remaining) == 0);
    return written_ - static_cast<size_t>(remaining);
  }
  bool finished() const { return finished_; }
  // The write end closes once everything was written: the reader sees EOF.
  void closeWhenDone() { close_when_done_ = true; }
  int read_fd = -1;

 private:
  void run() {
    size_t pos = 0;
    while (!stop_ && pos < input_.size()) {
      if (held_) {
        idle_ = true;
        std::this_thread::sleep_for(2ms);
        continue;
      }
      idle_ = false;
      size_t n = std::min<size_t>(64 * 1024, input_.size() - pos);
      ssize_t w = ::write(write_fd_, input_.data() + pos, n);
      if (w < 0) {
        if (errno == EINTR) continue;
        break;
      }
      pos += static_cast<size_t>(w);
      written_ = pos;
    }
    finished_ = true;
    idle_ = true;
    while (!stop_ && !close_when_done_) std::this_thread::sleep_for(2ms);
    if (close_when_done_ && write_fd_ >= 0) {
      ::close(write_fd_);
      write_fd_ = -1;
    }
  }
  std::string input_;
  int write_fd_ = -1;
  std::thread thread_;
  std::atomic<bool> stop_{false}, held_{false}, idle_{false}, finished_{false}, close_when_done_{false};
  std::atomic<size_t> written_{0};
};

// Holds the writer, then kills the agent reading its pipe (kill -9) and waits for it to end.
inline void killWhileHeld(AgentProcess& agent, PipeWriter& writer) {
  writer.hold();
  agent.signal(SIGKILL);
  REQUIRE(agent.wait(std::chrono::seconds(30)).has_value());
}

// A run that only spools (the drain is down): it takes `input`, ends 0 at EOF, and leaves every line on disk.
inline void spoolOnly(const AgentProcess::Options& options, const std::string& input) {
  AgentProcess agent(options);
  REQUIRE(agent.write(input));
  agent.closeStdin();
  CHECK(finish(agent, std::chrono::seconds(60)) == 0);
}

// The spool segments (*.spl) in `dir`, in order.
inline std::vector<std::string> segmentPaths(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() == ".spl") out.push_back(e.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// The lines (MSG parts) of a segment's records from record `from` on: what damage there loses.
inline std::set<std::string> recordLines(const std::string& bytes, const SegmentScan& scan, size_t from) {
  std::set<std::string> out;
  for (size_t r = from; r < scan.records.size(); ++r) {
    const ScannedRecord& rec = scan.records[r];
    for (auto msg : Frames(std::string_view(bytes).substr(rec.offset + kRecordHeader, rec.len))) {
      out.insert(std::string(syslogBody(msg)));
    }
  }
  return out;
}

// Exactly the `lost` lines of `input` are missing: none of them arrived, every other did. "" when so.
inline std::string lossOtherThan(const std::map<std::string, int>& seen, const std::string& input,
                                 const std::set<std::string>& lost) {
  size_t kept_missing = 0, lost_delivered = 0;
  for (const auto& line : splitLines(input)) {
    const bool skipped = lost.count(line) != 0;
    if (!skipped && seen.count(line) == 0) ++kept_missing;
    if (skipped && seen.count(line) != 0) ++lost_delivered;
  }
  if (kept_missing + lost_delivered == 0) return "";
  return std::to_string(kept_missing) + " good lines missing, " + std::to_string(lost_delivered) +
         " damaged ones delivered";
}

inline std::map<std::string, int> countBodies(const TestDrain& drain) {
  std::map<std::string, int> seen;
  for (const auto& b : drain.bodies()) seen[b] += 1;
  return seen;
}

inline size_t missing(const std::map<std::string, int>& seen, const std::string& input) {
  size_t n = 0;
  for (const auto& line : splitLines(input)) n += seen.count(line) == 0 ? 1 : 0;
  return n;
}

}  // namespace sluice::e2e
