#pragma once
// Largest sizes accepted at the edge (config files, sweep grids, CLI options), each checked
// where the value is read, with an error naming the field or option and the limit.
// Each limit is far above any real model or cluster (the largest shipped in models/ and
// hardware/ is noted) and low enough that the simulator's per-device, per-expert, per-layer
// and per-point structures fit in memory and build in seconds. Products of sizes that are
// each within these limits can still exceed 64 bits: those go through units/checked.hpp.

#include <cstdint>

namespace switchsim::config {

inline constexpr std::int64_t kMaxExperts = 1 << 16;         // shipped: 2048 (switch-c-2048)
inline constexpr std::int64_t kMaxLayers = 1 << 12;          // per stack; shipped: 24
inline constexpr std::int64_t kMaxWidth = 1 << 20;           // d_model, d_ff, d_kv; shipped: 10240
inline constexpr std::int64_t kMaxHeads = 1 << 12;           // shipped: 64
inline constexpr std::int64_t kMaxVocab = 1 << 24;           // shipped: 32128
inline constexpr std::int64_t kMaxSeqLen = 1 << 24;          // shipped: 512
inline constexpr std::int64_t kMaxDevices = 1 << 18;         // endpoints of a cluster; shipped: 1024
inline constexpr std::int64_t kMaxBatchTokens = 1ll << 40;   // per step; the paper: 2^20
inline constexpr std::int64_t kMaxMicrobatches = 1 << 16;
inline constexpr std::int64_t kMaxGridPoints = 1 << 20;      // points of one sweep
inline constexpr std::int64_t kMaxThreads = 1024;            // --threads
inline constexpr double kMaxCapacityFactor = 1e6;
inline constexpr std::int64_t kMaxSizes = 4096;              // sizes of one collective sweep
// Link and memory bandwidths, bytes/s: 1 kB/s to 1 PB/s (shipped: 3.35e12 B/s HBM3). Outside
// this range drain times leave 64-bit picoseconds or rates become infinite.
inline constexpr double kMinBandwidthBytesPerSecond = 1e3;
inline constexpr double kMaxBandwidthBytesPerSecond = 1e15;

struct ModelConfig;
// Whether the model's parameter count times 16 bytes (weights, gradients, Adam states) fits in
// int64, so that every size derived from the parameters does. parse_model refuses models for
// which it does not; checked again after a CLI override of the number of experts.
bool model_bytes_fit(const ModelConfig& m);

}  // namespace switchsim::config
