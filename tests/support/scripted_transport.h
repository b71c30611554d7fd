#pragma once
// A sink transport for unit tests of the core: it answers from a script (Delivered when the script is empty) on
// a later loop turn, or holds batches until release() (a slow or stuck receiver).
#include <algorithm>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "agent/loop/loop.h"
#include "agent/formats/frame.h"
#include "agent/sink/transport.h"

namespace sluice {

class ScriptedTransport : public SinkTransport {
 public:
  explicit ScriptedTransport(Loop& loop) : loop_(loop) {}
  void deliver(const Batch& batch, DeliverCallback done) override {
    ++calls;
    messages += batch.count;
    ++in_flight;
    max_in_flight = std::max(max_in_flight, in_flight);
    attempts_by_id[batch.frame_id] += 1;
    Outcome o = script.empty() ? Outcome::delivered() : script.front();
    if (!script.empty()) script.pop_front();
    std::vector<std::string> msgs;
    for (auto m : Frames(batch.bytes.view())) msgs.emplace_back(m);
    if (hold) {
      held.push_back(Held{o, msgs, done});
      return;
    }
    loop_.post([this, o, msgs, done] {
      --in_flight;
      if (o.verdict == Verdict::Delivered) delivered.push_back(msgs);
      done(o);
    });
  }
  void stop(std::function<void()> done) override {
    // Held batches are cancelled: the core hears Retry("stopping").
    auto h = std::move(held);
    held.clear();
    for (auto& x : h) {
      --in_flight;
      x.done(Outcome::retry("stopping"));
    }
    stopped = true;
    loop_.post(std::move(done));
  }
  void release() {
    auto h = std::move(held);
    held.clear();
    for (auto& x : h) {
      --in_flight;
      if (x.outcome.verdict == Verdict::Delivered) delivered.push_back(x.msgs);
      x.done(x.outcome);
    }
  }
  struct Held {
    Outcome outcome;
    std::vector<std::string> msgs;
    DeliverCallback done;
  };

  Loop& loop_;
  std::deque<Outcome> script;
  std::vector<std::vector<std::string>> delivered;
  std::map<std::string, int> attempts_by_id;
  std::vector<Held> held;
  bool hold = false;
  bool stopped = false;
  int calls = 0;
  uint64_t messages = 0;  // handed to deliver(), every attempt counted
  int in_flight = 0;
  int max_in_flight = 0;
};


}  // namespace sluice
