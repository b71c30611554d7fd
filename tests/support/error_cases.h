#pragma once
// Table tests of validators: each input with the error it must cause, or none.
#include <catch2/catch.hpp>

#include <initializer_list>
#include <string>

namespace sluice {

struct ErrorCase {
  std::string input;
  std::string says;   // a part of the error message; "" when the input must be accepted without any
};

// Checks every case against `errorsOf(input) -> std::string` (the errors joined, "" when there are none).
template <class ErrorsOf>
void checkErrorCases(ErrorsOf&& errorsOf, std::initializer_list<ErrorCase> cases) {
  for (const ErrorCase& c : cases) {
    INFO("input: " << c.input);
    const std::string errors = errorsOf(c.input);
    if (c.says.empty()) {
      CHECK(errors == "");
    } else {
      CHECK(errors.find(c.says) != std::string::npos);
    }
  }
}

}  // namespace sluice
