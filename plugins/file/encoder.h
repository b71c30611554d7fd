#pragma once
#include <string_view>

#include "agent/core/bytes.h"

namespace sluice::plugins::file {

// The frames of a batch, one per line: "LEN <PRI>1 ... MSG\n". Pure: bytes in, bytes out.
void encodeLines(std::string_view frames, ByteBuffer& out);

}  // namespace sluice::plugins::file
