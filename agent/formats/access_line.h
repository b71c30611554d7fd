#pragma once
// One access-log line in Common Log Format and its common variants, as views into the text:
//   [VHOST SP] HOST SP IDENT SP USER SP [TIME] SP "REQUEST" SP STATUS SP BYTES [SP "REFERER" SP "USER-AGENT"] [SP RTIME]
// Common (NCSA), Combined, Apache's vhost_combined (the virtual host first) and an extra request-time field at the
// end (Apache %D, nginx $request_time). Quoted fields are taken as written: escapes a server wrote (\" \xhh) stay
// as they are, so that writing the line back gives the same bytes.
#include <cstdint>
#include <string>
#include <string_view>

namespace sluice {

struct AccessFields {
  std::string_view vhost;
  bool has_vhost = false;
  std::string_view client;        // %h: an address or a name
  std::string_view ident = "-";   // %l
  std::string_view user = "-";    // %u
  int64_t time_us = 0;            // UTC
  int tz_minutes = 0;             // the line's offset east of UTC (-0700 -> -420)
  // The time as written, when formatClfTime would not write it back the same: a fraction of other than 0, 3 or
  // 6 digits (".1123", ".000"), a leap second (":60"), "-0000". Empty otherwise (the usual case).
  std::string_view time_text;
  std::string_view method;        // the request line, split: METHOD SP PATH SP PROTO
  bool has_method = false;        // false: the request was "-"
  std::string_view path;
  bool has_path = false;
  std::string_view proto;
  bool has_proto = false;
  int status = 0;
  uint64_t bytes = 0;
  bool bytes_dash = false;        // written as "-" (no body, Apache %b)
  bool combined = false;          // referer and user agent present
  std::string_view referer;
  std::string_view user_agent;
  std::string_view rtime;
  bool has_rtime = false;
};

// Parses a line; false when it is not one of the formats above (then `out` is unspecified).
bool parseAccessLine(std::string_view line, AccessFields* out);

// Writes the line back in its format (appends to `out`). Characters that would break the line (newlines) are
// written as \n; everything else is written as it is.
void formatAccessLine(const AccessFields& f, std::string& out);

// CLF time "10/Oct/2000:13:55:36 -0700" (optionally with .f to .ffffff after the seconds). A leap second (":60")
// is the first instant of the next minute. `exact` (when given) tells whether formatClfTime gives `text` back.
bool parseClfTime(std::string_view text, int64_t* utc_us, int* tz_minutes, bool* exact = nullptr);
void formatClfTime(int64_t utc_us, int tz_minutes, std::string& out);
// "-0700" for -420.
void formatOffset(int tz_minutes, bool colon, std::string& out);
bool parseOffset(std::string_view text, int* tz_minutes);  // "-0700", "-07:00", "Z"

}  // namespace sluice
