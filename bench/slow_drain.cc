// A slow drain: the test drain answers each request 50 ms late. The agent keeps max_in_flight requests out, each
// of a full batch, so lines/s = max_in_flight x max_messages / 0.05 s, as long as the agent keeps up.
#include <iomanip>
#include <iostream>
#include <sstream>

#include "bench/bench.h"

namespace sluice::bench {

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
    Figures f = repeated(setup, [&] {
      TestDrain drain(drainOptions(setup));
      drain.setDelay(std::chrono::milliseconds(50));
      std::string c = config;
      replaceAll(c, "{DRAIN_URL}", drain.url());
      return runAgentCounting(setup, AgentRun{path.str(), c, true, false, "", lines}, input,
                              [&] { return drain.messageCount(); });
    }, 3);
    std::ostringstream note;
    note << std::fixed << std::setprecision(0) << "expected " << expected << " lines/s, measured/expected "
         << std::setprecision(2) << f.rate() / expected;
    f.note = note.str() + (f.note.empty() ? "" : "; " + f.note);
    printRow(f);
  }
}

}  // namespace sluice::bench
