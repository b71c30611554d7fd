#pragma once
// Turns the physical lines of a tailed file into messages, by the file's format:
// - raw: each line is a message;
// - docker (json-file): the JSON is unescaped; parts without a trailing "\n" are joined with what follows;
// - cri: "TIMESTAMP STREAM P|F MESSAGE"; P parts are joined until the F;
// - auto: one of the three, chosen from the file's first line.
// Parts are joined per stream (stdout and stderr interleave in one file). A message longer than max_line_bytes is
// sent in pieces (counted). A line that does not parse in its format is counted and sent as it is, or dropped
// (malformed: drop).
//
// Every physical line comes with its offset in the file, so the decoder can say from which offset on it still
// holds bytes that no message carries yet: the file's checkpoint never passes them.
#include <cstdint>
#include <string_view>

#include "agent/core/bytes.h"
#include "agent/pipeline/line_splitter.h"
#include "plugins/tail/cri.h"
#include "plugins/tail/docker_json.h"
#include "plugins/tail/event_time.h"

namespace sluice::plugins::tail {

enum class TailFormat : uint8_t { Auto, Raw, Docker, Cri };
// What becomes of a line that does not decode in its file's format (`malformed:`).
enum class MalformedLines : uint8_t { Raw, Drop };

// "auto", "raw", "docker", "cri".
const char* tailFormatName(TailFormat format);

struct DecodedMessage {
  std::string_view text;
  int64_t event_us = 0;   // the container runtime's timestamp, 0 for raw lines
  bool is_stderr = false;
};

class LineDecoder {
 public:
  static constexpr uint64_t kNothingHeld = UINT64_MAX;

  LineDecoder(TailFormat format, size_t max_line_bytes, MalformedLines malformed = MalformedLines::Raw)
      : format_(format), malformed_policy_(malformed), max_line_(max_line_bytes) {}
  LineDecoder(const LineDecoder&) = delete;
  LineDecoder& operator=(const LineDecoder&) = delete;

  // One physical line (newline removed) starting at `offset` in the file. `piece` is true for the second and
  // later pieces of a physical line too long to hold. Calls emit(const DecodedMessage&) for each message.
  template <class Emit>
  void feed(std::string_view line, uint64_t offset, bool piece, Emit&& emit) {
    if (format_ == TailFormat::Raw) {
      emitText(DecodedMessage{line, 0, false}, emit);
      return;
    }
    if (format_ == TailFormat::Auto) {
      if (piece || line.empty()) {
        emitText(DecodedMessage{line, 0, false}, emit);
        return;
      }
      format_ = detect(line);
      if (format_ == TailFormat::Raw) {
        emitText(DecodedMessage{line, 0, false}, emit);
        return;
      }
    }
    if (format_ == TailFormat::Docker) {
      DockerLine d;
      if (piece || !docker_.parse(line, d)) {
        malformed(line, offset, piece, emit);
        return;
      }
      part(d.log, d.time_us, d.is_stderr, !d.complete, offset, emit);
      return;
    }
    CriLine c;
    if (piece || !parseCriLine(line, c, &times_)) {
      malformed(line, offset, piece, emit);
      return;
    }
    part(c.message, c.time_us, c.is_stderr, c.partial, offset, emit);
  }

  // Sends what is held (parts still waiting for their end): the partial_flush timeout, or the file ended.
  template <class Emit>
  void flush(Emit&& emit) {
    for (int first = 0; first < 2; ++first) {
      // The older of the two streams' messages goes first.
      Assembly* a = &parts_[0];
      if (!parts_[0].active || (parts_[1].active && parts_[1].from < parts_[0].from)) a = &parts_[1];
      if (!a->active) break;
      emitText(DecodedMessage{a->bytes.view(), a->event_us, a == &parts_[1]}, emit, a->split);
      a->clear();
    }
  }

