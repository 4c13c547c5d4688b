// The last line of a LibTorch error: the line that says what went wrong
// ("RuntimeError: quantized::qconv_prepack: ONEDNN only supports ..."), without the
// TorchScript traceback above it. Sluice errors are one line, and quote no raw bytes
// (a corrupt file's names reach LibTorch's messages).
#pragma once

#include <sluice/text.h>

#include <string>

namespace sluice::torchscript {

inline std::string last_line(const std::string& message) {
  const std::size_t end = message.find_last_not_of("\n ");
  if (end == std::string::npos) return printable(message);
  const std::size_t start = message.rfind('\n', end);
  const std::size_t from = start == std::string::npos ? 0 : start + 1;
  return printable(message.substr(from, end - from + 1));
}

}  // namespace sluice::torchscript
