// House rules that can be read off the source: a lambda handed to libuv is noexcept (an exception must never
// unwind through the loop), and no uv request is allocated, held or released by hand (agent/loop/uv_request.h owns
// them). Checked in the folders that follow them; a folder joins the list once it does.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

const std::vector<std::string> kFolders = {"agent/net",   "agent/loop",     "agent/sink",   "agent/sources",
                                           "agent/admin", "plugins/syslog", "plugins/file", "plugins/tail",
                                           "plugins/kafka"};
// The archive's jobs move to the job runner with another change.
const std::vector<std::string> kExempt = {"agent/admin/archive.h", "agent/admin/archive.cc"};

// The text with comments and string and character literals blanked (newlines kept, so offsets keep their line).
std::string codeOnly(const std::string& text) {
  std::string out = text;
  size_t i = 0;
  auto blank = [&](size_t from, size_t to) {
    for (size_t k = from; k < to && k < out.size(); ++k) {
      if (out[k] != '\n') out[k] = ' ';
    }
  };
  while (i < text.size()) {
    if (text.compare(i, 2, "//") == 0) {
      size_t end = text.find('\n', i);
      end = end == std::string::npos ? text.size() : end;
      blank(i, end);
      i = end;
    } else if (text.compare(i, 2, "/*") == 0) {
      size_t end = text.find("*/", i + 2);
      end = end == std::string::npos ? text.size() : end + 2;
      blank(i, end);
      i = end;
    } else if (text[i] == '"' || text[i] == '\'') {
      char quote = text[i];
      size_t j = i + 1;
      while (j < text.size() && text[j] != quote) j += text[j] == '\\' ? 2 : 1;
      blank(i + 1, j);
      i = j + 1;
    } else {
      ++i;
    }
  }
  return out;
}

// The index just past the bracket that closes the one at `open` ('(' or '['), or npos.
size_t closing(const std::string& code, size_t open) {
  char o = code[open];
  char c = o == '(' ? ')' : ']';
  int depth = 0;
  for (size_t i = open; i < code.size(); ++i) {
    if (code[i] == o) ++depth;
    if (code[i] == c && --depth == 0) return i + 1;
  }
  return std::string::npos;
}

int lineAt(const std::string& code, size_t pos) {
  return 1 + static_cast<int>(std::count(code.begin(), code.begin() + static_cast<std::ptrdiff_t>(pos), '\n'));
}

// "name:line: ..." for every lambda in the arguments of a uv_* call that is not noexcept, every `new uv_…`, every
// request held by value (`uv_fs_t req;`: one that UvRequest does not own) and every release of a request's memory
// by hand (uv_fs_req_cleanup, uv_freeaddrinfo) outside UvRequest.
std::vector<std::string> houseRuleViolations(const std::string& name, const std::string& text) {
  std::vector<std::string> out;
  const std::string code = codeOnly(text);
  static const std::regex kCall(R"(\buv_[a-z0-9_]+\s*\()");
  for (auto it = std::sregex_iterator(code.begin(), code.end(), kCall); it != std::sregex_iterator(); ++it) {
    size_t open = static_cast<size_t>(it->position() + it->length() - 1);
    size_t end = closing(code, open);
    if (end == std::string::npos) continue;
    for (size_t i = open + 1; i < end; ++i) {
      if (code[i] != '[') continue;
      size_t before = code.find_last_not_of(" \t\n", i - 1);
      if (before == std::string::npos || (code[before] != '(' && code[before] != ',')) continue;  // not a lambda
      size_t params = code.find_first_not_of(" \t\n", closing(code, i));
      if (params == std::string::npos || code[params] != '(') continue;
      size_t body = code.find('{', closing(code, params));
      if (code.substr(params, body - params).find("noexcept") == std::string::npos) {
        out.push_back(name + ":" + std::to_string(lineAt(code, i)) + ": a lambda handed to " + it->str() +
                      "...) is not noexcept");
      }
    }
  }
  static const std::regex kNew(R"(\bnew\s+uv_[a-z0-9_]+)");
  for (auto it = std::sregex_iterator(code.begin(), code.end(), kNew); it != std::sregex_iterator(); ++it) {
    out.push_back(name + ":" + std::to_string(lineAt(code, static_cast<size_t>(it->position()))) + ": '" +
                  it->str() + "': a uv request is owned by UvRequest (agent/loop/uv_request.h)");
  }
  static const std::regex kByValue(
      R"(\buv_(write|connect|shutdown|getaddrinfo|getnameinfo|fs|udp_send|random)_t\s+[A-Za-z_]\w*\s*[;{=])");
  for (auto it = std::sregex_iterator(code.begin(), code.end(), kByValue); it != std::sregex_iterator(); ++it) {
    out.push_back(name + ":" + std::to_string(lineAt(code, static_cast<size_t>(it->position()))) + ": '" +
                  it->str() + "': a uv request is owned by UvRequest (agent/loop/uv_request.h)");
  }
  if (name == "agent/loop/uv_request.h") return out;
  static const std::regex kRelease(R"(\b(uv_fs_req_cleanup|uv_freeaddrinfo)\s*\()");
  for (auto it = std::sregex_iterator(code.begin(), code.end(), kRelease); it != std::sregex_iterator(); ++it) {
    out.push_back(name + ":" + std::to_string(lineAt(code, static_cast<size_t>(it->position()))) + ": '" +
                  it->str(1) + "' by hand: UvRequest releases what libuv allocated for a request");
  }
  return out;
}

}  // namespace

