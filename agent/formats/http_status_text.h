#pragma once
#include <string_view>

namespace sluice {

// The reason phrase of an HTTP status (IANA registry, plus nginx's 499), else its class ("Client Error").
std::string_view statusText(int status);

}  // namespace sluice
