#include <chrono>
#include <iostream>

#include "agent/core/batch.h"
#include "agent/loop/loop.h"
#include "agent/net/http_client.h"
#include "agent/pipeline/rfc5424_framer.h"
#include "bench/bench.h"
#include "tests/support/test_drain.h"

namespace sluice::bench {

std::string makeLines(uint64_t count, size_t line_bytes) {
  std::string out;
  out.reserve(count * (line_bytes + 1));
  char head[64];
  for (uint64_t i = 0; i < count; ++i) {
    int n = snprintf(head, sizeof head, "%010llu GET /api/v1/items?page=%llu status=200 ", static_cast<unsigned long long>(i),
                     static_cast<unsigned long long>(i % 977));
    std::string line(head, static_cast<size_t>(n));
    while (line.size() < line_bytes) line += static_cast<char>('a' + (line.size() * 7 + i) % 26);
    line.resize(line_bytes);
    out += line;
    out += '\n';
  }
  return out;
}

Figures drainAlone(Setup& setup) {
  TestDrain drain(drainOptions(setup));

  // The agent's own framing, 1000 lines a batch, as the default config does.
  MessageFields fields;
  fields.procid = "{source}";
  fields.msgid = "-";
  Rfc5424Framer framer(fields, "bench", "SECRET");
  SourceInfo src{1, "app", "stdin"};
  std::vector<std::string> bodies;
  std::string line(setup.line_bytes, 'x');
  ByteBuffer buf;
  const uint64_t per_batch = 1000;
  for (uint64_t done = 0; done < setup.lines; done += per_batch) {
    buf.clear();
    for (uint64_t i = 0; i < per_batch && done + i < setup.lines; ++i) {
      Record r;
      r.source = &src;
      r.message = line;
      r.received_us = 1700000000000000;
      framer.append(r, buf);
    }
    bodies.emplace_back(buf.view());
  }

  Loop loop;
  Figures f;
  f.path = "drain alone (HTTPS, 4 connections)";
  f.lines = setup.lines;
  {
    HttpClient::Options co;
    co.host = "127.0.0.1";
    co.port = drain.port();
    auto ctx = TlsContext::makeClient(TlsClientOptions{setup.certs.ca_cert, true, "", ""});
    co.tls = *ctx;
    co.max_connections = 4;
    HttpClient client(loop, co);
    size_t next = 0, answered = 0;
    uint64_t msgs_per_batch = per_batch;
    std::function<void()> sendOne = [&] {
      if (next >= bodies.size()) return;
      size_t i = next++;
      HttpRequest req;
      req.target = "/logs";
      req.headers = {{"Content-Type", "application/logplex-1"},
                     {"Logplex-Msg-Count", std::to_string(i + 1 == bodies.size() ? setup.lines - i * msgs_per_batch : msgs_per_batch)},
                     {"Logplex-Frame-Id", "bench-" + std::to_string(i)},
                     {"User-Agent", "sluice/" SLUICE_VERSION " (bench)"},
                     {"Authorization", "Basic dG9rZW46U0VDUkVU"}};
      req.body = bodies[i];
      client.send(std::move(req), [&](Result<HttpResponse> r) {
        ++answered;
        if (!r || r->status != 204) std::cerr << "drain alone: a request failed\n";
        sendOne();
      });
    };
    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < 4; ++i) sendOne();
    while (answered < bodies.size()) uv_run(loop.get(), UV_RUN_ONCE);
    f.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    client.close();
    uv_run(loop.get(), UV_RUN_NOWAIT);
  }
  loop.close();
  if (drain.messageCount() != setup.lines) f.note = "drain counted " + std::to_string(drain.messageCount());
  return f;
}

}  // namespace sluice::bench