TEST_CASE("house rules: the check finds a lambda handed to libuv that may throw, and a request made by hand",
          "[house_rules]") {
  const std::string bad =
      "void f(uv_handle_t* h) {\n"
      "  uv_close(h, [](uv_handle_t* c) { delete c; });\n"
      "  auto* r = new uv_write_t;\n"
      "}\n"
      "struct Read { uv_fs_t req; };\n"
      "void g(uv_fs_t* r) { uv_fs_req_cleanup(r); }\n";
  auto found = houseRuleViolations("x.cc", bad);
  REQUIRE(found.size() == 4);
  CHECK(found[0] == "x.cc:2: a lambda handed to uv_close(...) is not noexcept");
  CHECK(found[1] == "x.cc:3: 'new uv_write_t': a uv request is owned by UvRequest (agent/loop/uv_request.h)");
  CHECK(found[2] == "x.cc:5: 'uv_fs_t req;': a uv request is owned by UvRequest (agent/loop/uv_request.h)");
  CHECK(found[3] == "x.cc:6: 'uv_fs_req_cleanup' by hand: UvRequest releases what libuv allocated for a request");

  const std::string good =
      "void f(uv_handle_t* h) {\n"
      "  // uv_close(h, [](uv_handle_t* c) { delete c; });\n"
      "  uv_close(h, [](uv_handle_t* c) noexcept { free(c); });\n"
      "  timer.init(this, [&](uv_timer_t* t) { return uv_timer_init(loop, t); });\n"
      "  log(\"uv_close(h, [](x) {})\");\n"
      "}\n"
      "using ReadReq = UvRequest<uv_fs_t, ReadData>;\n"
      "void onRead(uv_fs_t* req) noexcept { auto r = ReadReq::adopt(req); }\n";
  CHECK(houseRuleViolations("y.cc", good).empty());
}

TEST_CASE("house rules: lambdas handed to libuv are noexcept and uv requests have one owner", "[house_rules]") {
  const fs::path root = SLUICE_SOURCE_DIR;
  std::vector<std::string> found;
  for (const auto& folder : kFolders) {
    REQUIRE(fs::exists(root / folder));
    for (const auto& e : fs::recursive_directory_iterator(root / folder)) {
      std::string ext = e.path().extension().string();
      if (!e.is_regular_file() || (ext != ".h" && ext != ".cc")) continue;
      std::string rel = fs::relative(e.path(), root).string();
      if (std::find(kExempt.begin(), kExempt.end(), rel) != kExempt.end()) continue;
      std::ifstream in(e.path());
      std::stringstream text;
      text << in.rdbuf();
      for (auto& v : houseRuleViolations(rel, text.str())) found.push_back(std::move(v));
    }
  }
  std::string report;
  for (const auto& v : found) report += v + "\n";
  INFO(report);
  CHECK(found.empty());
}
