#pragma once
// Turns sweep outcomes into the result rows that results.json/.csv and the report use.

#include <vector>

#include "report/result_row.hpp"
#include "sweep/runner.hpp"

namespace switchsim::cli {

report::ResultRow to_result_row(const sweep::PointOutcome& outcome);

}  // namespace switchsim::cli
