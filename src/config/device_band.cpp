#include "config/device_band.hpp"

namespace switchsim::config {

namespace {
// An efficiency edge of 0 (a file may say so) would be an infinite time: keep the value then.
double usable(double edge, double value) { return edge > 0 ? edge : value; }
}  // namespace

DeviceConfig at_band_edge(const DeviceConfig& device, BandEdge edge) {
  const bool slow = edge == BandEdge::slow;
  DeviceConfig d = device;
  for (auto& p : d.gemm_efficiency_table)
    if (p.band) p.efficiency = usable(slow ? p.band->lo : p.band->hi, p.efficiency);
  if (d.gemm_efficiency_band)
    d.gemm_efficiency = usable(slow ? d.gemm_efficiency_band->lo : d.gemm_efficiency_band->hi, d.gemm_efficiency);
  // Streaming time is bytes / (bandwidth x efficiency); a calibrated CPU states the spread in the
  // efficiency (median / p90 against a p90 bandwidth), so only one of the two moves.
  if (d.memory_efficiency_band) {
    d.memory_efficiency =
        usable(slow ? d.memory_efficiency_band->lo : d.memory_efficiency_band->hi, d.memory_efficiency);
  } else if (d.memory_bandwidth_band) {
    const auto b = slow ? d.memory_bandwidth_band->lo : d.memory_bandwidth_band->hi;
    if (b.value() > 0) d.memory_bandwidth = b;
  }
  if (d.kernel_overhead_band) d.kernel_overhead = slow ? d.kernel_overhead_band->hi : d.kernel_overhead_band->lo;
  return d;
}

bool has_bands(const DeviceConfig& d) {
  if (d.gemm_efficiency_band || d.memory_efficiency_band || d.memory_bandwidth_band || d.kernel_overhead_band) return true;
  for (const auto& p : d.gemm_efficiency_table)
    if (p.band) return true;
  return false;
}

}  // namespace switchsim::config
