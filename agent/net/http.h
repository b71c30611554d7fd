#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace sluice {

struct HttpHeader {
  std::string name;
  std::string value;
};

// Case-insensitive lookup; nullptr when absent.
const std::string* findHeader(const std::vector<HttpHeader>& headers, std::string_view name);

std::string_view httpStatusText(int status);

}  // namespace sluice
