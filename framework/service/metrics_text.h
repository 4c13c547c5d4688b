// The run's live figures in Prometheus' text exposition format (GET /metrics), built with
// prometheus-cpp's core library from a RunReport snapshot and the streams of sources that
// take them. Every family is prefixed `sluice_`; nodes are labelled by name and plugin,
// streams by node, run stream id and URI (password hidden).
#pragma once

#include <string>
#include <vector>

#include "process_figures.h"
#include "run_report.h"
#include "stream_api.h"

namespace sluice::service {

std::string prometheus_text(const runtime::RunReport& live, const ProcessFigures& process,
                            double uptime_s, const std::vector<NodeStream>& streams = {});

}  // namespace sluice::service