  // The offset of the first line whose bytes are held, kNothingHeld when none.
  uint64_t heldFrom() const {
    uint64_t from = kNothingHeld;
    for (const Assembly& a : parts_) {
      if (a.active && a.from < from) from = a.from;
    }
    return from;
  }
  bool holding() const { return parts_[0].active || parts_[1].active; }

  TailFormat format() const { return format_; }
  // Physical lines that did not decode (a line cut into pieces counts once), of which dropped.
  uint64_t malformedLines() const { return malformed_; }
  uint64_t droppedLines() const { return dropped_; }
  // Where the first of them starts in the file (kNothingHeld: none yet).
  uint64_t firstMalformedOffset() const { return first_malformed_; }
  MalformedLines malformedPolicy() const { return malformed_policy_; }
  uint64_t splitLines() const { return split_; }

 private:
  struct Assembly {
    ByteBuffer bytes;
    uint64_t from = kNothingHeld;
    int64_t event_us = 0;
    bool active = false;
    bool split = false;   // pieces of it went out already (counted once)
    void clear() {
      bytes.clear();
      bytes.shrinkTo(4096);
      from = kNothingHeld;
      active = false;
      split = false;
    }
  };

  TailFormat detect(std::string_view line);

  template <class Emit>
  void part(std::string_view text, int64_t event_us, bool is_stderr, bool partial, uint64_t offset, Emit& emit) {
    Assembly& a = parts_[is_stderr ? 1 : 0];
    if (!a.active) {
      if (!partial) {
        emitText(DecodedMessage{text, event_us, is_stderr}, emit);  // the usual case: no copy
        return;
      }
      a.active = true;
      a.from = offset;
      a.event_us = event_us;  // a joined line carries the time of its first part
    }
    a.bytes.append(text);
    if (!partial) {
      emitText(DecodedMessage{a.bytes.view(), a.event_us, is_stderr}, emit, a.split);
      a.clear();
      return;
    }
    // Too long to ever fit: send what is certain to be a piece now, keep the rest (memory stays bounded).
    if (a.bytes.size() > max_line_) {
      if (!a.split) ++split_;
      size_t sent = 0;
      std::string_view all = a.bytes.view();
      while (all.size() - sent > max_line_) {
        size_t cut = cutPoint(all.substr(sent), max_line_);
        emit(DecodedMessage{all.substr(sent, cut), a.event_us, is_stderr});
        sent += cut;
      }
      a.bytes.consume(sent);
      a.split = true;
    }
  }

  template <class Emit>
  void malformed(std::string_view line, uint64_t offset, bool piece, Emit& emit) {
    if (!piece) {
      ++malformed_;
      if (first_malformed_ == kNothingHeld) first_malformed_ = offset;
      if (malformed_policy_ == MalformedLines::Drop) ++dropped_;
    }
    if (malformed_policy_ == MalformedLines::Drop) return;
    emitText(DecodedMessage{line, 0, false}, emit);
  }

  template <class Emit>
  void emitText(const DecodedMessage& m, Emit& emit, bool counted = false) {
    if (m.text.size() <= max_line_) {
      emit(m);
      return;
    }
    if (!counted) ++split_;
    std::string_view rest = m.text;
    while (rest.size() > max_line_) {
      size_t cut = cutPoint(rest, max_line_);
      emit(DecodedMessage{rest.substr(0, cut), m.event_us, m.is_stderr});
      rest.remove_prefix(cut);
    }
    emit(DecodedMessage{rest, m.event_us, m.is_stderr});
  }

  static size_t cutPoint(std::string_view s, size_t max) { return LineSplitter::cutPoint(s, max); }

  TailFormat format_;
  MalformedLines malformed_policy_;
  size_t max_line_;
  DockerJsonParser docker_;
  EventTimeParser times_;
  Assembly parts_[2];   // stdout, stderr
  uint64_t malformed_ = 0;
  uint64_t dropped_ = 0;
  uint64_t first_malformed_ = kNothingHeld;
  uint64_t split_ = 0;
};

}  // namespace sluice::plugins::tail
