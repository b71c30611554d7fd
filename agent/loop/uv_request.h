#pragma once
// One owner per libuv request (uv_write_t, uv_connect_t, uv_shutdown_t, uv_getaddrinfo_t, uv_fs_t, uv_udp_send_t):
// the request and what its completion callback needs (the payload) are allocated together, handed to libuv as a
// raw pointer, and freed when the callback takes them back, with what libuv allocated for the request
// (uv_fs_req_cleanup, uv_freeaddrinfo). No call site writes new, delete or a cleanup call. uv_work_t has its job
// runner (agent/loop/job_runner.h).
//
//   using WriteReq = UvRequest<uv_write_t, WriteData>;
//   auto req = WriteReq::make(WriteData{...});
//   int rc = WriteReq::start(req, [&](uv_write_t* r) { return uv_write(r, stream, bufs, n, &onWrite); });
//   ...
//   void onWrite(uv_write_t* r, int status) noexcept { auto req = WriteReq::adopt(r); use(req->field); }
#include <uv.h>

#include <memory>
#include <utility>

namespace sluice {

struct NoPayload {};

namespace detail {
// What libuv allocated for a request, released with it. Safe on a request that never started or already ran
// its cleanup (both leave the fields null).
inline void releaseRequest(uv_fs_t* req) noexcept { uv_fs_req_cleanup(req); }
inline void releaseRequest(uv_getaddrinfo_t* req) noexcept {
  uv_freeaddrinfo(req->addrinfo);  // the `res` its callback got; null when it failed or was cancelled
  req->addrinfo = nullptr;
}
inline void releaseRequest(void*) noexcept {}
}  // namespace detail

// `Payload` is a struct whose members the request carries (the owner to call back, buffers to keep alive); they
// are reached through `->` like the payload's own.
template <class Req, class Payload = NoPayload>
class UvRequest final : public Payload {
 public:
  using Ptr = std::unique_ptr<UvRequest>;

  template <class... Args>
  static Ptr make(Args&&... args) {
    return Ptr(new UvRequest(std::forward<Args>(args)...));
  }

  // Hands the request to libuv. `call(Req*)` is the libuv function, given its completion callback (uv_write,
  // uv_fs_read, ...); it returns 0 or a libuv error. On 0 libuv holds the request until the callback takes it
  // back with adopt(), and `request` is emptied (read a pointer to it first to cancel it or to tell it that its
  // owner went). On an error `request` keeps it, so the caller can still use the payload (a callback to answer).
  template <class Call>
  static int start(Ptr& request, Call&& call) {
    int rc = call(request->req());
    if (rc == 0) request.release();
    return rc;
  }

  // In the completion callback: the request, owned again. It is freed when the returned pointer goes.
  static Ptr adopt(Req* req) noexcept { return Ptr(static_cast<UvRequest*>(req->data)); }

  ~UvRequest() { detail::releaseRequest(&req_); }
  UvRequest(const UvRequest&) = delete;
  UvRequest& operator=(const UvRequest&) = delete;

  Req* req() noexcept { return &req_; }

 private:
  template <class... Args>
  explicit UvRequest(Args&&... args) : Payload{std::forward<Args>(args)...} {
    req_.data = this;
  }

  Req req_{};
};

}  // namespace sluice
