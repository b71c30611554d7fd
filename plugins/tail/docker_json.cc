// RapidJSON's vectorised string scanning: SSE2 is part of x86-64, NEON of AArch64.
#if defined(__SSE2__)
#define RAPIDJSON_SSE2
#elif defined(__ARM_NEON)
#define RAPIDJSON_NEON
#endif
#include "plugins/tail/docker_json.h"

#include <rapidjson/reader.h>

#include <cstring>

#include "agent/core/bytes.h"
#include "plugins/tail/event_time.h"

namespace sluice::plugins::tail {
namespace {

// Docker writes a flat object (attrs is a map of strings); anything nested deeper than this is not a record. The
// reader is iterative (its stack is on the heap, not the thread's), and this bound keeps that stack small too.
constexpr int kMaxDepth = 32;

// Collects the top-level "log", "stream" and "time" members; anything else (attrs, nested values) is skipped.
class Handler : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, Handler> {
 public:
  enum class Field { Other, Log, Stream, Time };

  Handler(DockerLine& out, EventTimeParser& times) : out_(out), times_(times) {}

  bool Default() {
    key_ = Field::Other;
    return depth_ > 0;  // a scalar at the root is not a record
  }
  bool String(const char* s, rapidjson::SizeType n, bool) {
    if (depth_ == 0) return false;
    if (depth_ == 1) {
      switch (key_) {
        case Field::Log:
          out_.log = std::string_view(s, n);  // in situ: lives in the scratch copy
          has_log_ = true;
          break;
        case Field::Stream:
          out_.is_stderr = std::string_view(s, n) == "stderr";
          break;
        case Field::Time:
          out_.time_us = times_.parse(std::string_view(s, n));
          break;
        case Field::Other:
          break;
      }
    }
    key_ = Field::Other;
    return true;
  }
  bool StartObject() {
    if (++depth_ > kMaxDepth) return false;
    key_ = Field::Other;
    return true;
  }
  bool Key(const char* s, rapidjson::SizeType n, bool) {
    key_ = Field::Other;
    if (depth_ != 1) return true;
    std::string_view k(s, n);
    if (k == "log") {
      key_ = Field::Log;
    } else if (k == "stream") {
      key_ = Field::Stream;
    } else if (k == "time") {
      key_ = Field::Time;
    }
    return true;
  }
  bool EndObject(rapidjson::SizeType) {
    --depth_;
    return true;
  }
  bool StartArray() {
    if (depth_ == 0 || ++depth_ > kMaxDepth) return false;
    key_ = Field::Other;
    return true;
  }
  bool EndArray(rapidjson::SizeType) {
    --depth_;
    return true;
  }

  bool hasLog() const { return has_log_; }

 private:
  DockerLine& out_;
  EventTimeParser& times_;
  Field key_ = Field::Other;
  int depth_ = 0;
  bool has_log_ = false;
};

// The SIMD scan reads 16 aligned bytes at a time and stops at the terminating NUL: the padding keeps every such
// read inside the buffer.
constexpr size_t kPadding = 16;

}  // namespace

struct DockerJsonParser::Impl {
  rapidjson::Reader reader;
  ByteBuffer scratch;
  EventTimeParser times;
};

DockerJsonParser::DockerJsonParser() : impl_(std::make_unique<Impl>()) {}
DockerJsonParser::~DockerJsonParser() = default;

bool DockerJsonParser::parse(std::string_view line, DockerLine& out) {
  out = DockerLine{};
  // A line that is not an object cannot be a record; saves the reader's work on raw text.
  size_t first = line.find_first_not_of(" \t");
  if (first == std::string_view::npos || line[first] != '{') return false;
  // A NUL byte would end the in-situ stream early: such a line is not JSON anyway.
  if (std::memchr(line.data(), '\0', line.size()) != nullptr) return false;
  ByteBuffer& scratch = impl_->scratch;
  scratch.clear();
  if (scratch.capacity() > 1024 * 1024 && line.size() < 64 * 1024) scratch.shrinkTo(64 * 1024 + kPadding);
  char* p = scratch.prepare(line.size() + kPadding);
  std::memcpy(p, line.data(), line.size());
  std::memset(p + line.size(), 0, kPadding);
  scratch.commit(line.size() + kPadding);

  Handler handler(out, impl_->times);
  rapidjson::InsituStringStream stream(scratch.data());
  // Iterative: a line of 130,000 '[' must not recurse 130,000 deep (it overflowed the stack).
  rapidjson::ParseResult ok =
      impl_->reader.Parse<rapidjson::kParseInsituFlag | rapidjson::kParseIterativeFlag>(stream, handler);
  if (!ok || !handler.hasLog()) return false;
  std::string_view log = out.log;
  if (!log.empty() && log.back() == '\n') {
    out.complete = true;
    log.remove_suffix(1);
    if (!log.empty() && log.back() == '\r') log.remove_suffix(1);
  }
  out.log = log;
  return true;
}

}  // namespace sluice::plugins::tail
