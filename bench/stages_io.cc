// The stages that cross into the kernel, measured alone: writing batch-sized buffers to a loopback TCP socket
// (a thread on the other end reads them away; its CPU is the receiver's, not counted), and appending batches to
// a spool in a temp dir, one after the other (each waits for the last, as a sink with sync: batch does), with
// and without fsync. The spool's writes run on libuv's thread pool, so its CPU is the process's.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "agent/buffer/spool.h"
#include "agent/loop/loop.h"
#include "bench/stages.h"

namespace sluice::bench {
namespace {

// A connected loopback TCP pair: {writer, reader}.
std::pair<int, int> tcpPair() {
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (bind(listener, reinterpret_cast<sockaddr*>(&addr), len) != 0 || listen(listener, 1) != 0 ||
      getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    close(listener);
    return {-1, -1};
  }
  int writer = socket(AF_INET, SOCK_STREAM, 0);
  if (connect(writer, reinterpret_cast<sockaddr*>(&addr), len) != 0) {
    close(listener);
    close(writer);
    return {-1, -1};
  }
  int reader = accept(listener, nullptr, nullptr);
  close(listener);
  return {writer, reader};
}

}  // namespace

Stage sendStage(const Setup& setup, const std::string& batch, uint64_t lines) {
  (void)setup;
  Stage s{"write/send (loopback TCP, batch-sized writes)", 0};
  auto [writer, reader] = tcpPair();
  if (writer < 0 || reader < 0) {
    s.note = "no loopback socket";
    return s;
  }
  std::thread drain([fd = reader] {
    std::vector<char> buf(1 << 20);
    while (read(fd, buf.data(), buf.size()) > 0) {
    }
  });
  const uint64_t batches = std::max<uint64_t>(1, lines / 1000);
  auto start = std::chrono::steady_clock::now();
  double cpu = threadCpuSeconds();
  for (uint64_t b = 0; b < batches; ++b) {
    for (size_t at = 0; at < batch.size();) {
      ssize_t n = write(writer, batch.data() + at, batch.size() - at);
      if (n <= 0) break;
      at += static_cast<size_t>(n);
    }
  }
  s.cpu_seconds = threadCpuSeconds() - cpu;
  s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  s.lines = batches * 1000;
  close(writer);
  drain.join();
  close(reader);
  s.note = "clear text; " + std::to_string(batch.size() / 1024) + " KiB a write";
  return s;
}

Stage spoolStage(const Setup& setup, const std::string& batch, uint64_t lines, bool fsync) {
  Stage s{fsync ? "spool append (sync: batch, fsync each)" : "spool append (sync: none)", 0};
  s.in_sum = false;
  static int n = 0;
  Loop loop;
  {
    SpoolOptions so;
    so.dir = setup.dir.file("stage-spool-" + std::to_string(++n));
    so.sync = fsync ? SyncMode::Batch : SyncMode::None;
    SpoolReport report;
    auto spool = Spool::open(loop, so, &report);
    if (!spool) {
      s.note = "cannot open: " + spool.error().message;
      return s;
    }
    const uint64_t batches = std::max<uint64_t>(1, lines / 1000);
    uint64_t done = 0;
    bool failed = false;
    std::function<void()> next = [&] {
      uint64_t seq = (*spool)->nextSeq();
      (*spool)->append(seq, batch, 1000, [&, seq](Status st) {
        if (!st) failed = true;
        (*spool)->ack(seq);  // delivered at once: segments are deleted as they would be
        if (++done < batches && !failed) next();
      });
    };
    auto start = std::chrono::steady_clock::now();
    double cpu = processCpuSeconds();
    next();
    while (done < batches && !failed) uv_run(loop.get(), UV_RUN_ONCE);
    s.cpu_seconds = processCpuSeconds() - cpu;
    s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    s.lines = done * 1000;
    bool closed = false;
    (*spool)->close([&] { closed = true; });
    while (!closed) uv_run(loop.get(), UV_RUN_ONCE);
    if (failed) s.note = "an append failed";
  }
  loop.close();
  s.note += (s.note.empty() ? "" : "; ") + std::string("not on the memory-mode path");
  return s;
}

}  // namespace sluice::bench
