#include "model/sampled_counts.hpp"

#include <functional>

namespace switchsim::model {

std::uint64_t SampledCountsCache::bucket_of(const SampledCountsRequest& request, const std::mt19937_64& rng_before) {
  // The generator's next outputs stand for its state (equality is checked on a hit).
  std::mt19937_64 probe = rng_before;
  std::uint64_t h = probe() ^ (probe() << 1);
  const auto mix = [&h](std::uint64_t v) { h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2); };
  mix(static_cast<std::uint64_t>(request.routing_kind));
  mix(static_cast<std::uint64_t>(request.skew_kind));
  mix(std::hash<double>{}(request.skew_parameter));
  mix(static_cast<std::uint64_t>(request.experts));
  mix(static_cast<std::uint64_t>(request.step));
  mix(static_cast<std::uint64_t>(request.assignments_per_group));
  mix(static_cast<std::uint64_t>(request.groups));
  return h;
}

const SampledCounts* SampledCountsCache::find(const SampledCountsRequest& request,
                                              const std::mt19937_64& rng_before) const {
  const auto [first, last] = entries_.equal_range(bucket_of(request, rng_before));
  for (auto it = first; it != last; ++it)
    if (it->second.request == request && it->second.rng_before == rng_before) {
      ++hits_;
      return &it->second.counts;
    }
  return nullptr;
}

void SampledCountsCache::insert(const SampledCountsRequest& request, const std::mt19937_64& rng_before,
                                SampledCounts counts) {
  std::int64_t size = 0;
  for (const auto& g : counts.per_group) size += static_cast<std::int64_t>(g.size());
  if (size > kMaxElements) return;
  if (elements_ + size > kMaxElements) {
    entries_.clear();
    elements_ = 0;
  }
  elements_ += size;
  entries_.emplace(bucket_of(request, rng_before), Entry{request, rng_before, std::move(counts)});
}

}  // namespace switchsim::model
