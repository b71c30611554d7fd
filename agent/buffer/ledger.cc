#include "agent/buffer/ledger.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>

namespace sluice {
namespace {

Error posixError(const std::string& what, const std::string& path) {
  return Error{what + " " + path + ": " + std::strerror(errno), -errno};
}

}  // namespace

std::string Ledger::serialize() const {
  std::ostringstream out;
  out << "sluice-spool-ledger 1\nid " << id << "\nepoch " << epoch << "\nacked " << acked << "\ngeneration " << generation
      << "\nend\n";
  return out.str();
}

Result<Ledger> Ledger::parse(std::string_view text) {
  std::istringstream in{std::string(text)};
  std::string magic, version, key;
  Ledger l;
  if (!(in >> magic >> version) || magic != "sluice-spool-ledger" || version != "1") {
    return makeError("not a spool ledger (version 1)");
  }
  bool have_id = false, have_epoch = false, have_acked = false, have_end = false;
  while (in >> key) {
    if (key == "id") have_id = static_cast<bool>(in >> l.id);
    else if (key == "epoch") have_epoch = static_cast<bool>(in >> l.epoch);
    else if (key == "acked") have_acked = static_cast<bool>(in >> l.acked);
    else if (key == "generation") { if (!(in >> l.generation)) return makeError("a bad ledger generation"); }
    else if (key == "end") { have_end = true; break; }
    else return makeError("unknown ledger field '" + key + "'");
  }
  // "end" last: a ledger cut short is noticed even though rename makes that unlikely.
  if (!have_id || !have_epoch || !have_acked || !have_end || l.id.size() != 16) return makeError("incomplete ledger");
  return l;
}

Status syncDirectory(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return posixError("cannot open directory", dir);
  int rc = ::fsync(fd);
  int saved = errno;
  ::close(fd);
  errno = saved;
  if (rc != 0) return posixError("cannot fsync directory", dir);
  return {};
}

Status writeLedgerFile(const std::string& dir, const Ledger& ledger) {
  std::string tmp = dir + "/ledger.tmp";
  std::string path = dir + "/ledger";
  std::string text = ledger.serialize();
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return posixError("cannot create", tmp);
  const char* p = text.data();
  size_t left = text.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      Error e = posixError("cannot write", tmp);
      ::close(fd);
      return e;
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    Error e = posixError("cannot fsync", tmp);
    ::close(fd);
    return e;
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) return posixError("cannot rename to", path);
  return syncDirectory(dir);
}

Result<Ledger> readLedgerFile(const std::string& dir) {
  std::string path = dir + "/ledger";
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return Ledger{};
    return posixError("cannot open", path);
  }
  std::string text;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0 && text.size() < 65536) text.append(buf, static_cast<size_t>(n));
  ::close(fd);
  auto l = Ledger::parse(text);
  if (!l) return makeError(path + ": " + l.error().message);
  return l;
}

}  // namespace sluice
