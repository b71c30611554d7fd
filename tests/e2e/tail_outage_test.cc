#include <algorithm>
#include <atomic>
#include <thread>

#include "tests/e2e/tail_e2e.h"

using namespace sluice;
using namespace sluice::e2e;

TEST_CASE("tail: while the drain is down for 10 s the file grows and rotates, the agent's memory stays bounded and nothing is lost", "[e2e][tail]") {
  Env env;
  TestDrain drain(env.drainOptions());
  const std::string log = env.dir.file("app.log");
  auto writer = std::make_unique<LogWriter>(log);
  const size_t warmup = 10000, total = 400000, width = 99;  // 100-byte lines: 40 MB in all
  writer->write(numberedLines(0, warmup, width));
  std::string config = env.config(drain, "    buffer:\n      memory: 2MiB\n", "", tailSource("[\"" + log + "\"]"));
  AgentProcess::Options options = env.agent({"--config", config});
  options.measures_rss = true;
  AgentProcess agent(options);
  REQUIRE(drain.waitForMessages(warmup, 60s));
  const long baseline_kb = agent.samplePeakRssKb();

  drain.goDown();
  const auto down_at = std::chrono::steady_clock::now();
  // 39 MB arrive in the file while nothing can be delivered.
  std::atomic<bool> written{false};
  std::thread feeder([&] {
    const size_t chunk = 10000;
    for (size_t i = warmup; i < total; i += chunk) {
      // Halfway, a rotation: the renamed file must be read to its end once the drain is back, however long that is.
      if (i == 200000) writer->rotateByRename(log + ".1");
      writer->write(numberedLines(i, chunk, width));
      std::this_thread::sleep_for(100ms);  // scenario time: the writer's pace, 10,000 lines a tick
    }
    written = true;
  });
  while (std::chrono::steady_clock::now() - down_at < 10s) {
    agent.samplePeakRssKb();
    std::this_thread::sleep_for(50ms);  // scenario time: the outage lasts 10 s, RSS sampled through it
  }
  feeder.join();
  REQUIRE(written);
  const long down_peak_kb = agent.samplePeakRssKb();
  drain.comeUp();
  REQUIRE(drain.waitForMessages(total, 120s));
  CHECK(terminateAndFinish(agent) == 0);

  INFO("VmHWM after warm-up " << baseline_kb << " KiB, during the outage " << down_peak_kb << " KiB, overall "
                              << agent.peakRssKb() << " KiB");
  // The file grew by 39 MB; the agent held at most its 2 MiB buffer and a few reads more, during the outage and
  // while it caught up.
  CHECK(down_peak_kb - baseline_kb < 16 * 1024);
  CHECK(agent.peakRssKb() - baseline_kb < 16 * 1024);
  const std::vector<int> count = lineCounts(drain.bodies(), total);
  CHECK(std::count(count.begin(), count.end(), 0) == 0);
}
