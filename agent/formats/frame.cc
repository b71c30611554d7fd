#include "agent/formats/frame.h"

namespace sluice {

FrameStatus parseFrame(std::string_view in, std::string_view* message, size_t* consumed, const char** error) {
  size_t i = 0;
  uint64_t len = 0;
  while (i < in.size() && in[i] >= '0' && in[i] <= '9') {
    if (i == 10) {
      *error = "frame length has more than 10 digits";
      return FrameStatus::Malformed;
    }
    len = len * 10 + static_cast<uint64_t>(in[i] - '0');
    ++i;
  }
  if (i == in.size()) return FrameStatus::NeedMore;  // a length still arriving (or nothing at all)
  if (i == 0) {
    *error = "frame does not start with a decimal length";
    return FrameStatus::Malformed;
  }
  if (in[0] == '0') {
    *error = "frame length has a leading zero";
    return FrameStatus::Malformed;
  }
  if (in[i] != ' ') {
    *error = "frame length is not followed by a space";
    return FrameStatus::Malformed;
  }
  if (len > kMaxFrameMessage) {
    *error = "frame length is larger than 64 MiB";
    return FrameStatus::Malformed;
  }
  ++i;
  if (in.size() - i < len) return FrameStatus::NeedMore;
  *message = in.substr(i, len);
  *consumed = i + len;
  return FrameStatus::Ok;
}

}  // namespace sluice
