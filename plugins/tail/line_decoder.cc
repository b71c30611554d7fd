#include "plugins/tail/line_decoder.h"

namespace sluice::plugins::tail {

const char* tailFormatName(TailFormat format) {
  switch (format) {
    case TailFormat::Auto:
      return "auto";
    case TailFormat::Raw:
      return "raw";
    case TailFormat::Docker:
      return "docker";
    case TailFormat::Cri:
      return "cri";
  }
  return "?";
}

TailFormat LineDecoder::detect(std::string_view line) {
  DockerLine d;
  if (docker_.parse(line, d)) return TailFormat::Docker;
  CriLine c;
  if (parseCriLine(line, c)) return TailFormat::Cri;
  return TailFormat::Raw;
}

}  // namespace sluice::plugins::tail
