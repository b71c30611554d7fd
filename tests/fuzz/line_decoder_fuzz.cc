// libFuzzer target: the tail source's LineDecoder, which turns a file's physical lines into messages (raw, docker
// json-file, CRI, auto-detected) and joins partial lines per stream. The input is a file's bytes; each line is fed
// with its offset, lines longer than the reader's buffer in pieces. It must never crash, read out of bounds or
// hang, and:
// - no message is longer than max_line_bytes;
// - in raw format every byte of every line comes out, in order;
// - what the decoder holds starts at a line it was given, and a flush leaves nothing held.
#include <string>
#include <string_view>
#include <vector>

#include "plugins/tail/line_decoder.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

constexpr size_t kPieceBytes = 300;  // the reader hands a longer physical line over in pieces of this size

void decode(std::string_view file, sluice::plugins::tail::TailFormat format, size_t max_line) {
  sluice::plugins::tail::LineDecoder decoder(format, max_line);
  std::string raw_out, raw_in;
  std::vector<uint64_t> offsets;
  auto emit = [&](const sluice::plugins::tail::DecodedMessage& m) {
    FUZZ_CHECK(m.text.size() <= max_line);
    if (format == sluice::plugins::tail::TailFormat::Raw) raw_out.append(m.text);
  };
  uint64_t offset = 0;
  std::string_view rest = file;
  while (!rest.empty()) {
    size_t nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    for (size_t at = 0; at == 0 || at < line.size(); at += kPieceBytes) {
      std::string_view piece = line.substr(at, kPieceBytes);
      offsets.push_back(offset + at);
      decoder.feed(piece, offset + at, at > 0, emit);
      raw_in.append(piece);
      uint64_t held = decoder.heldFrom();
      FUZZ_CHECK(decoder.holding() == (held != sluice::plugins::tail::LineDecoder::kNothingHeld));
      if (decoder.holding()) {
        bool known = false;
        for (uint64_t o : offsets) known = known || o == held;
        FUZZ_CHECK(known && held <= offset + at);
      }
    }
    if (nl == std::string_view::npos) break;
    offset += nl + 1;
    rest.remove_prefix(nl + 1);
  }
  decoder.flush(emit);
  FUZZ_CHECK(!decoder.holding());
  FUZZ_CHECK(decoder.heldFrom() == sluice::plugins::tail::LineDecoder::kNothingHeld);
  if (format == sluice::plugins::tail::TailFormat::Raw) FUZZ_CHECK(raw_out == raw_in);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view file = sluice::fuzz::text(data, size);
  // A small limit exercises splitting and the bounded joins; the input's hash picks it, so files stay text.
  size_t max_line = 16 + sluice::fuzz::inputHash(file) % 200;
  for (auto format : {sluice::plugins::tail::TailFormat::Auto, sluice::plugins::tail::TailFormat::Raw, sluice::plugins::tail::TailFormat::Docker,
                      sluice::plugins::tail::TailFormat::Cri}) {
    decode(file, format, max_line);
  }
  return 0;
}
