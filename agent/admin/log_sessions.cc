#include "agent/admin/log_sessions.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <algorithm>

#include "agent/core/clock.h"

namespace sluice {
namespace {

constexpr size_t kSecretBytes = 32;   // 256 bits: the brief asks for 128 at least
constexpr size_t kIdBytes = 6;

bool randomHex(size_t bytes, std::string* out) {
  unsigned char raw[kSecretBytes];
  if (bytes > sizeof raw || RAND_bytes(raw, static_cast<int>(bytes)) != 1) return false;
  static constexpr char kHex[] = "0123456789abcdef";
  out->clear();
  for (size_t i = 0; i < bytes; ++i) {
    out->push_back(kHex[raw[i] >> 4]);
    out->push_back(kHex[raw[i] & 15]);
  }
  OPENSSL_cleanse(raw, sizeof raw);
  return true;
}

}  // namespace

LogSessions::LogSessions(Loop& loop, LiveStreams& streams, Settings settings)
    : loop_(loop), streams_(streams), settings_(settings) {
  sweep_.init(this, [&](uv_timer_t* t) { return uv_timer_init(loop_.get(), t); });
  // Often enough that an expired session's memory goes soon after; expiry itself is checked on every lookup.
  const auto every = static_cast<uint64_t>(std::clamp<int64_t>(settings_.ttl.count() / 4, 50, 1000));
  uv_timer_start(sweep_.get(), &LogSessions::onSweep, every, every);
  uv_unref(sweep_.handle());  // sessions never keep the agent alive
}

LogSessions::~LogSessions() {
  for (auto& s : sessions_) OPENSSL_cleanse(s->secret.data(), s->secret.size());
}

std::variant<const LogSessions::Session*, LogSessions::CreateError> LogSessions::create(LogSessionRequest request,
                                                                                       LogFilter filter) {
  sweep();
  if (sessions_.size() >= settings_.max) return CreateError::Full;
  auto s = std::make_unique<Session>();
  bool unique_id = false;
  for (int attempt = 0; attempt < 4 && !unique_id; ++attempt) {
    if (!randomHex(kIdBytes, &s->id)) return CreateError::NoRandomness;
    unique_id = std::none_of(sessions_.begin(), sessions_.end(), [&](const auto& o) { return o->id == s->id; });
  }
  if (!unique_id || !randomHex(kSecretBytes, &s->secret)) return CreateError::NoRandomness;
  s->request = std::move(request);
  s->filter = std::move(filter);
  s->expires_ms = loop_.nowMs() + static_cast<uint64_t>(settings_.ttl.count());
  s->expires_wall_us = wallMicros() + settings_.ttl.count() * 1000;
  sessions_.push_back(std::move(s));
  return sessions_.back().get();
}

LogSessions::Session* LogSessions::find(std::string_view secret) {
  // Every session is compared, each in constant time: neither where a match is nor how much of a guess is right
  // shows in the time taken.
  Session* found = nullptr;
  const uint64_t now = loop_.nowMs();
  for (auto& s : sessions_) {
    const bool same_size = secret.size() == s->secret.size();
    const bool equal = CRYPTO_memcmp(same_size ? secret.data() : s->secret.data(), s->secret.data(),
                                     s->secret.size()) == 0;
    if (same_size && equal && now < s->expires_ms) found = s.get();
  }
  return found;
}

void LogSessions::consume(const Session* session) {
  std::erase_if(sessions_, [&](const auto& s) { return s.get() == session; });
}

bool LogSessions::revoke(std::string_view id) {
  auto it = std::find_if(sessions_.begin(), sessions_.end(), [&](const auto& s) { return s->id == id; });
  if (it == sessions_.end()) return false;
  endStreams(**it);
  sessions_.erase(it);
  return true;
}

void LogSessions::endStreams(const Session& s) {
  for (uint64_t stream : s.streams) streams_.end(stream, "log session revoked");
}

void LogSessions::sweep() {
  const uint64_t now = loop_.nowMs();
  std::erase_if(sessions_, [&](const std::unique_ptr<Session>& s) {
    if (now < s->expires_ms) return false;
    // A tail session lives on while a client still follows it.
    std::erase_if(s->streams, [&](uint64_t id) { return !streams_.connected(id); });
    return s->streams.empty();
  });
}

void LogSessions::onSweep(uv_timer_t* timer) noexcept {
  if (auto* self = ownerOf<LogSessions>(timer)) self->sweep();
}

}  // namespace sluice
