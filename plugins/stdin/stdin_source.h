#pragma once
#include <memory>

#include "agent/loop/loop.h"
#include "agent/pipeline/router.h"
#include "agent/sources/held_pipe_reader.h"
#include "agent/sources/line_reader.h"
#include "agent/pipeline/source.h"

namespace sluice::plugins::stdin {

// Lines from standard input (a pipe, a terminal or a file). EOF finishes the source.
// With `hold_until_acked` (every sink spools before acknowledging) and a pipe, lines leave the pipe only once
// spooled (HeldPipeReader); otherwise they are read as they come.
class StdinSource : public Source {
 public:
  // `tee`: every line is also written to Sluice's stdout as it is read.
  StdinSource(Loop& loop, Router& router, SourceInfo info, Severity severity, size_t max_line_bytes, int fd = 0,
              bool hold_until_acked = false, bool tee = false);

  Status start() override;
  void pause() override;
  void resume() override;
  void stop() override;
  std::string describe() const override { return "reads standard input"; }

 private:
  // Calls `f` with the reader in use: the held pipe reader once it took the pipe, else the ordinary one.
  template <class F>
  void withReader(F f) {
    if (holding_) {
      f(held_);
    } else {
      f(reader_);
    }
  }

  Router& router_;
  int fd_;
  bool hold_;
  LineReader reader_;
  HeldPipeReader held_;
  bool holding_ = false;
};

}  // namespace sluice::plugins::stdin
