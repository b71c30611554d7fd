#include "agent/pipeline/rfc5424_framer.h"

#include <cstring>

#include "agent/core/placeholders.h"

namespace sluice {

std::string sanitizeHeaderField(std::string_view value, size_t max) {
  if (value.empty()) return "-";
  std::string out(value.substr(0, max));
  for (char& c : out) {
    auto u = static_cast<unsigned char>(c);
    if (u < 33 || u > 126) c = '_';
  }
  return out;
}

std::string expandTemplate(std::string_view text, const TemplateValues& values) {
  return expandPlaceholders(text, [&](std::string_view name) -> std::optional<std::string_view> {
    if (name == "source") return values.source;
    if (name == "token") return values.token;
    if (name == "hostname") return values.hostname;
    if (name == "app_name") return values.app_name;
    return std::nullopt;
  });
}

Rfc5424Framer::Rfc5424Framer(const MessageFields& fields, std::string hostname, std::string token)
    : fields_(fields), hostname_(std::move(hostname)), token_(std::move(token)) {
  for (int sev = 0; sev < 8; ++sev) {
    pri_[sev] = "<" + std::to_string(fields_.facility * 8 + sev) + ">1 ";
  }
}

const std::string& Rfc5424Framer::tailFor(const SourceInfo* source) {
  uint32_t id = source != nullptr ? source->id : UINT32_MAX - 1;
  if (id == last_id_) return *last_tail_;
  auto it = tails_.find(id);
  if (it == tails_.end()) {
    TemplateValues values{.source = source != nullptr ? source->instanceOrName() : std::string_view("sluice"),
                          .token = token_,
                          .hostname = hostname_,
                          .app_name = source != nullptr ? std::string_view(source->app_name) : std::string_view()};
    auto field = [&](const std::string& tmpl, std::string_view fallback, size_t max) {
      std::string value = tmpl.empty() ? std::string(fallback) : expandTemplate(tmpl, values);
      return sanitizeHeaderField(value, max);
    };
    std::string_view app_name = !values.app_name.empty() ? values.app_name
                                : !token_.empty()        ? std::string_view(token_)
                                                         : std::string_view("sluice");
    std::string tail = " ";
    tail += field(fields_.hostname, hostname_, kMaxHostname);
    tail += ' ';
    tail += field(fields_.app_name, app_name, kMaxAppName);
    tail += ' ';
    tail += field(fields_.procid, values.source, kMaxProcId);
    tail += ' ';
    tail += field(fields_.msgid, "-", kMaxMsgId);
    tail += " - ";
    it = tails_.emplace(id, std::move(tail)).first;
  }
  last_id_ = id;
  last_tail_ = &it->second;
  return it->second;
}

size_t Rfc5424Framer::append(const Record& record, ByteBuffer& out) {
  if (record.preformatted) {
    size_t len = record.message.size();
    size_t digits = decimalDigits(len);
    char* p = out.prepare(digits + 1 + len);
    writeDecimal(p, len, digits);
    p[digits] = ' ';
    std::memcpy(p + digits + 1, record.message.data(), len);
    out.commit(digits + 1 + len);
    return digits + 1 + len;
  }
  const std::string& pri = pri_[static_cast<int>(record.severity) & 7];
  const std::string& tail = tailFor(record.source);
  size_t len = pri.size() + TimestampFormatter::kLength + tail.size() + record.message.size();
  size_t digits = decimalDigits(len);
  size_t total = digits + 1 + len;
  char* p = out.prepare(total);
  writeDecimal(p, len, digits);
  p += digits;
  *p++ = ' ';
  std::memcpy(p, pri.data(), pri.size());
  p += pri.size();
  timestamps_.format(record.event_us != 0 ? record.event_us : record.received_us, p);
  p += TimestampFormatter::kLength;
  std::memcpy(p, tail.data(), tail.size());
  p += tail.size();
  if (!record.message.empty()) std::memcpy(p, record.message.data(), record.message.size());
  out.commit(total);
  return total;
}

}  // namespace sluice
