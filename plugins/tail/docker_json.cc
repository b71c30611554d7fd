// RapidJSON's vectorised string scanning: SSE2 is part of x86-64, NEON of AArch64.
#if defined(__SSE2__)
#define RAPIDJSON_SSE2
#elif defined(__ARM_NEON)
#define RAPIDJSON_NEON
#endif
#include "plugins/tail/docker_json.h"

#include <rapidjson/reader.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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


// A "log" that ends with "\n" is the last part of a line: the "\n" goes, and one "\r" before it.
std::string_view trimEndOfLine(std::string_view log, bool& complete) {
  if (log.empty() || log.back() != '\n') return log;
  complete = true;
  log.remove_suffix(1);
  if (!log.empty() && log.back() == '\r') log.remove_suffix(1);
  return log;
}

// Docker's own shape, byte for byte. A line in it is parsed here without the general reader (most of the cost of
// a docker line was the reader's generic string and key handling); any other line, valid JSON or not, goes to the
// reader, which has the last word. The fuzz target checks that both give the same answer on what this accepts.
constexpr std::string_view kLogOpen = R"({"log":")";
constexpr std::string_view kStreamOpen = R"(,"stream":")";
constexpr std::string_view kTimeOpen = R"(,"time":")";

// The first byte from `p` that ends a run of plain string text: a quote, a backslash or a control byte.
const char* stringStop(const char* p, const char* end) {
#if defined(__SSE2__)
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i backslash = _mm_set1_epi8('\\');
  const __m128i control = _mm_set1_epi8(0x1f);
  while (end - p >= 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)),
                                     _mm_cmpeq_epi8(_mm_max_epu8(v, control), control));  // v <= 0x1f
    const int mask = _mm_movemask_epi8(hit);
    if (mask != 0) return p + __builtin_ctz(static_cast<unsigned>(mask));
    p += 16;
  }
#endif
  for (; p < end; ++p) {
    const auto c = static_cast<unsigned char>(*p);
    if (c == '"' || c == '\\' || c < 0x20) break;
  }
  return p;
}

// The one-letter escapes; 0 for \u (left to the reader, with its surrogate pairs) and for invalid ones.
char simpleEscape(char c) {
  switch (c) {
    case '"': return '"';
    case '\\': return '\\';
    case '/': return '/';
    case 'b': return '\b';
    case 'f': return '\f';
    case 'n': return '\n';
    case 'r': return '\r';
    case 't': return '\t';
    default: return 0;
  }
}

// The JSON string that starts at `p` (after its opening quote), unescaped: a view into the line when it has no
// escape but a final "\n" (`newline` is then set), else into `scratch`. `p` is left after the closing quote.
bool shapeString(const char*& p, const char* end, ByteBuffer& scratch, std::string_view& text, bool& newline) {
  const char* start = p;
  bool copied = false;
  for (;;) {
    const char* stop = stringStop(p, end);
    if (stop == end || static_cast<unsigned char>(*stop) < 0x20) return false;
    if (*stop == '"') {
      if (copied) scratch.append(p, static_cast<size_t>(stop - p));
      text = copied ? scratch.view() : std::string_view(start, static_cast<size_t>(stop - start));
      p = stop + 1;
      return true;
    }
    if (end - stop < 3) return false;
    const char c = simpleEscape(stop[1]);
    if (c == 0) return false;
    if (!copied && c == '\n' && stop[2] == '"') {  // the usual end of a docker line: no copy
      text = std::string_view(start, static_cast<size_t>(stop - start));
      newline = true;
      p = stop + 3;
      return true;
    }
    if (!copied) {
      scratch.clear();
      copied = true;
    }
    scratch.append(p, static_cast<size_t>(stop - p));
    scratch.push(c);
    p = stop + 2;
  }
}

bool consume(const char*& p, const char* end, std::string_view expected) {
  if (static_cast<size_t>(end - p) < expected.size() || std::memcmp(p, expected.data(), expected.size()) != 0) {
    return false;
  }
  p += expected.size();
  return true;
}

bool parseShape(std::string_view line, ByteBuffer& scratch, EventTimeParser& times, DockerLine& out) {
  const char* p = line.data();
  const char* end = p + line.size();
  std::string_view log;
  bool newline = false;
  if (!consume(p, end, kLogOpen) || !shapeString(p, end, scratch, log, newline)) return false;
  if (!consume(p, end, kStreamOpen)) return false;
  if (consume(p, end, R"(stderr")")) {
    out.is_stderr = true;
  } else if (!consume(p, end, R"(stdout")")) {
    return false;
  }
  if (!consume(p, end, kTimeOpen)) return false;
  const char* time_start = p;
  const char* time_end = stringStop(p, end);
  if (time_end == end || *time_end != '"' || end - time_end != 2 || time_end[1] != '}') return false;
  out.log = log;
  out.complete = newline;
  out.time_us = times.parse(std::string_view(time_start, static_cast<size_t>(time_end - time_start)));
  return true;
}
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
  if (parseShape(line, impl_->scratch, impl_->times, out)) {
    if (!out.complete) out.log = trimEndOfLine(out.log, out.complete);
    return true;
  }
  return parseWithReader(line, out);
}

bool DockerJsonParser::parseWithReader(std::string_view line, DockerLine& out) {
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
  out.log = trimEndOfLine(out.log, out.complete);
  return true;
}

}  // namespace sluice::plugins::tail
