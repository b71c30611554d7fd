#include "agent/admin/archive.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>

#include "agent/admin/archive_format.h"
#include "agent/core/clock.h"
#include "agent/core/durable_file.h"
#include "agent/core/units.h"

namespace sluice {
namespace {

constexpr size_t kFlushBytes = 1 << 20;
constexpr size_t kChunkOutput = 4 << 20;
constexpr size_t kReadBlock = 4 << 20;
constexpr int64_t kHourUs = 3600000000LL;
constexpr int64_t kRetentionEveryUs = 60LL * 1000000;
constexpr const char* kHorizonFile = ".horizon";

std::string errnoText(const std::string& what) { return what + ": " + std::strerror(errno); }

// The partitions in `dir`: hour → size in bytes.
std::map<int64_t, uint64_t> listPartitions(const std::string& dir) {
  std::map<int64_t, uint64_t> out;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return out;
  while (struct dirent* e = readdir(d)) {
    int64_t hour = archivePartitionHour(e->d_name);
    if (hour < 0) continue;
    struct stat st {};
    if (stat((dir + "/" + e->d_name).c_str(), &st) == 0) out[hour] = static_cast<uint64_t>(st.st_size);
  }
  closedir(d);
  return out;
}

int64_t readHorizon(const std::string& dir) {
  int fd = ::open((dir + "/" + kHorizonFile).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return INT64_MIN;
  char buf[32] = {};
  ssize_t n = ::read(fd, buf, sizeof buf - 1);
  ::close(fd);
  if (n <= 0) return INT64_MIN;
  char* end = nullptr;
  long long v = std::strtoll(buf, &end, 10);
  return end != buf ? static_cast<int64_t>(v) : INT64_MIN;
}

// Durable order: the new horizon is on disk (temp, fsync, rename, fsync of the directory) before the files it
// accounts for go.
bool writeHorizon(const std::string& dir, int64_t horizon, std::string* error) {
  Status st = writeFileDurably(dir + "/" + kHorizonFile, std::to_string(horizon) + "\n");
  if (!st) *error = st.error().message;
  return st.ok();
}

}  // namespace

struct Archive::Job {
  enum class Kind { Write, Read };
  Kind kind = Kind::Write;
  std::string dir;
  // Write
  std::vector<std::pair<int64_t, ByteBuffer>> writes;
  size_t write_bytes = 0;
  bool retention = false;
  int64_t now_us = 0;
  std::chrono::milliseconds retention_time{0};
  uint64_t retention_bytes = 0;
  int64_t size_horizon = INT64_MIN;
  bool disk_known = false;
  uint64_t disk_bytes = 0;
  uint64_t deleted_files = 0;
  std::string error;
  // Read
  std::shared_ptr<Query> query;
  Chunk chunk;
  std::function<void(Chunk)> done;

