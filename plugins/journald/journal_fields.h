#pragma once
// What a journal entry's fields become, as pure functions over the bytes sd_journal_get_data returns
// ("FIELD=value", the value any bytes: MESSAGE may be binary): unit-tested and fuzzed without a journal.
#include <optional>
#include <string_view>

#include "agent/core/record.h"
#include "agent/pipeline/line_splitter.h"

namespace sluice::plugins::journald {

// The value of `field` in `data` ("FIELD=value"); nullopt when `data` is not that field's.
inline std::optional<std::string_view> fieldValue(std::string_view data, std::string_view field) {
  if (data.size() <= field.size() || data[field.size()] != '=' || data.substr(0, field.size()) != field) {
    return std::nullopt;
  }
  return data.substr(field.size() + 1);
}

// PRIORITY ("0" emerg … "7" debug, syslog's numbers) as a severity; `fallback` for anything else.
inline Severity severityFromPriority(std::string_view value, Severity fallback) {
  if (value.size() != 1 || value[0] < '0' || value[0] > '7') return fallback;
  return static_cast<Severity>(value[0] - '0');
}

// MESSAGE as a message: without the one trailing newline some writers leave (any other byte is kept).
inline std::string_view messageText(std::string_view value) {
  if (!value.empty() && value.back() == '\n') value.remove_suffix(1);
  return value;
}

// Calls emit(piece) for `text` cut into pieces of at most `max` bytes (at a UTF-8 character boundary when one is
// near, as lines are), or once for the whole text when it fits. Returns the number of pieces.
template <class Emit>
size_t forEachPiece(std::string_view text, size_t max, Emit&& emit) {
  size_t pieces = 1;
  while (max > 0 && text.size() > max) {
    const size_t cut = LineSplitter::cutPoint(text, max);
    emit(text.substr(0, cut));
    text.remove_prefix(cut);
    ++pieces;
  }
  emit(text);
  return pieces;
}

}  // namespace sluice::plugins::journald
