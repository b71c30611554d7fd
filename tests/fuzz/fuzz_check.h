#pragma once
// What every fuzz target uses: the input as text, an invariant check that names itself when it fails (libFuzzer
// then saves the input as a crash), and a cheap deterministic choice drawn from the input's bytes, so that the
// corpus files stay plain text (a request, a line) instead of carrying control bytes.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#define FUZZ_CHECK(cond)                                                                        \
  do {                                                                                          \
    if (!(cond)) {                                                                              \
      std::fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #cond);        \
      std::abort();                                                                             \
    }                                                                                           \
  } while (0)

namespace sluice::fuzz {

inline std::string_view text(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// FNV-1a of the input: picks chunk sizes and modes reproducibly from the same bytes.
inline uint64_t inputHash(std::string_view in) {
  uint64_t h = 1469598103934665603ULL;
  for (char c : in) h = (h ^ static_cast<uint8_t>(c)) * 1099511628211ULL;
  return h;
}

// The size of the pieces an input arrives in, picked by its hash: 1 to 64 bytes, or all at once (one time in
// four). Where a read ends is where a parser loses track.
inline size_t pieceSize(uint64_t hash, size_t input_size) {
  return hash % 4 == 0 ? input_size + 1 : 1 + (hash >> 8) % 64;
}

// The variables the corpora of ${VAR} expansion use: a set one, an empty one, one whose value looks like a
// reference (not expanded again), and an unset one.
inline void setCorpusEnv() {
  setenv("SET", "value", 1);
  setenv("EMPTY", "", 1);
  setenv("REF", "${SET}", 1);
  unsetenv("UNSET");
}

// True when `part` lies inside `whole` (an empty view anywhere within or at the end counts).
inline bool inside(std::string_view part, std::string_view whole) {
  if (part.empty()) return true;
  return part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size();
}

}  // namespace sluice::fuzz
