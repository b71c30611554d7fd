#pragma once
// Blocking file helpers of the spool (start-up and worker threads only).
#include <sys/uio.h>

#include <string>
#include <vector>

#include "agent/core/result.h"

namespace sluice {

// "what path: strerror", with -err as the code.
Error posixError(const std::string& what, const std::string& path, int err);
// Whether an error is the disk's lack of room (ENOSPC, EDQUOT).
bool isNoSpace(const Error& e);
Result<std::string> readWholeFile(const std::string& path);
// Writes every byte of `iov` at `offset`, continuing after short writes; `written` receives how many were written
// (all of them, or those before the failure).
Status pwriteAll(int fd, std::vector<struct iovec>& iov, uint64_t offset, const std::string& path,
                 uint64_t* written = nullptr);
// Bytes a non-root writer may still use on the filesystem holding `dir`; false when unknown.
bool freeBytes(const std::string& dir, uint64_t* out);
std::string randomSpoolId();

}  // namespace sluice