  void run() noexcept;
  void write();
  void applyRetention();
  void read();
  bool readPartition(int fd, uint64_t size, const std::string& path, LineFormatter& formatter, std::string& block);
};

void Archive::Job::run() noexcept {
  try {
    if (kind == Kind::Write) {
      write();
    } else {
      read();
    }
  } catch (const std::exception& e) {  // bad_alloc: the job fails, the agent goes on
    error = e.what();
    chunk.done = true;
  }
}

void Archive::Job::write() {
  for (auto& [hour, bytes] : writes) {
    std::string path = dir + "/" + archivePartitionName(hour);
    int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
      error = errnoText("cannot open " + path);
      continue;
    }
    if (Status st = writeAll(fd, bytes.view(), path); !st) error = st.error().message;
    ::close(fd);
  }
  if (retention) applyRetention();
}

void Archive::Job::applyRetention() {
  std::map<int64_t, uint64_t> parts = listPartitions(dir);
  uint64_t total = 0;
  for (auto& [h, size] : parts) total += size;
  const int64_t cutoff = now_us - static_cast<int64_t>(retention_time.count()) * 1000;
  int64_t new_horizon = size_horizon;
  std::vector<int64_t> doomed;
  for (auto it = parts.begin(); it != parts.end();) {
    const bool expired = (it->first + 1) * kHourUs <= cutoff;
    const bool too_big = total > retention_bytes && std::next(it) != parts.end();  // never the newest hour
    if (!expired && !too_big) break;
    if (too_big && !expired) new_horizon = std::max(new_horizon, (it->first + 1) * kHourUs);
    total -= it->second;
    doomed.push_back(it->first);
    it = parts.erase(it);
  }
  if (new_horizon != size_horizon) {
    if (!writeHorizon(dir, new_horizon, &error)) return;  // keep the files rather than lose track of them
    size_horizon = new_horizon;
  }
  for (int64_t h : doomed) {
    if (::unlink((dir + "/" + archivePartitionName(h)).c_str()) == 0) ++deleted_files;
  }
  disk_known = true;
  disk_bytes = total;
}

void Archive::Job::read() {
  Query& q = *query;
  if (!q.listed) {
    for (auto& [h, size] : listPartitions(dir)) {
      if ((h + 1) * kHourUs > q.after_us && h * kHourUs < q.before_us) q.hours.push_back(h);
    }
    q.listed = true;
  }
  LineFormatter formatter(q.hostname);
  std::string block;
  while (q.file_index < q.hours.size() && chunk.body.size() < kChunkOutput) {
    std::string path = dir + "/" + archivePartitionName(q.hours[q.file_index]);
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    struct stat st {};
    bool next_file = true;
    if (fd < 0 || fstat(fd, &st) != 0) {
      if (errno != ENOENT) chunk.error = errnoText("cannot read " + path);  // ENOENT: deleted by retention
    } else {
      next_file = readPartition(fd, static_cast<uint64_t>(st.st_size), path, formatter, block);
    }
    if (fd >= 0) ::close(fd);
    if (next_file) {
      ++q.file_index;
      q.offset = 0;
    }
  }
  chunk.done = q.file_index >= q.hours.size();
  if (chunk.done && q.format == LogFormat::Json) chunk.body.append(q.emitted == 0 ? "[]\n" : "\n]\n");
}

// Reads the open partition from the query's offset until the chunk is full; true when the file is done with (read
// to its end, or unreadable from here on).
bool Archive::Job::readPartition(int fd, uint64_t size, const std::string& path, LineFormatter& formatter,
                                 std::string& block) {
  Query& q = *query;
  size_t want = kReadBlock;
  while (chunk.body.size() < kChunkOutput) {
    if (q.offset >= size) return true;
    size_t n = static_cast<size_t>(std::min<uint64_t>(size - q.offset, want));
    block.resize(n);
    ssize_t got = ::pread(fd, block.data(), n, static_cast<off_t>(q.offset));
    if (got <= 0) {
      chunk.error = errnoText("cannot read " + path);
      return true;
    }
    std::string_view in(block.data(), static_cast<size_t>(got));
    size_t pos = 0;
    LogLine line;
    while (pos < in.size() && chunk.body.size() < kChunkOutput) {
      size_t used = 0;
      ArchiveDecode decoded = decodeArchiveRecord(in.substr(pos), &line, &used);
      if (decoded == ArchiveDecode::NeedMore) break;
      if (decoded == ArchiveDecode::Corrupt) {
        chunk.error = path + ": corrupt record at byte " + std::to_string(q.offset + pos) + "; the rest of the file is skipped";
        return true;
      }
      pos += used;
      if (line.received_us < q.after_us || line.received_us >= q.before_us) continue;
      if (!q.filter.matches(line)) continue;
      if (q.format == LogFormat::Json) chunk.body.append(q.emitted == 0 ? "[\n" : ",\n");
      formatter.append(line, q.format, chunk.body);
      ++q.emitted;
    }
    if (pos == 0) {
      // One record larger than the block: read more at once, or it is a torn tail (a crash mid-write).
      if (q.offset + got >= size) return true;
      want *= 2;
      continue;
    }
    q.offset += pos;
  }
  return false;
}

Archive::Archive(Loop& loop, Settings settings) : loop_(loop), settings_(std::move(settings)) {}

// A job on the thread pool runs to its end (it owns what it uses); its completion does not run. The others never run.
Archive::~Archive() = default;

Status Archive::open() {
  std::string path;
  for (size_t pos = 0; pos != std::string::npos;) {
    pos = settings_.dir.find('/', pos + 1);
    path = settings_.dir.substr(0, pos);
    if (!path.empty() && ::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) {
      return Error{errnoText("cannot create the archive directory " + path)};
    }
  }
  if (::access(settings_.dir.c_str(), W_OK) != 0) return Error{errnoText("cannot write to " + settings_.dir)};
  size_horizon_us_ = readHorizon(settings_.dir);
  for (auto& [h, size] : listPartitions(settings_.dir)) disk_bytes_ += size;
  flush_timer_.init(this, [&](uv_timer_t* t) noexcept { return uv_timer_init(loop_.get(), t); });
  uint64_t every = static_cast<uint64_t>(std::max<int64_t>(settings_.flush_interval.count(), 10));
  uv_timer_start(flush_timer_.get(), &Archive::onFlushTimer, every, every);
  uv_unref(flush_timer_.handle());
  return {};
}

void Archive::add(const Record& r, const LineSource& source) {
  if (closing_) return;
  const int64_t hour = archiveHourOf(r.received_us);
  if (hour != open_hour_) {
    seal();
    open_hour_ = hour;
  }
  const size_t need = archiveRecordSize(r, source);
  if (pending_bytes_ + need > settings_.max_pending) {
    ++dropped_lines_;
    uint64_t suppressed = 0;
    if (drop_log_.allow(&suppressed)) {
      spdlog::warn("api archive: the disk is not keeping up; {} not archived so far (they were still "
                   "forwarded)",
                   countOf(dropped_lines_, "line"));
    }
    return;
  }
  encodeArchiveRecord(r, source, open_);
  pending_bytes_ += need;
  ++archived_lines_;
  if (open_.size() >= kFlushBytes) flush();
}

void Archive::seal() {
  if (open_.empty()) return;
  sealed_.emplace_back(open_hour_, std::move(open_));
  open_ = ByteBuffer();
}

void Archive::flush() {
  seal();
  if (sealed_.empty()) return;
  auto job = std::make_unique<Job>();
  job->kind = Job::Kind::Write;
  for (auto& s : sealed_) job->write_bytes += s.second.size();
  job->writes = std::move(sealed_);
  sealed_.clear();
  enqueue(std::move(job));
}

void Archive::enqueue(std::unique_ptr<Job> job) {
  job->dir = settings_.dir;
  job->now_us = wallMicros();
  job->retention_time = settings_.retention_time;
  job->retention_bytes = settings_.retention_bytes;
  job->size_horizon = size_horizon_us_;
  if (job->kind == Job::Kind::Write &&
      (job->now_us - last_retention_us_ >= kRetentionEveryUs || disk_bytes_ + job->write_bytes > settings_.retention_bytes)) {
    job->retention = true;
    last_retention_us_ = job->now_us;
  }
  jobs_.submit(
      [job = std::move(job)]() mutable noexcept {
        job->run();
        return std::move(job);
      },
      [this](std::unique_ptr<Job> job) noexcept { finished(*job); });
}

void Archive::finished(Job& job) {
  if (job.kind == Job::Kind::Write) {
    pending_bytes_ -= std::min(pending_bytes_, job.write_bytes);
    if (job.disk_known) {
      disk_bytes_ = job.disk_bytes;
    } else {
      disk_bytes_ += job.write_bytes;
    }
    size_horizon_us_ = job.size_horizon;
    if (!job.error.empty()) {
      uint64_t suppressed = 0;
      if (error_log_.allow(&suppressed)) spdlog::error("api archive: {}", job.error);
    }
    return;
  }
  if (!job.error.empty()) {
    job.chunk.error = job.error;
    job.chunk.done = true;
  }
  if (!job.chunk.error.empty()) spdlog::warn("api archive: {}", job.chunk.error);
  if (job.done) job.done(std::move(job.chunk));
}

void Archive::read(std::shared_ptr<Query> query, std::function<void(Chunk)> done) {
  flush();
  auto job = std::make_unique<Job>();
  job->kind = Job::Kind::Read;
  job->query = std::move(query);
  job->done = std::move(done);
  enqueue(std::move(job));
}

int64_t Archive::horizonUs() const {
  int64_t by_time = wallMicros() - static_cast<int64_t>(settings_.retention_time.count()) * 1000;
  return std::max(by_time, size_horizon_us_);
}

void Archive::onFlushTimer(uv_timer_t* timer) noexcept {
  auto* self = ownerOf<Archive>(timer);
  if (self != nullptr) self->flush();
}

void Archive::close(std::function<void()> done) {
  flush();
  closing_ = true;
  jobs_.whenIdle([this, done = std::move(done)] {
    flush_timer_.close();
    done();
  });
}

}  // namespace sluice
