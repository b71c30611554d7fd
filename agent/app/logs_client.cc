#include "agent/app/logs_command.h"

#include <rapidjson/document.h>

#include <charconv>
#include <iostream>

#include "agent/formats/access_line.h"
#include "agent/net/http.h"

// The pieces `sluice logs` shares between reading /logs and reading a log session: the API's address, and
// Server-Sent Events turned into the lines it prints.
namespace sluice {

Result<ApiEndpoint> parseApiAddress(std::string addr) {
  if (addr.rfind("http://", 0) == 0) addr = addr.substr(7);
  if (addr.rfind("https://", 0) == 0) return Error{"--api: the admin API speaks plain http (it listens on localhost)"};
  while (!addr.empty() && addr.back() == '/') addr.pop_back();
  ApiEndpoint e;
  size_t colon = addr.rfind(':');
  if (colon == std::string::npos) {
    e.host = addr;
  } else {
    e.host = addr.substr(0, colon);
    unsigned port = 0;
    auto [end, ec] = std::from_chars(addr.data() + colon + 1, addr.data() + addr.size(), port);
    if (ec != std::errc() || end != addr.data() + addr.size() || port == 0 || port > 65535) {
      return Error{"--api: bad port in '" + addr + "'"};
    }
    e.port = static_cast<uint16_t>(port);
  }
  if (e.host.empty()) e.host = "127.0.0.1";
  if (e.host.size() > 2 && e.host.front() == '[' && e.host.back() == ']') e.host = e.host.substr(1, e.host.size() - 2);
  return e;
}

std::vector<HttpHeader> authHeaders(const LogsOptions& o) {
  std::vector<HttpHeader> h{{"User-Agent", "sluice/" SLUICE_VERSION " (logs)"}};
  if (!o.token.empty()) h.push_back({"Authorization", "Bearer " + o.token});
  return h;
}

std::string renderSseEvents(std::string& sse, const std::string& format, uint64_t* last_id) {
  size_t pos;
  std::string out;
  while ((pos = sse.find("\n\n")) != std::string::npos) {
    std::string event = sse.substr(0, pos);
    sse.erase(0, pos + 2);
    std::string name, data;
    uint64_t id = 0;
    size_t start = 0;
    while (start <= event.size()) {
      size_t nl = event.find('\n', start);
      if (nl == std::string::npos) nl = event.size();
      std::string_view line(event.data() + start, nl - start);
      if (line.rfind("event: ", 0) == 0) name = line.substr(7);
      if (line.rfind("data: ", 0) == 0) data = line.substr(6);
      if (line.rfind("id: ", 0) == 0) std::from_chars(line.data() + 4, line.data() + line.size(), id);
      start = nl + 1;
    }
    if (id > 0) *last_id = id;
    if (name == "log") {
      if (format == "json") {
        out += data + "\n";
      } else {
        rapidjson::Document d;
        d.Parse(data.c_str(), data.size());
        if (!d.HasParseError() && d.IsObject() && d.HasMember("log") && d["log"].IsString()) {
          std::string_view log(d["log"].GetString(), d["log"].GetStringLength());
          if (format == "raw" || format == "clf") {
            // "TIMESTAMP [SOURCE] MESSAGE" or "TIMESTAMP [SOURCE FILE] MESSAGE" → MESSAGE
            size_t close = log.find("] ");
            if (close != std::string_view::npos) log.remove_prefix(close + 2);
          }
          if (format == "clf") {
            // Access-log lines only, as the server's format=clf writes them; the others are left out.
            AccessFields f;
            if (parseAccessLine(log, &f)) {
              formatAccessLine(f, out);
              out.push_back('\n');
            }
          } else {
            out.append(log).push_back('\n');
          }
        }
      }
    } else if (name == "dropped") {
      std::cerr << "sluice logs: lines were dropped (this client was too slow): " << data << "\n";
    }
  }
  return out;
}

}  // namespace sluice
