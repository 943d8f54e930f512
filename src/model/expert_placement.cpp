#include "model/expert_placement.hpp"

#include <numeric>
#include <stdexcept>

namespace switchsim::model {

DroplessPlacement place_dropless(const std::vector<std::vector<std::int64_t>>& member_counts, Bytes bytes_per_row) {
  const auto n = static_cast<std::int64_t>(member_counts.size());
  if (n == 0) throw std::invalid_argument("place_dropless: no members");
  const auto experts = static_cast<std::int64_t>(member_counts.front().size());
  if (experts == 0 || experts % n != 0)
    throw std::invalid_argument("place_dropless: " + std::to_string(experts) + " experts over " + std::to_string(n) +
                                " members");
  const std::int64_t local = experts / n;
  DroplessPlacement p;
  p.matrix.assign(static_cast<std::size_t>(n), std::vector<Bytes>(static_cast<std::size_t>(n), Bytes(0)));
  std::vector<std::vector<std::int64_t>> rows(static_cast<std::size_t>(n),
                                              std::vector<std::int64_t>(static_cast<std::size_t>(local), 0));
  for (std::int64_t i = 0; i < n; ++i) {
    const auto& counts = member_counts[static_cast<std::size_t>(i)];
    if (static_cast<std::int64_t>(counts.size()) != experts)
      throw std::invalid_argument("place_dropless: members disagree on the expert count");
    for (std::int64_t e = 0; e < experts; ++e) {
      const std::int64_t c = counts[static_cast<std::size_t>(e)];
      const auto j = static_cast<std::size_t>(e / local);
      rows[j][static_cast<std::size_t>(e % local)] += c;
      p.matrix[static_cast<std::size_t>(i)][j] += bytes_per_row * c;
    }
  }
  std::size_t critical = 0;
  std::int64_t most = -1;
  for (std::size_t j = 0; j < rows.size(); ++j) {
    const std::int64_t total = std::accumulate(rows[j].begin(), rows[j].end(), std::int64_t{0});
    if (total > most) {
      most = total;
      critical = j;
    }
  }
  p.critical_rows = rows[critical];
  p.critical_received = most;
  return p;
}

}  // namespace switchsim::model
