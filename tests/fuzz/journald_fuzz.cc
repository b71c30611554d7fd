// libFuzzer target: what a journald source parses from outside. An entry's field bytes as sd_journal_get_data
// returns them (fieldValue, the PRIORITY → severity mapping, MESSAGE's trailing newline, long messages cut in
// pieces), the config's matches and units (matchProblem, unitName), and the cursor file read back at start
// (scanCursorFile, decodeCursorSlot). Nothing may crash or read out of bounds; outputs lie inside the input; pieces
// tile the message within the size; a slot that decodes encodes to a slot that decodes the same.
#include <string>
#include <string_view>

#include "plugins/journald/cursor_file.h"
#include "plugins/journald/journal_fields.h"
#include "plugins/journald/journald_options.h"
#include "tests/fuzz/fuzz_check.h"

using namespace sluice;
using namespace sluice::plugins::journald;

namespace {

void checkFields(std::string_view in) {
  for (std::string_view field : {"MESSAGE", "PRIORITY", "SYSLOG_IDENTIFIER", "_COMM"}) {
    std::optional<std::string_view> v = fieldValue(in, field);
    if (!v) continue;
    FUZZ_CHECK(fuzz::inside(*v, in));
    FUZZ_CHECK(v->size() + field.size() + 1 == in.size() && in.substr(0, field.size()) == field);
    std::string_view text = messageText(*v);
    FUZZ_CHECK(fuzz::inside(text, *v) && text.size() + 1 >= v->size());
    const Severity s = severityFromPriority(*v, Severity::Notice);
    FUZZ_CHECK(static_cast<int>(s) <= 7);
    if (s != Severity::Notice) FUZZ_CHECK(v->size() == 1);
  }
}

void checkPieces(std::string_view in) {
  const size_t max = 1 + fuzz::inputHash(in) % 64;
  std::string joined;
  forEachPiece(in, max, [&](std::string_view piece) {
    FUZZ_CHECK(fuzz::inside(piece, in) && piece.size() <= max);
    joined.append(piece);
  });
  FUZZ_CHECK(joined == in);
}

void checkConfigText(std::string_view in) {
  if (matchProblem(in).empty()) {
    const size_t eq = in.find('=');
    FUZZ_CHECK(eq != std::string_view::npos && eq > 0 && eq <= 64);
    for (char c : in.substr(0, eq)) FUZZ_CHECK((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_');
  }
  if (Result<std::string> unit = unitName(in)) {
    FUZZ_CHECK(unit->substr(0, in.size()) == in && unit->find('.') != std::string::npos);
  }
}

void checkCursorFile(std::string_view in) {
  CursorScan scan = scanCursorFile(in);
  FUZZ_CHECK(scan.valid + scan.torn <= 2);
  FUZZ_CHECK(scan.newest.has_value() == (scan.valid > 0));
  for (size_t i = 0; i + kCursorSlotBytes <= in.size() && i < kCursorFileBytes; i += kCursorSlotBytes) {
    std::string_view slot = in.substr(i, kCursorSlotBytes);
    std::optional<CursorSlot> s = decodeCursorSlot(slot);
    if (!s) continue;
    FUZZ_CHECK(s->generation > 0 && !s->cursor.empty() && s->cursor.size() <= kMaxCursorBytes);
    char again[kCursorSlotBytes];
    FUZZ_CHECK(encodeCursorSlot(*s, again));
    std::optional<CursorSlot> back = decodeCursorSlot(std::string_view(again, sizeof again));
    FUZZ_CHECK(back && back->generation == s->generation && back->cursor == s->cursor);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in = fuzz::text(data, size);
  checkFields(in);
  checkPieces(in);
  checkConfigText(in);
  checkCursorFile(in);
  return 0;
}
