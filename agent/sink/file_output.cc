#include "agent/sink/file_output.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>


namespace sluice {

FileOutput::FileOutput(Loop& loop, std::string name, FileOutputOptions config, Encoder encoder)
    : loop_(loop), name_(std::move(name)), config_(std::move(config)), encoder_(std::move(encoder)) {}

FileOutput::~FileOutput() {
  if (in_flight_ != nullptr) in_flight_->owner = nullptr;
  closeFd();
}

Status FileOutput::open() {
  if (config_.path.empty()) {
    fd_ = STDOUT_FILENO;
    owns_fd_ = false;
    return {};
  }
  int fd = ::open(config_.path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return makeError("cannot open " + config_.path + ": " + strerror(errno), -errno);
  fd_ = fd;
  owns_fd_ = true;
  return {};
}

void FileOutput::closeFd() {
  if (owns_fd_ && fd_ >= 0) ::close(fd_);
  fd_ = -1;
  owns_fd_ = false;
}

void FileOutput::reopen() {
  if (config_.path.empty()) return;
  // Reopen between writes, never under one.
  reopen_requested_ = true;
  if (in_flight_ == nullptr) writeNext();
}

void FileOutput::deliver(const Batch& batch, DeliverCallback done) {
  if (stopping_) {
    done(Outcome::retry("stopping"));
    return;
  }
  pending_.push_back(Pending{&batch, std::move(done)});
  if (in_flight_ == nullptr) writeNext();
}

void FileOutput::writeNext() {
  if (reopen_requested_ && in_flight_ == nullptr) {
    reopen_requested_ = false;
    closeFd();
    Status st = open();
    if (!st) spdlog::error("sink {}: {}", name_, st.error().message);
    else spdlog::info("sink {}: reopened {}", name_, config_.path);
  }
  if (pending_.empty() || in_flight_ != nullptr) return;
  if (fd_ < 0) {
    Status st = open();
    if (!st) {
      complete(Outcome::retry(st.error().message));
      return;
    }
  }
  out_.clear();
  encoder_(*pending_.front().batch, out_);
  if (out_.empty()) {
    // Nothing to write (every line left out on purpose): done, no empty write.
    complete(Outcome::delivered());
    return;
  }
  auto req = FsReq::make(FsData{this});
  FsReq* in_flight = req.get();
  uv_buf_t buf = uv_buf_init(out_.data(), static_cast<unsigned>(out_.size()));
  int rc = FsReq::start(req, [&](uv_fs_t* r) {
    return uv_fs_write(loop_.get(), r, fd_, &buf, 1, -1, &FileOutput::onWritten);
  });
  if (rc < 0) {
    complete(Outcome::retry(std::string("write failed: ") + uv_strerror(rc)));
    return;
  }
  in_flight_ = in_flight;
}

bool FileOutput::startSync() {
  auto req = FsReq::make(FsData{this});
  FsReq* in_flight = req.get();
  if (FsReq::start(req, [&](uv_fs_t* r) { return uv_fs_fsync(loop_.get(), r, fd_, &FileOutput::onSynced); }) != 0) {
    return false;
  }
  in_flight_ = in_flight;
  return true;
}

void FileOutput::onWritten(uv_fs_t* r) noexcept {
  auto req = FsReq::adopt(r);
  FileOutput* self = req->owner;
  if (self == nullptr) return;
  self->in_flight_ = nullptr;
  if (r->result < 0) {
    int rc = static_cast<int>(r->result);
    std::string why = std::string("write to ") + (self->config_.path.empty() ? "stdout" : self->config_.path) +
                      " failed: " + uv_strerror(rc);
    // Nobody will ever read a closed pipe or a bad descriptor: retrying would only hold the data forever.
    self->complete(rc == UV_EPIPE || rc == UV_EBADF ? Outcome::rejected(why) : Outcome::retry(why));
    return;
  }
  if (self->config_.fsync && self->owns_fd_ && self->startSync()) return;
  self->complete(Outcome::delivered());
}

void FileOutput::onSynced(uv_fs_t* r) noexcept {
  auto req = FsReq::adopt(r);
  FileOutput* self = req->owner;
  if (self == nullptr) return;
  self->in_flight_ = nullptr;
  const auto result = static_cast<int>(r->result);
  self->complete(result < 0 ? Outcome::retry(std::string("fsync failed: ") + uv_strerror(result))
                            : Outcome::delivered());
}

void FileOutput::complete(Outcome outcome) {
  Pending p = std::move(pending_.front());
  pending_.pop_front();
  p.done(std::move(outcome));
  if (stopping_) {
    while (!pending_.empty()) {
      Pending rest = std::move(pending_.front());
      pending_.pop_front();
      rest.done(Outcome::retry("stopping"));
    }
    if (stop_done_) loop_.post(std::exchange(stop_done_, nullptr));
    return;
  }
  writeNext();
}

void FileOutput::stop(std::function<void()> done) {
  stopping_ = true;
  if (in_flight_ != nullptr) {
    // A write in the thread pool cannot be recalled: finish it, then stop.
    stop_done_ = std::move(done);
    return;
  }
  while (!pending_.empty()) {
    Pending rest = std::move(pending_.front());
    pending_.pop_front();
    rest.done(Outcome::retry("stopping"));
  }
  loop_.post(std::move(done));
}

}  // namespace sluice
