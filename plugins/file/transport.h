#pragma once
#include <deque>
#include <functional>
#include <memory>

#include "agent/core/bytes.h"
#include "agent/loop/loop.h"
#include "agent/sink/transport.h"
#include "plugins/file/config.h"

namespace sluice::plugins::file {

// Appends frames to a file or standard output with uv_fs_write (the thread pool), one batch at a time so that
// lines keep their order.
class FileTransport : public SinkTransport {
 public:
  // What is written for a batch (default: encodeLines, the frames one per line). Other plugins that write files
  // (clf_json) bring their own.
  using Encoder = std::function<void(const Batch& batch, ByteBuffer& out)>;

  FileTransport(Loop& loop, std::string name, FileConfig config, Encoder encoder = nullptr);
  ~FileTransport() override;

  Status open();
  void deliver(const Batch& batch, DeliverCallback done) override;
  void stop(std::function<void()> done) override;
  void reopen() override;

 private:
  struct Pending {
    const Batch* batch;
    DeliverCallback done;
  };
  struct WriteReq;
  void writeNext();
  static void onWritten(uv_fs_t* req) noexcept;
  static void onSynced(uv_fs_t* req) noexcept;
  void complete(Outcome outcome);
  void closeFd();

  Loop& loop_;
  std::string name_;
  FileConfig config_;
  Encoder encoder_;
  int fd_ = -1;
  bool owns_fd_ = false;
  bool reopen_requested_ = false;
  std::deque<Pending> pending_;
  WriteReq* in_flight_ = nullptr;
  ByteBuffer out_;
  bool stopping_ = false;
  std::function<void()> stop_done_;
};

}  // namespace sluice::plugins::file
