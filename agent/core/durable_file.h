#pragma once
// Replacing a small file so that a crash at any moment (kill -9 or power loss) leaves either the old version or
// the new one, never a mix: the bytes go to a temp file beside it (every byte, through short writes), the temp
// file is fsynced and renamed over the file, and the directory is fsynced so that the rename itself is durable.
// Blocking: call it from a worker thread (JobRunner), at start-up or at shutdown.
#include <sys/types.h>

#include <string>
#include <string_view>

#include "agent/core/result.h"

namespace sluice {

struct DurableWriteOptions {
  // The temp file is `path` + this. Two writers of one file that may overlap (a background write and the final
  // one at shutdown) use different suffixes, so neither renames the other's half-written temp.
  std::string_view tmp_suffix = ".tmp";
  mode_t mode = 0644;
};

// Every failure is an Error naming the file and strerror, with -errno as its code (so ENOSPC can be told
// apart). Before the rename, a failure leaves `path` as it was and removes the temp file; a failure of the
// directory's fsync comes after the rename: `path` has the new bytes, but the rename may not survive power loss.
Status writeFileDurably(const std::string& path, std::string_view bytes, const DurableWriteOptions& options = {});

// Writes every byte of `bytes` to `fd`, continuing after short writes and EINTR; `path` names it in the error.
Status writeAll(int fd, std::string_view bytes, const std::string& path);

// fsync of a directory, so that a create, rename or unlink in it is durable.
Status syncDirectory(const std::string& dir);

// Creates `path` and the directories above it that are missing (mode 0750); an error when it cannot, or when
// `path` exists and is not a directory.
Status makeDirs(const std::string& path);

}  // namespace sluice
