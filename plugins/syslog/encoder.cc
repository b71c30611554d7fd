#include "plugins/syslog/encoder.h"

#include <cstring>

#include "agent/formats/frame.h"
#include "agent/formats/syslog_header.h"

namespace sluice::plugins::syslog {
namespace {

char kNewline[] = "\n";
char kEscapedNewline[] = "\\n";

uv_buf_t buf(std::string_view s) { return uv_buf_init(const_cast<char*>(s.data()), static_cast<unsigned>(s.size())); }

void addBuf(std::vector<uv_buf_t>& out, std::string_view s) {
  if (!s.empty()) out.push_back(buf(s));
}

void escapeNewlines(std::string_view msg, std::vector<uv_buf_t>& out) {
  size_t start = 0;
  for (;;) {
    const void* nl = std::memchr(msg.data() + start, '\n', msg.size() - start);
    if (nl == nullptr) break;
    size_t at = static_cast<size_t>(static_cast<const char*>(nl) - msg.data());
    addBuf(out, msg.substr(start, at - start));
    out.push_back(uv_buf_init(kEscapedNewline, 2));
    start = at + 1;
  }
  addBuf(out, msg.substr(start));
}

void lfMessage(std::string_view msg, NewlineMode mode, std::vector<uv_buf_t>& out, EncodeCounts& counts) {
  if (std::memchr(msg.data(), '\n', msg.size()) == nullptr) {
    addBuf(out, msg);
    out.push_back(uv_buf_init(kNewline, 1));
    return;
  }
  SyslogHeader parts;
  const char* error = nullptr;
  if (mode == NewlineMode::Split && parseSyslogHeader(msg, &parts, &error)) {
    // Each non-empty line of the MSG becomes a message of its own, with the same header.
    std::string_view header = msg.substr(0, parts.msg_offset);
    std::string_view rest = parts.msg;
    bool any = false;
    while (!rest.empty()) {
      size_t nl = rest.find('\n');
      std::string_view piece = rest.substr(0, nl);
      rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
      if (piece.empty()) continue;
      addBuf(out, header);
      addBuf(out, piece);
      out.push_back(uv_buf_init(kNewline, 1));
      any = true;
    }
    if (!any) {
      addBuf(out, header);
      out.push_back(uv_buf_init(kNewline, 1));
    }
    ++counts.newline_splits;
    return;
  }
  escapeNewlines(msg, out);
  out.push_back(uv_buf_init(kNewline, 1));
  ++counts.newlines_escaped;
}

}  // namespace

size_t utf8Cut(std::string_view s, size_t max) {
  if (s.size() <= max) return s.size();
  size_t cut = max;
  // Back up over continuation bytes (10xxxxxx) to the start of the character, at most 3.
  for (size_t back = 0; back < 4 && cut > 0; ++back) {
    if ((static_cast<unsigned char>(s[cut]) & 0xC0) != 0x80) return cut;
    --cut;
  }
  return max;  // not UTF-8 here: any cut will do
}

void streamBuffers(std::string_view frames, Framing framing, NewlineMode newlines, std::vector<uv_buf_t>& out,
                   EncodeCounts& counts) {
  out.clear();
  if (framing == Framing::Octet) {
    addBuf(out, frames);
    return;
  }
  for (std::string_view msg : Frames(frames)) lfMessage(msg, newlines, out, counts);
}

void udpDatagrams(std::string_view frames, size_t max_datagram, Oversize oversize, std::vector<Datagram>& out,
                  EncodeCounts& counts) {
  out.clear();
  for (std::string_view msg : Frames(frames)) {
    Datagram d;
    if (msg.size() <= max_datagram) {
      d.parts[0] = buf(msg);
      d.count = 1;
      out.push_back(d);
      continue;
    }
    SyslogHeader parts;
    const char* error = nullptr;
    const bool has_header = parseSyslogHeader(msg, &parts, &error);
    std::string_view header = has_header ? msg.substr(0, parts.msg_offset) : std::string_view();
    std::string_view body = has_header ? parts.msg : msg;
    // A header that leaves less than 64 bytes per datagram would make a flood of them: truncate instead.
    if (oversize == Oversize::Truncate || header.size() + 64 > max_datagram || body.empty()) {
      d.parts[0] = buf(msg.substr(0, utf8Cut(msg, max_datagram)));
      d.count = 1;
      out.push_back(d);
      ++counts.truncated;
      continue;
    }
    const size_t room = max_datagram - header.size();
    while (!body.empty()) {
      size_t cut = utf8Cut(body, room);
      Datagram piece;
      piece.count = 0;
      if (!header.empty()) piece.parts[piece.count++] = buf(header);
      piece.parts[piece.count++] = buf(body.substr(0, cut));
      out.push_back(piece);
      body.remove_prefix(cut);
    }
    ++counts.datagram_splits;
  }
}

std::string joinBuffers(const std::vector<uv_buf_t>& bufs) {
  std::string out;
  for (const uv_buf_t& b : bufs) out.append(b.base, b.len);
  return out;
}

std::vector<std::string> datagramBytes(const std::vector<Datagram>& datagrams) {
  std::vector<std::string> out;
  for (const Datagram& d : datagrams) {
    std::string s;
    for (unsigned i = 0; i < d.count; ++i) s.append(d.parts[i].base, d.parts[i].len);
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace sluice::plugins::syslog
