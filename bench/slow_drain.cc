// A slow drain: the test drain answers each request 50 ms late. The agent keeps max_in_flight requests out, each
// of a full batch, so lines/s = max_in_flight x max_messages / 0.05 s, as long as the agent keeps up. The row's
// lines/s include start-up and the last answers; the steady rate is taken from the drain's request times.
#include <algorithm>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "bench/bench.h"

namespace sluice::bench {

namespace {

// Lines/s while requests flow: the lines of all requests but the last `in_flight` over the time from the first
// request's arrival to the last's (start-up and the final answers left out).
double steadyRate(const std::vector<TestDrain::Request>& requests, int in_flight) {
  if (requests.size() <= static_cast<size_t>(in_flight)) return 0;
  std::vector<TestDrain::Request> by_arrival = requests;
  std::sort(by_arrival.begin(), by_arrival.end(), [](const auto& a, const auto& b) { return a.arrived < b.arrived; });
  const auto first = by_arrival.front().arrived, last = by_arrival.back().arrived;
  size_t lines = 0;
  for (size_t i = 0; i + static_cast<size_t>(in_flight) < by_arrival.size(); ++i) lines += by_arrival[i].messages;
  double span = std::chrono::duration<double>(last - first).count();
  return span > 0 ? static_cast<double>(lines) / span : 0;
}

}  // namespace

void slowDrainRows(Setup& setup) {
  if (!setup.wants("slow drain")) return;
  printHeader("Costs as the work grows: a drain answering 50 ms late (expected = max_in_flight x max_messages / 0.05 s)");
  struct Setting {
    int in_flight;
    int messages;
  };
  for (Setting s : {Setting{4, 1000}, Setting{8, 1000}, Setting{2, 250}}) {
    const double expected = s.in_flight * s.messages / 0.05;
    const uint64_t lines = static_cast<uint64_t>(expected * (setup.quick ? 2 : 4));
    const std::string input = makeLines(lines, setup.line_bytes);
    std::ostringstream path;
    path << "slow drain: max_in_flight " << s.in_flight << ", max_messages " << s.messages;
    std::string config = std::string(kAgentYaml) + "sources:\n  - name: app\n    type: stdin\n" + kDrainSinkYaml +
                         "    max_in_flight: " + std::to_string(s.in_flight) + "\n    batch: {max_messages: " +
                         std::to_string(s.messages) + "}\n";
    std::vector<double> steady;
    Figures f = repeated(setup, [&] {
      TestDrain drain(drainOptions(setup));
      drain.setDelay(std::chrono::milliseconds(50));
      std::string c = config;
      replaceAll(c, "{DRAIN_URL}", drain.url());
      // The agent exits at EOF once every request is answered, so the drain's record of requests is complete.
      Figures one = runAgentCounting(setup, AgentRun{path.str(), c, true, true, "", lines}, input,
                                     [&] { return drain.messageCount(); });
      steady.push_back(steadyRate(drain.requests(), s.in_flight));
      return one;
    }, 3);
    std::sort(steady.begin(), steady.end());
    const double measured = steady.empty() ? 0 : steady[steady.size() / 2];
    std::ostringstream note;
    note << std::fixed << std::setprecision(0) << "expected " << expected << " lines/s; steady " << measured
         << " (first to last request), x" << std::setprecision(2) << measured / expected << " of expected";
    f.note = note.str() + (f.note.empty() ? "" : "; " + f.note);
    printRow(f);
  }
}

}  // namespace sluice::bench
