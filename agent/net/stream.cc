#include "agent/net/stream.h"

#include "agent/net/tcp_stream.h"
#include "agent/net/tls_stream.h"

namespace sluice {

std::unique_ptr<Stream> Stream::connect(Loop& loop, const ConnectOptions& options, Handler* handler) {
  if (options.tls) return TlsStream::connect(loop, options, handler);
  auto stream = std::make_unique<TcpStream>(loop, handler);
  stream->startConnect(options);
  return stream;
}

Result<std::unique_ptr<Stream>> Stream::accept(Loop& loop, uv_stream_t* listener, std::shared_ptr<TlsContext> tls,
                                               Handler* handler) {
  // With TLS, the TCP stream's handler is the TLS layer, which the TLS stream sets.
  auto tcp = std::make_unique<TcpStream>(loop, tls ? nullptr : handler);
  if (auto st = tcp->startAccept(listener); !st) return st.takeError();
  if (!tls) return std::unique_ptr<Stream>(std::move(tcp));
  auto stream = TlsStream::accept(loop, std::move(tcp), std::move(tls), handler);
  if (!stream) return stream.takeError();
  return std::unique_ptr<Stream>(std::move(stream).value());
}

}  // namespace sluice
