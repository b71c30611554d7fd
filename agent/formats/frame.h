#pragma once
// Octet-counted frames ("LEN SP MSG", RFC 6587 section 3.4.1; the body of an application/logplex-1 POST).
// Pure functions: the logplex input, the encoders and the fuzz targets call them.
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace sluice {

// Longest message a frame may carry; larger LEN values are rejected as malformed rather than buffered.
inline constexpr size_t kMaxFrameMessage = 64 * 1024 * 1024;

enum class FrameStatus {
  Ok,         // *message is set, *consumed bytes make up the frame
  NeedMore,   // the input ends inside the frame (streaming: wait for more; complete input: truncated)
  Malformed,  // not a frame: *error says why
};

// Parses the frame at the start of `in`. LEN is 1-10 ASCII digits without a leading zero, then exactly one space.
FrameStatus parseFrame(std::string_view in, std::string_view* message, size_t* consumed, const char** error);

// Iterates over the frames of a complete buffer (a batch): for (auto msg : Frames(bytes)).
class Frames {
 public:
  explicit Frames(std::string_view bytes) : bytes_(bytes) {}
  class Iterator {
   public:
    Iterator(std::string_view rest, bool end) : rest_(rest), end_(end) { advance(); }
    std::string_view operator*() const { return current_; }
    Iterator& operator++() {
      advance();
      return *this;
    }
    bool operator!=(const Iterator& o) const { return end_ != o.end_; }

   private:
    void advance() {
      if (end_) return;
      size_t used = 0;
      const char* err = nullptr;
      if (rest_.empty() || parseFrame(rest_, &current_, &used, &err) != FrameStatus::Ok) {
        end_ = true;
        return;
      }
      rest_.remove_prefix(used);
    }
    std::string_view rest_;
    std::string_view current_;
    bool end_;
  };
  Iterator begin() const { return Iterator(bytes_, false); }
  Iterator end() const { return Iterator({}, true); }

 private:
  std::string_view bytes_;
};

// Digits of a LEN prefix.
inline size_t decimalDigits(size_t v) {
  size_t n = 1;
  while (v >= 10) {
    v /= 10;
    ++n;
  }
  return n;
}

// Writes `v` in decimal at `out` using exactly `digits` bytes.
inline void writeDecimal(char* out, size_t v, size_t digits) {
  for (size_t i = digits; i > 0; --i) {
    out[i - 1] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
}

}  // namespace sluice
