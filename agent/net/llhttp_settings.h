#pragma once
// llhttp's settings for a parser whose callbacks are the static members of `Callbacks` (the client's and the
// server's connection each have such a struct): built once per struct, with the callbacks it defines and no others;
// and the header callbacks the two share.
#include <llhttp.h>

namespace sluice {

template <class Callbacks>
const llhttp_settings_t* llhttpSettings() {
  static const llhttp_settings_t settings = [] {
    llhttp_settings_t s;
    llhttp_settings_init(&s);
    using C = Callbacks;
    if constexpr (requires { &C::onMessageBegin; }) s.on_message_begin = &C::onMessageBegin;
    if constexpr (requires { &C::onUrl; }) s.on_url = &C::onUrl;
    if constexpr (requires { &C::onHeaderField; }) s.on_header_field = &C::onHeaderField;
    if constexpr (requires { &C::onHeaderValue; }) s.on_header_value = &C::onHeaderValue;
    if constexpr (requires { &C::onHeaderValueComplete; }) s.on_header_value_complete = &C::onHeaderValueComplete;
    if constexpr (requires { &C::onHeadersComplete; }) s.on_headers_complete = &C::onHeadersComplete;
    if constexpr (requires { &C::onBody; }) s.on_body = &C::onBody;
    if constexpr (requires { &C::onMessageComplete; }) s.on_message_complete = &C::onMessageComplete;
    return s;
  }();
  return &settings;
}

// The header callbacks both connections' parsers share, for a `Callbacks` struct that derives from this one and
// says where the pieces go: headFits(p, n) counts n more bytes of head against its limit (false: the callback
// fails with kHeadTooLarge), headParts(p) is the connection's HeadCollector, headers(p) the list a header joins
// once its value is whole.
template <class Callbacks>
struct HeaderCallbacks {
  static int onHeaderField(llhttp_t* p, const char* at, size_t n) {
    if (!Callbacks::headFits(p, n)) return Callbacks::kHeadTooLarge;
    Callbacks::headParts(p).name(at, n);
    return 0;
  }
  static int onHeaderValue(llhttp_t* p, const char* at, size_t n) {
    if (!Callbacks::headFits(p, n)) return Callbacks::kHeadTooLarge;
    Callbacks::headParts(p).value(at, n);
    return 0;
  }
  static int onHeaderValueComplete(llhttp_t* p) {
    Callbacks::headParts(p).complete(Callbacks::headers(p));
    return 0;
  }
};

}  // namespace sluice
