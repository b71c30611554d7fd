#include "agent/app/convert_command.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "agent/core/bytes.h"
#include "agent/formats/ndjson_encoder.h"

namespace sluice {
namespace {

constexpr size_t kChunk = 1 << 20;

bool writeAll(int fd, const char* p, size_t n, std::ostream& err) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      err << "sluice convert: write failed: " << std::strerror(errno) << "\n";
      return false;
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

// Calls fn(line) for every line of `fd` (without "\n" or a "\r" before it; a last line without newline too).
template <class Fn>
bool forEachLine(int fd, std::ostream& err, Fn&& fn) {
  ByteBuffer buf(kChunk);
  for (;;) {
    char* room = buf.prepare(kChunk);
    ssize_t n = ::read(fd, room, kChunk);
    if (n < 0) {
      if (errno == EINTR) continue;
      err << "sluice convert: read failed: " << std::strerror(errno) << "\n";
      return false;
    }
    buf.commit(static_cast<size_t>(n));
    std::string_view data = buf.view();
    size_t start = 0;
    for (;;) {
      const void* nl = std::memchr(data.data() + start, '\n', data.size() - start);
      if (nl == nullptr) break;
      size_t end = static_cast<size_t>(static_cast<const char*>(nl) - data.data());
      std::string_view line = data.substr(start, end - start);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (!fn(line)) return false;
      start = end + 1;
    }
    buf.consume(start);
    if (n == 0) {
      if (!buf.empty()) {
        std::string_view line = buf.view();
        if (line.back() == '\r') line.remove_suffix(1);
        if (!fn(line)) return false;
      }
      return true;
    }
  }
}

}  // namespace

int runConvert(const ConvertOptions& o, int in_fd, int out_fd, std::ostream& err) {
  ByteBuffer out(kChunk + 4096);
  auto flush = [&](bool force) {
    if (out.size() < kChunk && !force) return true;
    bool ok = writeAll(out_fd, out.data(), out.size(), err);
    out.clear();
    return ok;
  };
  if (o.from == "clf" && o.to == "json") {
    if (o.schema != "compact" && o.schema != "ecs") {
      err << "sluice convert: --schema must be compact or ecs\n";
      return 2;
    }
    if (o.unparsed != "raw" && o.unparsed != "drop") {
      err << "sluice convert: --unparsed must be raw or drop\n";
      return 2;
    }
    NdjsonEncoder encoder(o.schema == "ecs" ? Schema::Ecs : Schema::Compact,
                          o.unparsed == "drop" ? Unparsed::Drop : Unparsed::Raw);
    NdjsonCounts counts;
    bool ok = forEachLine(in_fd, err, [&](std::string_view line) {
      encoder.encodeLine(line, out, counts);
      return flush(false);
    });
    ok = flush(true) && ok;
    uint64_t unparsed = counts.unparsed_raw + counts.unparsed_dropped;
    if (unparsed > 0) {
      err << "sluice convert: " << unparsed << (unparsed == 1 ? " line was" : " lines were") << " not access-log lines ("
          << (o.unparsed == "drop" ? "left out" : "written as {\"raw\": ...}") << ")\n";
    }
    return ok ? 0 : 1;
  }
  if (o.from == "json" && o.to == "clf") {
    uint64_t number = 0, failed = 0;
    std::string line_out;
    std::string why;
    bool ok = forEachLine(in_fd, err, [&](std::string_view line) {
      ++number;
      if (line.find_first_not_of(" \t") == std::string_view::npos) return true;  // blank lines between objects
      line_out.clear();
      if (!jsonToClf(line, line_out, &why)) {
        if (++failed <= 20) err << "sluice convert: line " << number << ": " << why << "\n";
        return true;
      }
      out.append(line_out);
      out.push('\n');
      return flush(false);
    });
    ok = flush(true) && ok;
    if (failed > 0) err << "sluice convert: " << failed << " lines could not be converted (left out)\n";
    return ok && failed == 0 ? 0 : 1;
  }
  err << "sluice convert: supported: --from clf --to json, --from json --to clf\n";
  return 2;
}

}  // namespace sluice
