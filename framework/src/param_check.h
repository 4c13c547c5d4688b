// One node's param settings checked against its contract and converted to the declared
// types: unknown names (with the nearest param or framework key), wrong types, values out
// of range or not among the choices, required params left out. Used by validate() and by
// the test harness.
#pragma once

#include <map>
#include <string>

#include "diagnostic.h"
#include "pipeline_spec.h"
#include "sluice/contract.h"
#include "sluice/params.h"
#include "sluice/status.h"

namespace sluice::runtime {

// Paths (params declared is_path) are resolved against `dir`. Every problem is added to
// `diagnostics`; the result is an error when there was one.
Result<Params> check_params(const std::string& node_name, const Contract& contract,
                            const std::map<std::string, ParamSetting>& settings,
                            const std::string& dir, const SourceLocation& node_where,
                            Diagnostics& diagnostics);

}  // namespace sluice::runtime
