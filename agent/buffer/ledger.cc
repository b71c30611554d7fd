#include "agent/buffer/ledger.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>

#include "agent/core/durable_file.h"

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

Status writeLedgerFile(const std::string& dir, const Ledger& ledger) {
  // The temp name stays "ledger.tmp": recovery removes one left by a crash or a full disk.
  return writeFileDurably(dir + "/ledger", ledger.serialize(), DurableWriteOptions{.tmp_suffix = ".tmp", .mode = 0644});
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
