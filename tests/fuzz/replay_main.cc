// Runs a fuzz target over files (a corpus, regression inputs, or a crash libFuzzer saved) without libFuzzer: CI
// builds and runs every target this way with the sanitizers of the normal test build. A folder that does not
// exist is skipped (a target without regression inputs has no regressions/ folder); no input at all fails.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) __attribute__((weak));

int main(int argc, char** argv) {
  if (LLVMFuzzerInitialize != nullptr) LLVMFuzzerInitialize(&argc, &argv);
  size_t runs = 0;
  for (int i = 1; i < argc; ++i) {
    std::error_code ec;
    if (!std::filesystem::exists(argv[i], ec)) {
      std::printf("%s: not there, skipped\n", argv[i]);
      continue;
    }
    std::vector<std::filesystem::path> files;
    if (std::filesystem::is_directory(argv[i])) {
      for (const auto& e : std::filesystem::directory_iterator(argv[i])) {
        if (e.is_regular_file() && e.path().filename().string()[0] != '.') files.push_back(e.path());
      }
      std::sort(files.begin(), files.end());
    } else {
      files.emplace_back(argv[i]);
    }
    for (const auto& f : files) {
      std::printf("%s\n", f.c_str());
      std::fflush(stdout);  // the last name printed is the input that failed
      std::ifstream in(f, std::ios::binary);
      std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(data.data()), data.size());
      // Every prefix too: truncation is where parsers go wrong. Each in its own buffer, so that reading past
      // the end is caught.
      for (size_t n = 0; n < data.size() && n < 4096; ++n) {
        std::vector<uint8_t> prefix(data.begin(), data.begin() + static_cast<std::ptrdiff_t>(n));
        LLVMFuzzerTestOneInput(prefix.data(), prefix.size());
      }
      ++runs;
    }
  }
  std::printf("replayed %zu inputs\n", runs);
  return runs > 0 ? 0 : 1;
}
