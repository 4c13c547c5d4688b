// Optimal assignment of rows to columns (the linear assignment problem): the Hungarian
// method, plus the greedy matching a plain IoU tracker uses, for comparison.
#pragma once

#include <vector>

namespace sluice::tracking {

// A dense rows x cols matrix of costs, row-major.
struct CostMatrix {
  int rows = 0;
  int cols = 0;
  std::vector<double> cost;
  double at(int r, int c) const { return cost[static_cast<std::size_t>(r) * cols + c]; }
};

// For each row, the column assigned to it, or -1: the matching of minimum total cost
// where leaving a row and a column unmatched costs `max_cost` (so no pair above it is
// taken: too far apart to be the same object), as `lap.lapjv(cost_limit=...)` that
// ByteTrack uses. Exact (shortest augmenting paths, O(n^2 m)) and deterministic.
std::vector<int> assign_optimal(const CostMatrix& m, double max_cost);

// For each row, the column assigned to it, or -1: the cheapest pair first, then the
// cheapest of those left, and so on, up to `max_cost`. Ties go to the lower row, then the
// lower column.
std::vector<int> assign_greedy(const CostMatrix& m, double max_cost);

}  // namespace sluice::tracking
