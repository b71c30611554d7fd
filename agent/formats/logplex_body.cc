#include "agent/formats/logplex_body.h"

#include "agent/formats/frame.h"

namespace sluice {

namespace {

// Calls take(message, header) for every frame, in order, up to the first problem.
template <class Take>
Status parseBody(std::string_view body, size_t max_messages, Take take) {
  if (body.empty()) return Error{"empty body: expected octet-counted RFC 5424 frames"};
  size_t offset = 0;
  size_t index = 0;
  while (offset < body.size()) {
    ++index;
    auto where = [&] { return "frame " + std::to_string(index) + " at byte " + std::to_string(offset) + ": "; };
    if (index > max_messages) return Error{where() + "more than " + std::to_string(max_messages) + " frames"};
    std::string_view msg;
    size_t used = 0;
    const char* error = "";
    FrameStatus st = parseFrame(body.substr(offset), &msg, &used, &error);
    if (st == FrameStatus::NeedMore) {
      return Error{where() + "the body ends inside the frame (truncated, or a length prefix larger than the frame)"};
    }
    if (st == FrameStatus::Malformed) return Error{where() + error};
    SyslogHeader header;
    if (!parseSyslogHeader(msg, &header, &error)) {
      return Error{where() + "not an RFC 5424 message (" + error + "); is the length prefix right?"};
    }
    take(msg, header);
    offset += used;
  }
  return {};
}

}  // namespace

Status parseLogplexBody(std::string_view body, std::vector<std::string_view>* messages, size_t max_messages) {
  return parseBody(body, max_messages, [messages](std::string_view msg, const SyslogHeader&) { messages->push_back(msg); });
}

Status parseLogplexBody(std::string_view body, std::vector<LogplexMessage>* messages, size_t max_messages) {
  return parseBody(body, max_messages,
                   [messages](std::string_view msg, const SyslogHeader& h) { messages->push_back({msg, h}); });
}

}  // namespace sluice
