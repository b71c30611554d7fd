#pragma once
#include <deque>
#include <functional>
#include <memory>
#include <string>

#include "agent/core/bytes.h"
#include "agent/loop/loop.h"
#include "agent/loop/uv_request.h"
#include "agent/sink/transport.h"

namespace sluice {

struct FileOutputOptions {
  std::string path;   // "" = standard output
  bool fsync = false;
};

// The output of every sink that writes a file or standard output (file, stdout, clf_json): a batch is encoded by
// the sink's own encoder and appended with uv_fs_write (the thread pool), one batch at a time so that lines keep
// their order; reopened on SIGHUP (logrotate).
class FileOutput : public SinkTransport {
 public:
  // What is written for a batch.
  using Encoder = std::function<void(const Batch& batch, ByteBuffer& out)>;

  FileOutput(Loop& loop, std::string name, FileOutputOptions config, Encoder encoder);
  ~FileOutput() override;

  Status open();
  void deliver(const Batch& batch, DeliverCallback done) override;
  void stop(std::function<void()> done) override;
  void reopen() override;
  std::string describe() const override {
    return config_.path.empty() ? "writes to standard output" : "appends to " + config_.path;
  }

 private:
  struct Pending {
    const Batch* batch;
    DeliverCallback done;
  };
  struct FsData {
    FileOutput* owner = nullptr;  // nulled when the transport is destroyed first
  };
  using FsReq = UvRequest<uv_fs_t, FsData>;
  void writeNext();
  bool startSync();
  static void onWritten(uv_fs_t* req) noexcept;
  static void onSynced(uv_fs_t* req) noexcept;
  void complete(Outcome outcome);
  void closeFd();

  Loop& loop_;
  std::string name_;
  FileOutputOptions config_;
  Encoder encoder_;
  int fd_ = -1;
  bool owns_fd_ = false;
  bool reopen_requested_ = false;
  std::deque<Pending> pending_;
  FsReq* in_flight_ = nullptr;   // a write or fsync in the thread pool; it outlives the transport if need be
  ByteBuffer out_;
  bool stopping_ = false;
  std::function<void()> stop_done_;
};

}  // namespace sluice
