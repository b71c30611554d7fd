#include "plugins/tail/ack_journal.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <map>

#include "agent/buffer/crc32c.h"

namespace sluice::plugins::tail {
namespace {

constexpr size_t kRecord = sizeof(JournalRecord);
// Past this size (checkpoints that keep failing: a full disk) the journal is compacted without waiting for one.
constexpr uint64_t kCompactBytes = 4 * 1024 * 1024;

// The newest record per file among `records` with seq > covered, in sequence order.
std::vector<JournalRecord> newestPerFile(const std::vector<JournalRecord>& records, uint64_t covered) {
  std::map<FileKey, JournalRecord> newest;
  for (const JournalRecord& r : records) {
    if (r.seq <= covered) continue;
    JournalRecord& n = newest[r.key()];
    if (r.seq > n.seq) n = r;
  }
  std::vector<JournalRecord> out;
  out.reserve(newest.size());
  for (const auto& [key, r] : newest) out.push_back(r);
  std::sort(out.begin(), out.end(), [](const JournalRecord& a, const JournalRecord& b) { return a.seq < b.seq; });
  return out;
}

}  // namespace

AckJournal::~AckJournal() {
  if (fd_ >= 0) ::close(fd_);
}

JournalRecord AckJournal::seal(JournalRecord r) {
  r.crc = crc32c(0, &r, offsetof(JournalRecord, crc));
  return r;
}

bool AckJournal::valid(const JournalRecord& r) {
  return r.seq != 0 && r.fingerprint_len <= Fingerprint::kBytes && r.crc == crc32c(0, &r, offsetof(JournalRecord, crc));
}

std::vector<JournalRecord> AckJournal::parse(std::string_view bytes, uint64_t covered, uint64_t* highest) {
  std::vector<JournalRecord> all;
  uint64_t top = 0;
  for (size_t at = 0; bytes.size() - at >= kRecord; at += kRecord) {
    JournalRecord r;
    std::memcpy(&r, bytes.data() + at, kRecord);
    if (!valid(r)) break;  // torn by a crash of the machine, or never written: nothing after it counts
    top = std::max(top, r.seq);
    all.push_back(r);
  }
  if (highest != nullptr) *highest = top;
  return newestPerFile(all, covered);
}

Result<std::vector<JournalRecord>> AckJournal::open(uint64_t covered) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0640);
  if (fd_ < 0) return makeError("cannot open " + path_ + ": " + std::strerror(errno), -errno);
  std::string bytes;
  char buf[65536];
  uint64_t at = 0;
  while (true) {
    ssize_t n = ::pread(fd_, buf, sizeof buf, static_cast<off_t>(at));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return makeError("cannot read " + path_ + ": " + std::strerror(errno), -errno);
    if (n == 0) break;
    bytes.append(buf, static_cast<size_t>(n));
    at += static_cast<uint64_t>(n);
  }
  uint64_t highest = 0;
  std::vector<JournalRecord> records = parse(bytes, covered, &highest);
  next_seq_ = std::max(covered, highest) + 1;
  // Appends go after the valid records; whatever follows them is overwritten.
  size_t valid_records = 0;
  while ((valid_records + 1) * kRecord <= bytes.size()) {
    JournalRecord r;
    std::memcpy(&r, bytes.data() + valid_records * kRecord, kRecord);
    if (!valid(r)) break;
    ++valid_records;
  }
  end_ = valid_records * kRecord;
  compacted_end_ = 0;
  uncovered_ = records;
  covered_ = covered;
  batch_.clear();
  return records;
}

void AckJournal::add(const FileKey& key, uint64_t offset, const Fingerprint& fingerprint) {
  JournalRecord r;
  r.seq = next_seq_++;
  r.dev = key.dev;
  r.ino = key.ino;
  r.offset = offset;
  r.fingerprint_hash = fingerprint.hash;
  r.fingerprint_len = fingerprint.len;
  batch_.push_back(seal(r));
}

Status AckJournal::writeAt(uint64_t at, const void* data, size_t len) {
  const char* p = static_cast<const char*>(data);
  while (len > 0) {
    ssize_t n = ::pwrite(fd_, p, len, static_cast<off_t>(at));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return makeError("cannot write " + path_ + ": " + std::strerror(errno), -errno);
    p += n;
    len -= static_cast<size_t>(n);
    at += static_cast<uint64_t>(n);
  }
  return {};
}

Status AckJournal::flush() {
  if (batch_.empty()) return {};
  if (fd_ < 0) {
    batch_.clear();
    return makeError("the journal " + path_ + " is not open");
  }
  Status st = writeAt(end_, batch_.data(), batch_.size() * kRecord);
  if (st) {
    end_ += batch_.size() * kRecord;
    uncovered_.insert(uncovered_.end(), batch_.begin(), batch_.end());
  }
  batch_.clear();
  if (st && end_ > std::max(kCompactBytes, 2 * compacted_end_)) return compact(covered_);
  return st;
}

Status AckJournal::compact(uint64_t covered) {
  if (fd_ < 0) return {};
  if (Status st = flush(); !st) return st;
  std::vector<JournalRecord> keep = newestPerFile(uncovered_, covered);
  if (!keep.empty()) {
    if (Status st = writeAt(0, keep.data(), keep.size() * kRecord); !st) return st;
  }
  end_ = compacted_end_ = keep.size() * kRecord;
  uncovered_ = std::move(keep);
  covered_ = covered;
  if (::ftruncate(fd_, static_cast<off_t>(end_)) != 0) {
    return makeError("cannot truncate " + path_ + ": " + std::strerror(errno), -errno);
  }
  return {};
}

}  // namespace sluice::plugins::tail
