#pragma once
// Reuse of sampled routing loads across simulated points that draw the same ones.
//
// A search (advise, sweep) simulates many points that differ only in what the sampled per-expert
// counts do not depend on: capacity factor, rematerialization, microbatch-independent layouts,
// optimizer. plan_switch_layer's counts are a function of (generator state on entry, expert load
// shares, assignments per group, groups drawn) alone, and drawing them is most of a point's
// planning time (about 70% of `bench advise`, perf). The cache returns the same counts and the
// same generator state after the draws as drawing afresh would, so every result is unchanged:
// a hit is accepted only when the stored entry state EQUALS the caller's generator
// (std::mersenne_twister_engine::operator== compares the whole state) and every other input is
// equal; the hash of the first outputs only picks the bucket.
//
// Not thread-safe: one cache per worker thread.

#include <cstdint>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

namespace switchsim::model {

struct SampledCountsRequest {
  // The routing's kind, skew kind and parameter: with experts and step, its load shares.
  int routing_kind = 0;
  int skew_kind = 0;
  double skew_parameter = 0;
  std::int64_t experts = 0;
  std::int64_t step = 0;
  std::int64_t assignments_per_group = 0;
  std::int64_t groups = 0;
  bool operator==(const SampledCountsRequest&) const = default;
};

struct SampledCounts {
  std::vector<std::vector<std::int64_t>> per_group;  // groups x experts
  std::mt19937_64 rng_after;
};

class SampledCountsCache {
 public:
  // The stored draws for this request from this generator state, or nullptr.
  const SampledCounts* find(const SampledCountsRequest& request, const std::mt19937_64& rng_before) const;
  // Stores draws made from rng_before; when the cache would hold more than kMaxElements counts
  // it is emptied first (a bound on memory; hits never change results, so neither do evictions).
  void insert(const SampledCountsRequest& request, const std::mt19937_64& rng_before, SampledCounts counts);
  std::int64_t hits() const { return hits_; }

  static constexpr std::int64_t kMaxElements = std::int64_t{1} << 23;  // 64 MiB of counts

 private:
  struct Entry {
    SampledCountsRequest request;
    std::mt19937_64 rng_before;
    SampledCounts counts;
  };
  static std::uint64_t bucket_of(const SampledCountsRequest& request, const std::mt19937_64& rng_before);
  std::unordered_multimap<std::uint64_t, Entry> entries_;
  std::int64_t elements_ = 0;
  mutable std::int64_t hits_ = 0;
};

}  // namespace switchsim::model
