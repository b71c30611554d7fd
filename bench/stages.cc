// The cost of each stage alone, in-process, next to the whole path's: split (memchr over a 1 MiB buffer),
// frame (the RFC 5424 framer), batch (the batcher, framing included), TLS encrypt (a session over memory BIOs,
// 16 KiB records), write/send and spool append (stages_io.cc). The sum against the whole path's CPU per line
// shows what the agent spends besides the essential work.
#include <time.h>

#include <cstring>
#include <iomanip>
#include <iostream>

#include "agent/core/batch.h"
#include "agent/loop/loop.h"
#include "agent/net/tls_session.h"
#include "agent/pipeline/batcher.h"
#include "agent/pipeline/rfc5424_framer.h"
#include "bench/stages.h"

namespace sluice::bench {

double threadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

double processCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

namespace {

// Times `fn` on this thread: CPU and wall.
template <class Fn>
Stage timed(const std::string& name, uint64_t lines, Fn&& fn) {
  Stage s{name, lines};
  auto start = std::chrono::steady_clock::now();
  double cpu = threadCpuSeconds();
  fn();
  s.cpu_seconds = threadCpuSeconds() - cpu;
  s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return s;
}

struct FramerSetup {
  SourceInfo src{1, "app", "stdin"};
  Rfc5424Framer framer;
  FramerSetup() : framer(fields(), "bench", "SECRET") {}
  static MessageFields fields() {
    MessageFields f;
    f.procid = "{source}";
    f.msgid = "-";
    return f;
  }
  Record record(std::string_view line) {
    Record r;
    r.source = &src;
    r.message = line;
    r.received_us = 1700000000000000;
    return r;
  }
};

Stage splitStage(const Setup& setup, const std::string& input, uint64_t lines) {
  const size_t mib = std::min<size_t>(input.size(), 1 << 20);
  const std::string_view buf(input.data(), input.rfind('\n', mib - 1) + 1);
  const uint64_t per_pass = static_cast<uint64_t>(std::count(buf.begin(), buf.end(), '\n'));
  const uint64_t passes = std::max<uint64_t>(1, lines / per_pass);
  volatile size_t sink = 0;
  Stage s = timed("split (memchr, 1 MiB buffer)", passes * per_pass, [&] {
    for (uint64_t p = 0; p < passes; ++p) {
      const char* at = buf.data();
      const char* end = at + buf.size();
      size_t total = 0;
      while (at < end) {
        const void* nl = std::memchr(at, '\n', static_cast<size_t>(end - at));
        if (nl == nullptr) break;
        total += static_cast<size_t>(static_cast<const char*>(nl) - at);
        at = static_cast<const char*>(nl) + 1;
      }
      sink = sink + total;
    }
  });
  (void)setup;
  return s;
}

Stage frameStage(const Setup& setup, uint64_t lines) {
  FramerSetup fs;
  std::string line(setup.line_bytes, 'x');
  ByteBuffer out(1 << 20);
  Stage s = timed("frame (RFC 5424 framer)", lines, [&] {
    for (uint64_t i = 0; i < lines; ++i) {
      if (i % 1000 == 0) out.clear();
      fs.framer.append(fs.record(line), out);
    }
  });
  s.in_sum = false;  // the batch row includes it
  return s;
}

Stage batchStage(const Setup& setup, uint64_t lines) {
  FramerSetup fs;
  std::string line(setup.line_bytes, 'x');
  Loop loop;
  Stage s;
  {
    Batcher* self = nullptr;
    uint64_t closed = 0;
    Batcher batcher(loop, BatchLimits{}, fs.framer, [&](std::unique_ptr<Batch> b) {
      ++closed;
      self->recycle(std::move(b));
    });
    self = &batcher;
    s = timed("batch (framer + batcher, 1000 a batch)", lines, [&] {
      for (uint64_t i = 0; i < lines; ++i) batcher.append(fs.record(line));
      batcher.flush();
    });
    s.note = std::to_string(closed) + " batches";
  }
  uv_run(loop.get(), UV_RUN_NOWAIT);
  loop.close();
  return s;
}

// Moves the pending ciphertext of one session into the other.
void shuttle(TlsSession& from, TlsSession& to) {
  std::string out = from.takeOutput();
  if (!out.empty()) to.feed(out.data(), out.size());
}

Stage tlsStage(const Setup& setup, const std::string& batch, uint64_t lines) {
  auto cctx = TlsContext::makeClient(TlsClientOptions{setup.certs.ca_cert, true, "", ""});
  auto sctx = TlsContext::makeServer(TlsServerOptions{setup.certs.server_cert, setup.certs.server_key, ""});
  if (!cctx || !sctx) return Stage{"TLS encrypt", 0, 0, 0, true, "no TLS context"};
  auto client = TlsSession::client(**cctx, "localhost");
  auto server = TlsSession::server(**sctx);
  if (!client || !server) return Stage{"TLS encrypt", 0, 0, 0, true, "no TLS session"};
  for (int i = 0; i < 20 && !((*client)->handshakeDone() && (*server)->handshakeDone()); ++i) {
    (void)(*client)->handshake();
    shuttle(**client, **server);
    (void)(*server)->handshake();
    shuttle(**server, **client);
  }
  const uint64_t per_batch = 1000;
  const uint64_t batches = std::max<uint64_t>(1, lines / per_batch);
  ByteBuffer out(TlsSession::sealedBytes(batch.size()));
  bool failed = false;
  // As the TLS stream does: the session writes a batch's records straight into the batch's ciphertext buffer.
  Stage s = timed("TLS encrypt (16 KiB records, AES-256-GCM)", batches * per_batch, [&] {
    for (uint64_t b = 0; b < batches; ++b) {
      out.clear();
      if (!(*client)->writeTo(batch.data(), batch.size(), out)) failed = true;
    }
  });
  if (failed) s.note = "a write failed";
  return s;
}

void printStage(const Stage& s) {
  std::cout << std::left << std::setw(46) << s.name << std::right << std::setw(10) << s.lines << std::fixed
            << std::setprecision(1) << std::setw(12) << s.nsPerLine() << std::setprecision(3) << std::setw(10)
            << s.nsPerLine() / 1000 << std::setprecision(2) << std::setw(12)
            << (s.seconds > 0 ? static_cast<double>(s.lines) / s.seconds / 1e6 : 0) << "M  " << s.note << "\n";
}

}  // namespace

std::string frameBatch(const Setup& setup, size_t count) {
  FramerSetup fs;
  std::string line(setup.line_bytes, 'x');
  ByteBuffer out(1 << 20);
  for (size_t i = 0; i < count; ++i) fs.framer.append(fs.record(line), out);
  return std::string(out.view());
}

void stageRows(Setup& setup, double whole_ns_per_line) {
  if (!setup.wants("stage")) return;
  const uint64_t lines = setup.quick ? 200000 : setup.lines;
  std::cout << "\nStages alone (in-process, CPU of the threads doing the work)\n"
            << std::left << std::setw(46) << "stage" << std::right << std::setw(10) << "lines" << std::setw(12)
            << "ns/line" << std::setw(10) << "CPU-s/M" << std::setw(13) << "lines/s" << "\n";
  const std::string input = makeLines(20000, setup.line_bytes);
  const std::string batch = frameBatch(setup, 1000);
  std::vector<Stage> stages;
  stages.push_back(splitStage(setup, input, lines * 10));
  stages.push_back(frameStage(setup, lines));
  stages.push_back(batchStage(setup, lines));
  stages.push_back(tlsStage(setup, batch, lines));
  stages.push_back(sendStage(setup, batch, lines));
  stages.push_back(spoolStage(setup, batch, lines, false));
  stages.push_back(spoolStage(setup, batch, std::min<uint64_t>(lines, 200000), true));
  double sum = 0;
  for (const Stage& s : stages) {
    printStage(s);
    if (s.in_sum) sum += s.nsPerLine();
  }
  std::cout << std::left << std::setw(56) << "sum: split + batch + TLS + send" << std::right << std::fixed
            << std::setprecision(1) << std::setw(12) << sum << std::setprecision(3) << std::setw(10) << sum / 1000
            << "\n";
  if (whole_ns_per_line > 0) {
    std::cout << std::left << std::setw(56) << "whole path stdin -> HTTPS (agent CPU)" << std::right
              << std::setprecision(1) << std::setw(12) << whole_ns_per_line << std::setprecision(3) << std::setw(10)
              << whole_ns_per_line / 1000 << "   gap " << std::setprecision(1) << whole_ns_per_line - sum
              << " ns/line (" << std::setprecision(0) << 100 * (whole_ns_per_line - sum) / whole_ns_per_line
              << "% of the whole)\n";
  }
}

}  // namespace sluice::bench
