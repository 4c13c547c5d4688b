#include "linear_assignment.h"

#include <algorithm>
#include <limits>
#include <numeric>

namespace sluice::tracking {
namespace {

// The Hungarian method by shortest augmenting paths with potentials, for n <= m: every
// row is assigned. `a` is 1-based (row 0 and column 0 unused), as the method is usually
// written; returns for each column j (1..m) the row assigned to it, or 0.
std::vector<int> hungarian(const std::vector<std::vector<double>>& a, int n, int m) {
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> u(n + 1, 0.0), v(m + 1, 0.0);
  std::vector<int> row_of(m + 1, 0), way(m + 1, 0);
  for (int i = 1; i <= n; ++i) {
    row_of[0] = i;
    int j0 = 0;
    std::vector<double> minv(m + 1, inf);
    std::vector<char> used(m + 1, 0);
    do {
      used[j0] = 1;
      const int i0 = row_of[j0];
      double delta = inf;
      int j1 = 0;
      for (int j = 1; j <= m; ++j) {
        if (used[j]) continue;
        const double cur = a[i0][j] - u[i0] - v[j];
        if (cur < minv[j]) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (minv[j] < delta) {
          delta = minv[j];
          j1 = j;
        }
      }
      for (int j = 0; j <= m; ++j) {
        if (used[j]) {
          u[row_of[j]] += delta;
          v[j] -= delta;
        } else {
          minv[j] -= delta;
        }
      }
      j0 = j1;
    } while (row_of[j0] != 0);
    do {  // flip the augmenting path
      const int j1 = way[j0];
      row_of[j0] = row_of[j1];
      j0 = j1;
    } while (j0 != 0);
  }
  return row_of;
}

}  // namespace

std::vector<int> assign_optimal(const CostMatrix& m, double max_cost) {
  std::vector<int> col_of_row(static_cast<std::size_t>(m.rows), -1);
  if (m.rows == 0 || m.cols == 0) return col_of_row;
  // Leaving a row and a column unmatched costs max_cost, taking their pair costs c: the
  // method minimises sum(min(c - max_cost, 0)) over full assignments, which is the best
  // partial matching of allowed pairs (a pair at 0 is one it need not have taken).
  const bool transpose = m.rows > m.cols;  // the method wants rows <= columns
  const int n = transpose ? m.cols : m.rows, k = transpose ? m.rows : m.cols;
  std::vector<std::vector<double>> a(n + 1, std::vector<double>(k + 1, 0.0));
  for (int i = 1; i <= n; ++i)
    for (int j = 1; j <= k; ++j) {
      const double c = transpose ? m.at(j - 1, i - 1) : m.at(i - 1, j - 1);
      a[i][j] = std::min(c - max_cost, 0.0);
    }
  const std::vector<int> row_of = hungarian(a, n, k);
  for (int j = 1; j <= k; ++j) {
    if (row_of[j] == 0) continue;
    const int r = transpose ? j - 1 : row_of[j] - 1, c = transpose ? row_of[j] - 1 : j - 1;
    if (m.at(r, c) <= max_cost) col_of_row[static_cast<std::size_t>(r)] = c;
  }
  return col_of_row;
}

std::vector<int> assign_greedy(const CostMatrix& m, double max_cost) {
  std::vector<int> col_of_row(static_cast<std::size_t>(m.rows), -1);
  std::vector<int> pairs;
  for (int i = 0; i < m.rows * m.cols; ++i)
    if (m.cost[static_cast<std::size_t>(i)] <= max_cost) pairs.push_back(i);
  std::stable_sort(pairs.begin(), pairs.end(), [&](int a, int b) {
    return m.cost[static_cast<std::size_t>(a)] < m.cost[static_cast<std::size_t>(b)];
  });
  std::vector<char> col_taken(static_cast<std::size_t>(m.cols), 0);
  for (int i : pairs) {
    const int r = i / m.cols, c = i % m.cols;
    if (col_of_row[static_cast<std::size_t>(r)] >= 0 || col_taken[static_cast<std::size_t>(c)])
      continue;
    col_of_row[static_cast<std::size_t>(r)] = c;
    col_taken[static_cast<std::size_t>(c)] = 1;
  }
  return col_of_row;
}

}  // namespace sluice::tracking
