// The page at GET /: one self-contained HTML file (web/index.html, built into the binary;
// nothing is fetched from outside): the graph, live figures every second, the previews
// and the streams of sources that take them.
#pragma once

#include <string_view>

namespace sluice::service {

std::string_view web_page();

}  // namespace sluice::service
