// Text helpers for error messages.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace sluice {

// `bytes` made safe to print in a one-line error message: control characters (newlines
// included) and bytes that are not valid UTF-8 become \xNN, so a corrupt file, a mutated
// model or a hostile request can never put raw bytes on a user's terminal or invalid
// UTF-8 into a JSON report. Valid UTF-8 text other than control characters is unchanged,
// and so is a backslash, so printable(printable(s)) == printable(s).
//
//   return invalid_argument("unknown key '" + printable(key) + "' in " + path);
std::string printable(std::string_view bytes);

// A library's error text as one line of a sluice message: its last line that is not blank
// (LibTorch puts a TorchScript traceback above the line that says what went wrong), made
// printable().
//   catch (const c10::Error& e) { return invalid_argument("forward failed: " + one_line(e.what()));
//   }
std::string one_line(std::string_view message);

// A tensor shape as errors write it: "[1, 3, 224, 224]".
std::string shape_text(std::span<const int64_t> shape);

}  // namespace sluice
