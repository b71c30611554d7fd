#pragma once
// Whole files in tests: read one, write one, append to one, split its text into lines, write all of a buffer to a
// descriptor. Bytes go as they are (no newline translation).
#include <string>
#include <string_view>
#include <vector>

#include "agent/core/text_split.h"  // splitLines, for the tests that include only this

namespace sluice {

// The file's bytes; "" when it is missing or unreadable (a test compares it with what it expects).
std::string readFile(const std::string& path);
// Replaces the file's contents with `bytes` and returns `path`. A file that cannot be written stops the test
// loudly (an exception: the fixture is broken, not the code under test).
std::string writeFile(const std::string& path, std::string_view bytes);
// Appends `bytes` (creating the file) and returns `path`; fails as writeFile does.
std::string appendFile(const std::string& path, std::string_view bytes);
// Writes all of `data` to `fd` (a pipe, a socket), resuming after short writes and EINTR; false on another error.
bool writeAll(int fd, std::string_view data);
// A file of the source tree, by its path from the top ("README.md", "systemd/sluice.service").
std::string readSource(const std::string& relative_path);
// The VERSION of CMakeLists.txt's project(): what `sluice --version`, the User-Agent and the package must say.
std::string cmakeProjectVersion();

}  // namespace sluice
