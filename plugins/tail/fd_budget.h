#pragma once
// How many descriptors the tail sources of the process may hold open at once. Tailed files are the one use of
// descriptors whose count the input sets (10,000 containers, 10,000 files), so they get the descriptor limit less a
// reserve that checkpoints, the spool, the ack journals, sockets (sinks, the admin API) and the thread pool's
// transient opens always find free: a quarter of the limit, at most 1,024 (with systemd's soft limit of 1,024 that
// is 768 for files; with the hard limit of 512K nearly all of it), less what listeners reserved for their
// connections (the logplex input's cap, fd_limit.h).
//
// When a file needs a descriptor and none is left, the least recently active file that can be closed (of any tail
// source) is closed: one read to its end, not being read, and still where its name is (rotated files keep theirs
// until they are read to their end). A closed file keeps everything else (offsets, held partial lines, its inotify
// watch, which costs no descriptor); it is reopened by identity when it has something to read.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace sluice::plugins::tail {

class FdBudget {
 public:
  // A tail source: holds descriptors and can give the least recently active one back.
  class Holder {
   public:
    virtual ~Holder() = default;
    // The loop time (ms) of the last activity of the least recently active file this holder could close now;
    // UINT64_MAX when it has none.
    virtual uint64_t oldestClosable() = 0;
    // Closes that file; its descriptor goes back through release().
    virtual void closeOldest() = 0;
  };

  // The budget of the process's tail sources, from the descriptor limit when first asked.
  static FdBudget& process();
  // limit - min(limit / 4, 1024), at least 1.
  static size_t forLimit(uint64_t fd_limit);

  // `follow_reservations`: the limit shrinks by what listeners reserved (reserveDescriptors).
  explicit FdBudget(size_t limit, bool follow_reservations = false)
      : limit_(limit), follow_reservations_(follow_reservations) {}
  FdBudget(const FdBudget&) = delete;
  FdBudget& operator=(const FdBudget&) = delete;

  void add(Holder* h);
  void remove(Holder* h);
  // Takes a descriptor: a free one, or one freed by closing the least recently active closable file of any
  // holder. False when every descriptor is held by files that cannot be closed now (reading, rotated): ask again
  // later.
  bool acquire();
  void release();

  size_t limit() const;
  size_t used() const { return used_; }

 private:
  size_t limit_;
  bool follow_reservations_ = false;
  size_t used_ = 0;
  std::vector<Holder*> holders_;
};

}  // namespace sluice::plugins::tail
