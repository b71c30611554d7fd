#include "plugins/tail/checkpoint_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

#include "agent/core/clock.h"
#include "agent/core/durable_file.h"
#include "agent/core/path.h"
#include "agent/core/url.h"

namespace sluice::plugins::tail {
namespace {

constexpr std::string_view kMagic = "sluice-tail-checkpoints 1\n";

// Bytes other than printable ASCII, space and '%' become %XX: any path fits on one line, between spaces.
void appendEscaped(std::string& out, std::string_view s) {
  static const char kHex[] = "0123456789abcdef";
  for (unsigned char c : s) {
    if (c <= ' ' || c >= 127 || c == '%') {
      const char e[3] = {'%', kHex[c >> 4], kHex[c & 15]};
      out.append(e, 3);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
}

// The file is written every checkpoint_interval with a line per file (1,000 files: 1,000 lines a second), so the
// numbers go straight into it, without a string each.
template <class T>
void appendNumber(std::string& out, T v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, static_cast<size_t>(end - buf));
}

void appendHex64(std::string& out, uint64_t v) {
  char buf[16];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, 16);
  out.append(16 - static_cast<size_t>(end - buf), '0').append(buf, static_cast<size_t>(end - buf));
}

template <class T>
bool number(std::string_view s, T& out, int base = 10) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out, base);
  return ec == std::errc() && p == s.data() + s.size();
}

// Splits `line` at single spaces.
std::vector<std::string_view> fields(std::string_view line) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t sp = line.find(' ', start);
    out.push_back(line.substr(start, sp == std::string_view::npos ? std::string_view::npos : sp - start));
    if (sp == std::string_view::npos) break;
    start = sp + 1;
  }
  return out;
}

}  // namespace

CheckpointStore::CheckpointStore(const std::string& state_dir, std::string_view source_name) {
  dir_ = state_dir;
  while (dir_.size() > 1 && dir_.back() == '/') dir_.pop_back();
  dir_ += "/checkpoints";
  path_ = dir_ + "/" + safeFileName(source_name) + ".checkpoint";
}

Status CheckpointStore::prepare() const { return makeDirs(dir_); }

std::string CheckpointStore::journalPath() const {
  return path_.substr(0, path_.size() - std::string_view(".checkpoint").size()) + ".journal";
}

std::string CheckpointStore::serialize(const CheckpointSet& set) {
  std::string out(kMagic);
  size_t path_bytes = 0;
  for (const FileCheckpoint& f : set.files) path_bytes += f.path.size() + f.real_path.size();
  out.reserve(128 + set.files.size() * 96 + path_bytes * 5 / 4);
  auto field = [&](std::string_view name, auto v) {
    out.append(name).push_back(' ');
    appendNumber(out, v);
    out.push_back('\n');
  };
  field("written_us", set.written_us);
  field("scanned_us", set.scanned_us);
  field("journal_seq", set.journal_seq);
  auto word = [&](auto v) {  // a number and the space after it
    appendNumber(out, v);
    out.push_back(' ');
  };
  for (const FileCheckpoint& f : set.files) {
    out.append("file ");
    for (uint64_t v : {f.key.dev, f.key.ino, f.offset, static_cast<uint64_t>(f.fingerprint.len)}) word(v);
    appendHex64(out, f.fingerprint.hash);
    out.push_back(' ');
    appendEscaped(out, f.path);
    out.push_back(' ');
    appendEscaped(out, f.real_path.empty() ? f.path : f.real_path);
    out.push_back('\n');
  }
  const uint64_t sum = fnv1a64(out);
  out.append("end ");
  word(set.files.size());
  appendHex64(out, sum);
  out.push_back('\n');
  return out;
}

Result<CheckpointSet> CheckpointStore::parse(std::string_view text) {
  if (text.substr(0, kMagic.size()) != kMagic) return makeError("not a checkpoint file (bad first line)");
  size_t end_pos = text.rfind("\nend ");
  if (end_pos == std::string_view::npos) return makeError("truncated (no end line)");
  std::string_view body = text.substr(0, end_pos + 1);
  std::string_view end_line = text.substr(end_pos + 1);
  if (end_line.empty() || end_line.back() != '\n') return makeError("truncated (end line incomplete)");
  end_line.remove_suffix(1);
  auto ef = fields(end_line);
  uint64_t count = 0, sum = 0;
  if (ef.size() != 3 || !number(ef[1], count) || !number(ef[2], sum, 16)) return makeError("bad end line");
  if (sum != fnv1a64(body)) return makeError("checksum mismatch");

  CheckpointSet set;
  bool have_written = false, have_scanned = false;
  std::string_view rest = body.substr(kMagic.size());
  int line_no = 1;
  while (!rest.empty()) {
    ++line_no;
    size_t nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    rest.remove_prefix(nl + 1);
    auto f = fields(line);
    auto bad = [&] { return makeError("line " + std::to_string(line_no) + ": cannot parse '" + std::string(line.substr(0, 80)) + "'"); };
    if (f[0] == "written_us" && f.size() == 2) {
      if (!number(f[1], set.written_us)) return bad();
      have_written = true;
    } else if (f[0] == "scanned_us" && f.size() == 2) {
      if (!number(f[1], set.scanned_us)) return bad();
      have_scanned = true;
    } else if (f[0] == "journal_seq" && f.size() == 2) {
      if (!number(f[1], set.journal_seq)) return bad();
    } else if (f[0] == "file" && f.size() == 8) {
      FileCheckpoint c;
      if (!number(f[1], c.key.dev) || !number(f[2], c.key.ino) || !number(f[3], c.offset) ||
          !number(f[4], c.fingerprint.len) || !number(f[5], c.fingerprint.hash, 16) || !percentDecode(f[6], c.path) ||
          !percentDecode(f[7], c.real_path) || c.fingerprint.len > Fingerprint::kBytes || c.path.empty()) {
        return bad();
      }
      set.files.push_back(std::move(c));
    } else {
      return bad();
    }
  }
  if (!have_written || !have_scanned) return makeError("missing written_us or scanned_us");
  if (set.files.size() != count) return makeError("file count mismatch");
  return set;
}

Result<LoadedCheckpoints> CheckpointStore::load() const {
  LoadedCheckpoints out;
  int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return out;
    return makeError("cannot read " + path_ + ": " + std::strerror(errno), -errno);
  }
  std::string text;
  char buf[65536];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      return makeError("cannot read " + path_ + ": " + std::strerror(err), -err);
    }
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  Result<CheckpointSet> parsed = parse(text);
  if (parsed) {
    out.set = std::move(*parsed);
    return out;
  }
  std::string aside = path_ + ".corrupt-" + std::to_string(wallMicros() / 1000000);
  if (::rename(path_.c_str(), aside.c_str()) != 0) {
    return makeError("checkpoint file " + path_ + " is corrupt (" + parsed.error().message +
                     ") and cannot be moved aside: " + std::strerror(errno));
  }
  out.problem = "checkpoint file " + path_ + " is corrupt (" + parsed.error().message + "); moved to " + aside +
                "; files are read as if never seen (start_at)";
  return out;
}

Status CheckpointStore::writeAtomically(const std::string& path, std::string_view data, std::string_view tmp_suffix) {
  return writeFileDurably(path, data, DurableWriteOptions{.tmp_suffix = tmp_suffix, .mode = 0640});
}

}  // namespace sluice::plugins::tail
