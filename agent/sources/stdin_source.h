#pragma once
#include <memory>

#include "agent/loop/loop.h"
#include "agent/pipeline/router.h"
#include "agent/sources/line_reader.h"
#include "agent/sources/source.h"

namespace sluice {

// Lines from standard input (a pipe, a terminal or a file). EOF finishes the source.
class StdinSource : public Source {
 public:
  StdinSource(Loop& loop, Router& router, SourceInfo info, Severity severity, size_t max_line_bytes, int fd = 0);

  Status start() override;
  void pause() override { reader_.pause(); }
  void resume() override { reader_.resume(); }
  void stop() override { reader_.stop(); }

 private:
  Router& router_;
  int fd_;
  LineReader reader_;
};

}  // namespace sluice
