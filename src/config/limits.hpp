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

// Structure of one JSON input file, counted by the parser as it reads (json_file.cpp), so that
// a hostile file is refused after a bounded amount of work, naming the JSON pointer where the
// count was passed. Why: the document nlohmann builds costs, per node, about 0.3 us for a
// number, 0.7 us for an array or object (a heap allocation each, then a free) and 1 us for an
// object key (a map node); 64 MB of "{}," is 20 million objects, 8.6 to 14 CPU s before these
// limits (1.1 s now: refused at the 2^20th).
// At the limits the worst file under kMaxConfigBytes parses in about 3 CPU seconds
// (`switchsim bench json`, goal 5 s). Each is far above what a valid input needs:
//   values      the largest inputs are routing traces, one number per step and expert: 1000
//               steps x 2048 experts is 2.05 M values, 4.1 M with router probabilities.
//   containers  a trace has one array per step (three with router probabilities); models and
//               clusters fewer than 100; a sweep's results.json one object per point.
//   keys        a results.json under 64 MB (about 1.4 kB per point) holds about 1.9 M keys,
//               ~40 per point; every other input fewer than 2,000.
//   depth       the shipped inputs nest at most 5 deep.
inline constexpr std::int64_t kMaxJsonValues = 1 << 23;      // numbers, strings, ..., arrays, objects
inline constexpr std::int64_t kMaxJsonContainers = 1 << 20;  // arrays and objects
inline constexpr std::int64_t kMaxJsonKeys = 1 << 21;        // object members, all objects together
inline constexpr std::int64_t kMaxJsonDepth = 64;            // arrays and objects nested

struct ModelConfig;
// Whether the model's parameter count times 16 bytes (weights, gradients, Adam states) fits in
// int64, so that every size derived from the parameters does. parse_model refuses models for
// which it does not; checked again after a CLI override of the number of experts.
bool model_bytes_fit(const ModelConfig& m);

}  // namespace switchsim::config
