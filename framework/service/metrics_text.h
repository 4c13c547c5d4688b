// The run's live figures in Prometheus' text exposition format (GET /metrics), built with
// prometheus-cpp's core library from a RunReport snapshot. Every family is prefixed
// `sluice_`; nodes are labelled by name and plugin.
#pragma once

#include <string>

#include "process_figures.h"
#include "run_report.h"

namespace sluice::service {

std::string prometheus_text(const runtime::RunReport& live, const ProcessFigures& process,
                            double uptime_s);

}  // namespace sluice::service
