// libFuzzer target: the spool's position files as recovery reads them: the ledger (text) and the ack-slot file
// (two fixed-size binary slots). Neither may crash or hang on any bytes; what they accept must survive a round
// trip (serialize/encode, then parse/decode gives the same), and a slot that decodes must say what it encodes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "agent/buffer/ack_cursor.h"
#include "agent/buffer/ledger.h"

namespace {

bool same(const sluice::AckState& a, const sluice::AckState& b) {
  return a.generation == b.generation && a.position == b.position && a.epoch == b.epoch && a.above == b.above;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);

  auto ledger = sluice::Ledger::parse(bytes);
  if (ledger.ok()) {
    if (ledger->id.size() != 16) std::abort();
    auto again = sluice::Ledger::parse(ledger->serialize());
    if (!again.ok() || again->id != ledger->id || again->epoch != ledger->epoch || again->acked != ledger->acked ||
        again->generation != ledger->generation) {
      std::abort();
    }
  }

  sluice::AckFileScan scan = sluice::scanAckFile(bytes);
  if (scan.valid + scan.torn > 2 || (scan.valid > 0) != scan.newest.has_value()) std::abort();
  if (scan.newest) {
    const sluice::AckState& s = *scan.newest;
    if (s.generation == 0 || !s.resolved(s.position)) std::abort();
    char slot[sluice::kAckSlotBytes];
    sluice::encodeAckSlot(s, slot);
    auto back = sluice::decodeAckSlot(std::string_view(slot, sizeof slot));
    if (!back || !same(*back, s)) std::abort();
    // The window: nothing beyond it is resolved, and what the bitmap marks is.
    if (s.position < UINT64_MAX - sluice::kAckWindow - 1 && s.resolved(s.position + sluice::kAckWindow + 1)) {
      std::abort();
    }
  }
  // Any single slot-sized piece either decodes to something that encodes back to the same bytes, or is refused.
  if (bytes.size() >= sluice::kAckSlotBytes) {
    auto one = sluice::decodeAckSlot(bytes.substr(0, sluice::kAckSlotBytes));
    if (one) {
      char slot[sluice::kAckSlotBytes];
      sluice::encodeAckSlot(*one, slot);
      auto back = sluice::decodeAckSlot(std::string_view(slot, sizeof slot));
      if (!back || !same(*back, *one)) std::abort();
    }
  }
  return 0;
}
