// Text helpers for error messages.
#pragma once

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

}  // namespace sluice
