#pragma once
// One owner per libuv handle (house rule 2). The handle's memory lives until libuv's close callback, never
// shorter, so a callback that libuv still delivers while closing (a cancelled write) finds valid memory and a
// null `data` pointer instead of a dead owner.
#include <uv.h>

#include <type_traits>
#include <utility>

namespace sluice {

template <class H>
class UvHandle {
 public:
  UvHandle() = default;
  ~UvHandle() { close(); }
  UvHandle(const UvHandle&) = delete;
  UvHandle& operator=(const UvHandle&) = delete;
  UvHandle(UvHandle&& other) noexcept : h_(std::exchange(other.h_, nullptr)) {}
  UvHandle& operator=(UvHandle&& other) noexcept {
    if (this != &other) {
      close();
      h_ = std::exchange(other.h_, nullptr);
    }
    return *this;
  }

  // Allocates the handle and runs `init(H*)` (e.g. uv_timer_init). On failure nothing is kept and the libuv
  // error is returned; on success `data` is set to `owner`.
  template <class Init>
  int init(void* owner, Init&& init_fn) {
    close();
    H* h = new H{};
    int rc = init_fn(h);
    if (rc < 0) {
      delete h;
      return rc;
    }
    h->data = owner;
    h_ = h;
    return 0;
  }

  // Like init, for functions that register the handle with the loop even when they fail (uv_spawn): the handle
  // is kept so that close() can hand it to uv_close.
  template <class Init>
  int initClosingOnError(void* owner, Init&& init_fn) {
    close();
    H* h = new H{};
    int rc = init_fn(h);
    h->data = owner;
    h_ = h;
    return rc;
  }

  H* get() const { return h_; }
  uv_handle_t* handle() const { return reinterpret_cast<uv_handle_t*>(h_); }
  uv_stream_t* stream() const { return reinterpret_cast<uv_stream_t*>(h_); }
  explicit operator bool() const { return h_ != nullptr; }

  void close() noexcept {
    if (h_ == nullptr) return;
    h_->data = nullptr;
    uv_handle_t* h = handle();
    if (!uv_is_closing(h)) uv_close(h, &UvHandle::onClosed);
    h_ = nullptr;
  }

  // A TCP handle closed with an RST instead of a FIN (uv_tcp_close_reset); an ordinary close() when libuv
  // refuses (a handle already shut down). Its memory goes in the same close callback as close()'s.
  void closeReset() noexcept
    requires std::is_same_v<H, uv_tcp_t>
  {
    if (h_ == nullptr) return;
    h_->data = nullptr;
    if (!uv_is_closing(handle()) && uv_tcp_close_reset(h_, &UvHandle::onClosed) == 0) {
      h_ = nullptr;
      return;
    }
    close();
  }

 private:
  // libuv is done with the handle: its memory goes now, never earlier.
  static void onClosed(uv_handle_t* closed) noexcept { delete reinterpret_cast<H*>(closed); }

  H* h_ = nullptr;
};

// The owner of a handle's callback, or nullptr once the owner has closed it.
template <class Owner, class H>
Owner* ownerOf(H* h) {
  return static_cast<Owner*>(h->data);
}

}  // namespace sluice
