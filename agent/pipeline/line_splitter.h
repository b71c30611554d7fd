#pragma once
// Splits a byte stream into lines with memchr over the read buffer; lines are handed out as views into it, never
// copied. A line longer than max_line_bytes is cut into pieces of at most that size (at a UTF-8 character
// boundary when one is near), each a message of its own: nothing is truncated silently.
#include <uv.h>

#include <algorithm>
#include <cstring>
#include <string_view>

#include "agent/core/bytes.h"

namespace sluice {

class LineSplitter {
 public:
  static constexpr size_t kReadChunk = 64 * 1024;

  explicit LineSplitter(size_t max_line_bytes) : max_line_(max_line_bytes) {
    buf_.reserve(max_line_ + kReadChunk);
  }

  // Where the next read goes (at least kReadChunk bytes).
  uv_buf_t readBuffer() {
    char* p = buf_.prepare(kReadChunk);
    return uv_buf_init(p, static_cast<unsigned>(buf_.capacity() - buf_.size()));
  }
  // The same, at most `max_bytes` long (tailed files read in chunks of a fixed size).
  uv_buf_t readBuffer(size_t max_bytes) {
    char* p = buf_.prepare(max_bytes);
    return uv_buf_init(p, static_cast<unsigned>(std::min(buf_.capacity() - buf_.size(), max_bytes)));
  }

  // `n` bytes were read into readBuffer(). Calls emit(line, is_piece) for every complete line; is_piece is true
  // for the parts of a line that had to be split.
  template <class Emit>
  void commit(size_t n, Emit&& emit) {
    size_t scan = buf_.size();
    buf_.commit(n);
    const char* base = buf_.data();
    size_t start = 0;
    const size_t end = buf_.size();
    while (scan < end) {
      const void* nl = std::memchr(base + scan, '\n', end - scan);
      if (nl == nullptr) break;
      size_t pos = static_cast<size_t>(static_cast<const char*>(nl) - base);
      size_t len = pos - start;
      if (len > 0 && base[pos - 1] == '\r') --len;
      if (len > max_line_) {
        emitPieces(std::string_view(base + start, len), emit);
      } else {
        emit(std::string_view(base + start, len), continuing_);
      }
      continuing_ = false;
      start = pos + 1;
      scan = start;
    }
    // The partial tail: cut it while it is too long to ever fit (one byte spare for a CR before the newline).
    while (end - start > max_line_ + 1) {
      size_t cut = cutPoint(std::string_view(base + start, end - start), max_line_);
      if (!continuing_) ++split_lines_;
      emit(std::string_view(base + start, cut), true);
      continuing_ = true;
      start += cut;
    }
    buf_.consume(start);
  }

  // End of input: the last line may lack its newline.
  template <class Emit>
  void finish(Emit&& emit) {
    if (buf_.size() > 0) {
      std::string_view rest = buf_.view();
      if (rest.back() == '\r') rest.remove_suffix(1);
      if (rest.size() > max_line_) {
        emitPieces(rest, emit);
      } else {
        emit(rest, continuing_);
      }
    }
    buf_.clear();
    continuing_ = false;
  }

  // Empty again, its buffer kept (a splitter handed from one file to another).
  void reset() {
    buf_.clear();
    continuing_ = false;
  }

  size_t pendingBytes() const { return buf_.size(); }
  // The bytes held: a partial last line.
  std::string_view pending() const { return buf_.view(); }
  // Lines that were longer than max_line_bytes and went out as several messages.
  uint64_t splitLines() const { return split_lines_; }

  // `s` is longer than `max`: where to cut it (at most `max`), backing off up to 3 bytes so that a UTF-8
  // character is not cut in two. Input that is not UTF-8 is cut at `max`.
  static size_t cutPoint(std::string_view s, size_t max) {
    for (size_t c = max; c + 3 >= max && c > 0; --c) {
      if ((static_cast<unsigned char>(s[c]) & 0xC0) != 0x80) return c;
    }
    return max;
  }

 private:
  template <class Emit>
  void emitPieces(std::string_view line, Emit& emit) {
    if (!continuing_) ++split_lines_;
    while (line.size() > max_line_) {
      size_t cut = cutPoint(line, max_line_);
      emit(line.substr(0, cut), true);
      line.remove_prefix(cut);
    }
    emit(line, true);
  }

  size_t max_line_;
  ByteBuffer buf_;
  bool continuing_ = false;
  uint64_t split_lines_ = 0;
};

}  // namespace sluice
