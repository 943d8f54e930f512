// `switchsim collective --cluster C --op OP --algo ALGO --bytes S [--max-bytes E --step-factor F]
//  [--ranks N] [--skew uniform|zipf:s|hot:f] [--matrix FILE] [--ecmp] [--json]`
// Times one collective (or a sweep of sizes, like nccl-tests) on the flow-level network and
// reports algbw and busbw in the nccl-tests conventions, with per-link peak utilization.

#include <fmt/format.h>

#include <cmath>
#include <map>
#include <memory>
#include <numeric>
#include <optional>
#include <vector>

#include "cli/command.hpp"
#include "config/catalog.hpp"
#include "config/error.hpp"
#include "config/json_file.hpp"
#include "config/limits.hpp"
#include "moe/routing_skew.hpp"
#include "net/collective.hpp"
#include "topology/build.hpp"
#include "units/parse.hpp"

namespace switchsim::cli {
namespace {

struct CollectiveOptions {
  std::string cluster;
  std::string op = "alltoall";
  std::string algo;
  std::string bytes;
  std::string max_bytes;
  double step_factor = 2.0;
  std::optional<std::int64_t> ranks;           // default: every device
  std::optional<std::int64_t> ranks_per_node;  // default: the topology's node size
  std::string skew = "uniform";
  std::string matrix;  // JSON file with an explicit alltoallv byte matrix
  bool ecmp = false;
  bool json = false;
};

Bytes parse_size(const std::string& text, const char* option) {
  try {
    return parse_bytes(text);
  } catch (const std::invalid_argument& e) {
    throw UsageError(fmt::format("{}: {}", option, e.what()));
  }
}

// Largest size per rank: with up to 2^18 ranks (config/limits.hpp), every total stays below 2^63.
const Bytes kMaxBytesPerRank(std::int64_t{1} << 40);

// The sizes of a sweep: first, first * f, first * f^2, ... (each at least one byte more than
// the last), ending with `last`. A factor so close to 1 that the sweep would exceed
// config::kMaxSizes sizes is refused before any work.
std::vector<Bytes> sweep_sizes(Bytes first, Bytes last, double factor) {
  std::vector<Bytes> sizes;
  for (Bytes size = first;;) {
    sizes.push_back(size);
    if (static_cast<std::int64_t>(sizes.size()) > config::kMaxSizes)
      throw UsageError(fmt::format("--step-factor {} from --bytes {} to --max-bytes {} gives more than {} sizes "
                                   "(switchsim's limit); use a larger factor",
                                   factor, first.count(), last.count(), config::kMaxSizes));
    if (size >= last) break;
    const double scaled = size.as_double() * factor;
    size = scaled >= last.as_double() ? last : std::min(last, Bytes(std::max<std::int64_t>(size.count() + 1, std::llround(scaled))));
  }
  return sizes;
}

// Share of each rank's bytes that goes to destination rank j: the routing skew (parsed by
// moe::parse_routing_skew) read over destination ranks: zipf:S gives rank j (j+1)^-S of the
// mass; hot:F sends F to rank 0 and spreads the rest evenly over all n ranks (rank 0 included).
std::vector<double> skew_weights(const std::string& text, std::int64_t n) {
  moe::RoutingSkew skew;
  try {
    skew = moe::parse_routing_skew(text);
  } catch (const std::invalid_argument& e) {
    throw UsageError(fmt::format("--skew: {} (expected uniform, zipf:S or hot:F)", e.what()));
  }
  if (skew.kind != moe::RoutingSkew::Kind::hot) return moe::skew_shares(skew, n);
  std::vector<double> w(static_cast<std::size_t>(n), (1.0 - skew.parameter) / static_cast<double>(n));
  w[0] += skew.parameter;
  return w;
}

// An explicit alltoallv traffic matrix: {"bytes": [[b00, b01, ...], [b10, ...], ...]},
// bytes[i][j] from rank i to rank j, non-negative integers, square. Errors name the file and
// the JSON pointer of the offending field (config::ConfigError: exit 2).
std::vector<std::vector<Bytes>> read_matrix(const std::string& file) {
  const auto j = config::load_json_file(file);
  if (!j.is_object()) throw config::ConfigError(file, "", "must be a JSON object with a \"bytes\" matrix");
  for (const auto& [key, value] : j.items())
    if (key != "bytes" && key != "sources" && key != "description")
      throw config::ConfigError(file, "/" + key, "unknown field (expected \"bytes\", optional \"description\", \"sources\")");
  if (!j.contains("bytes")) throw config::ConfigError(file, "/bytes", "is required: a square array of arrays of byte counts");
  const auto& rows = j.at("bytes");
  if (!rows.is_array() || rows.empty()) throw config::ConfigError(file, "/bytes", "must be a non-empty array of rows");
  std::vector<std::vector<Bytes>> m;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto where = fmt::format("/bytes/{}", i);
    if (!rows[i].is_array() || rows[i].size() != rows.size())
      throw config::ConfigError(file, where, fmt::format("must be an array of {} byte counts (the matrix is square)", rows.size()));
    std::vector<Bytes> row;
    for (std::size_t k = 0; k < rows[i].size(); ++k) {
      const auto& v = rows[i][k];
      if (!v.is_number_integer() || v.get<std::int64_t>() < 0)
        throw config::ConfigError(file, fmt::format("{}/{}", where, k), "must be a non-negative integer number of bytes, got " + v.dump());
      row.push_back(Bytes(v.get<std::int64_t>()));
    }
    m.push_back(std::move(row));
  }
  return m;
}

struct Result {
  Bytes size;
  Picoseconds time;
  double algbw = 0.0;  // bytes/s
  double busbw = 0.0;
  double peak = 0.0;
  std::string peak_link;
  std::string peak_class;
  std::map<std::string, double> peak_by_class;
};

Result run_one(const topology::Topology& topo, net::CollectiveSpec spec, Bytes size, const std::string& skew) {
  spec.bytes_per_rank = size;
  const auto n = static_cast<std::int64_t>(spec.ranks.size());
  if (spec.op == net::CollectiveOp::alltoallv && spec.matrix.empty()) {
    const auto w = skew_weights(skew, n);
    spec.matrix.assign(static_cast<std::size_t>(n), {});
    for (auto& row : spec.matrix)
      for (std::int64_t j = 0; j < n; ++j)
        row.push_back(Bytes(std::llround(size.as_double() * w[static_cast<std::size_t>(j)])));
  }
  Result r;
  r.size = size;
  std::vector<double> peak;
  try {
    r.time = net::collective_time(topo, spec, peak);
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  r.algbw = r.time.count() > 0 ? (size / r.time).value() : 0.0;
  r.busbw = r.algbw * net::bus_factor(spec.op, n);
  for (std::size_t l = 0; l < peak.size(); ++l) {
    const auto& cls = topo.link_classes()[static_cast<std::size_t>(topo.links()[l].link_class)];
    auto& by = r.peak_by_class[cls];
    by = std::max(by, peak[l]);
    if (peak[l] > r.peak) {
      r.peak = peak[l];
      r.peak_link = topo.link_name(static_cast<std::int32_t>(l));
      r.peak_class = cls;
    }
  }
  return r;
}

int run_collective_command(const CollectiveOptions& o) {
  auto op = net::parse_op(o.op);
  if (!op) throw UsageError(fmt::format("--op: unknown operation '{}'", o.op));
  if (!o.matrix.empty()) {
    if (*op != net::CollectiveOp::alltoall && *op != net::CollectiveOp::alltoallv)
      throw UsageError("--matrix gives an alltoallv's bytes: use it with --op alltoallv");
    if (o.skew != "uniform") throw UsageError("--matrix and --skew both give the bytes: choose one");
    if (!o.bytes.empty() || !o.max_bytes.empty()) throw UsageError("--matrix gives the bytes: drop --bytes and --max-bytes");
    op = net::CollectiveOp::alltoallv;
  } else if (o.bytes.empty()) {
    throw UsageError("--bytes is required (the size per rank), unless --matrix gives every pair's bytes");
  }
  std::string algo_name = o.algo;
  if (algo_name.empty()) algo_name = (*op == net::CollectiveOp::alltoall || *op == net::CollectiveOp::alltoallv) ? "direct" : "ring";
  const auto algo = net::parse_algorithm(algo_name);
  const auto supported = net::algorithms_for(*op);
  if (!algo || std::find(supported.begin(), supported.end(), *algo) == supported.end()) {
    std::string list;
    for (auto a : supported) list += (list.empty() ? "" : ", ") + net::to_string(a);
    throw UsageError(fmt::format("--algo: {} supports {}; got '{}'", o.op, list, algo_name));
  }
  if (o.skew != "uniform" && *op != net::CollectiveOp::alltoallv) throw UsageError("--skew applies to --op alltoallv only");
  std::vector<std::vector<Bytes>> matrix;
  if (!o.matrix.empty()) matrix = read_matrix(o.matrix);
  Bytes first{0};
  if (!matrix.empty()) {  // the size column: the most any rank sends
    for (const auto& row : matrix) {
      Bytes sent{0};
      for (const auto b : row) {
        if (b > kMaxBytesPerRank - sent)
          throw UsageError(fmt::format("--matrix: {}: a row sends more than 2^40 bytes (1 TiB) per rank (switchsim's limit)",
                                       o.matrix));
        sent += b;
      }
      first = std::max(first, sent);
    }
  } else {
    first = parse_size(o.bytes, "--bytes");
  }
  const Bytes last = o.max_bytes.empty() ? first : parse_size(o.max_bytes, "--max-bytes");
  if (last < first) throw UsageError("--max-bytes must be at least --bytes");
  for (const auto& [size, option] : {std::pair{first, "--bytes"}, std::pair{last, "--max-bytes"}})
    if (size > kMaxBytesPerRank)
      throw UsageError(fmt::format("{}: at most 2^40 bytes (1 TiB) per rank (switchsim's limit), got {}", option,
                                   size.count()));
  if (!(o.step_factor > 1.0) || !std::isfinite(o.step_factor))
    throw UsageError(fmt::format("--step-factor must be a finite number greater than 1, got {}", o.step_factor));
  const std::vector<Bytes> sizes = sweep_sizes(first, last, o.step_factor);
  if (o.ranks && *o.ranks < 1) throw UsageError(fmt::format("--ranks must be at least 1, got {}", *o.ranks));
  if (o.ranks_per_node && *o.ranks_per_node < 1)
    throw UsageError(fmt::format("--ranks-per-node must be at least 1, got {}", *o.ranks_per_node));
  if (*op == net::CollectiveOp::alltoallv) skew_weights(o.skew, 2);  // reject a bad --skew before any work

  const auto catalog = config::Catalog::from_environment();
  const auto cluster = catalog.cluster(o.cluster);
  const auto topo = topology::build_topology(cluster, topology::RoutingOptions{o.ecmp});
  const std::int64_t n =
      !matrix.empty() ? static_cast<std::int64_t>(matrix.size()) : o.ranks.value_or(topo.endpoint_count());
  if (!matrix.empty() && o.ranks && *o.ranks != n)
    throw UsageError(fmt::format("--ranks: {} but the matrix in {} has {} rows", *o.ranks, o.matrix, n));
  if (n < 1 || n > topo.endpoint_count())
    throw UsageError(!matrix.empty() ? fmt::format("--matrix: {} has {} rows but {} has {} devices", o.matrix, n,
                                                   cluster.name, topo.endpoint_count())
                                     : fmt::format("--ranks: {} has {} devices, got {}", cluster.name,
                                                   topo.endpoint_count(), n));

  net::CollectiveSpec spec;
  spec.op = *op;
  spec.algorithm = *algo;
  spec.ranks.resize(static_cast<std::size_t>(n));
  std::iota(spec.ranks.begin(), spec.ranks.end(), 0);
  spec.ranks_per_node = o.ranks_per_node.value_or(0);  // 0: the topology's node size
  spec.matrix = std::move(matrix);

  std::vector<Result> results;
  for (const Bytes size : sizes) results.push_back(run_one(topo, spec, size, o.skew));

  if (o.json) {
    nlohmann::json rows = nlohmann::json::array();
    for (const auto& r : results)
      rows.push_back({{"size_bytes", r.size.count()},
                      {"time_us", r.time.seconds() * 1e6},
                      {"algbw_GBps", r.algbw / 1e9},
                      {"busbw_GBps", r.busbw / 1e9},
                      {"peak_link_utilization", r.peak},
                      {"peak_link", r.peak_link},
                      {"peak_link_class", r.peak_class},
                      {"peak_utilization_by_class", r.peak_by_class}});
    nlohmann::json out{{"cluster", cluster.name},      {"topology", topo.kind()}, {"op", net::to_string(*op)},
                       {"algorithm", algo_name},       {"ranks", n},              {"ecmp", o.ecmp},
                       {"results", rows}};
    if (*op == net::CollectiveOp::alltoallv) out["skew"] = o.matrix.empty() ? o.skew : "matrix";
    if (!o.matrix.empty()) out["matrix"] = o.matrix;
    fmt::print("{}\n", out.dump(2));
    return 0;
  }
  fmt::print("# collective {} ({}) on {} ({}), {} ranks{}{}\n", net::to_string(*op), algo_name, cluster.name, topo.kind(), n,
             *op == net::CollectiveOp::alltoallv ? (o.matrix.empty() ? ", skew " + o.skew : ", matrix " + o.matrix) : "",
             o.ecmp ? ", ECMP" : "");
  fmt::print("# size_bytes: bytes each rank sends (alltoall) or holds (allreduce, allgather, reducescatter)\n");
  fmt::print("# busbw = algbw * {}\n",
             *op == net::CollectiveOp::allreduce ? "2(n-1)/n" : "(n-1)/n");
  fmt::print("{:>14} {:>14} {:>12} {:>12} {:>10}  {}\n", "size_bytes", "time_us", "algbw_GBps", "busbw_GBps",
             "peak_util", "peak_link (class)");
  for (const auto& r : results)
    fmt::print("{:>14} {:>14.3f} {:>12.3f} {:>12.3f} {:>10.3f}  {}\n", r.size.count(), r.time.seconds() * 1e6,
               r.algbw / 1e9, r.busbw / 1e9, r.peak, r.peak_link.empty() ? "-" : r.peak_link + " (" + r.peak_class + ")");
  if (results.size() == 1) {
    std::string classes;
    for (const auto& [cls, peak] : results[0].peak_by_class) classes += fmt::format(" {} {:.3f}", cls, peak);
    fmt::print("# peak utilization by link class:{}\n", classes);
  }
  return 0;
}

}  // namespace

void setup_collective(CLI::App& app, Action& action) {
  auto* cmd = app.add_subcommand(
      "collective",
      "Time a collective on a cluster's network (flow model, max-min fair sharing); prints time, algbw and busbw\n"
      "(nccl-tests conventions) and per-link peak utilization.\n"
      "Examples:\n"
      "  switchsim collective --cluster dgx-h100-8 --op alltoall --algo direct --bytes 1G\n"
      "  switchsim collective --cluster dgx-h100-8 --op allreduce --algo ring --bytes 8 --max-bytes 1G --step-factor 2\n"
      "  switchsim collective --cluster h100-fat-tree-1024 --op alltoallv --bytes 64M --ranks 64 --skew hot:0.5\n"
      "  switchsim collective --cluster dgx-h100-8 --op alltoallv --matrix traffic.json");
  auto o = std::make_shared<CollectiveOptions>();
  cmd->add_option("--cluster", o->cluster, "Cluster name (hardware/) or path to a cluster JSON file")->required();
  cmd->add_option("--op", o->op, "alltoall | alltoallv | allreduce | allgather | reducescatter (default alltoall)");
  cmd->add_option("--algo", o->algo,
                  "direct | pairwise | hierarchical (all-to-all); ring | tree | hierarchical | direct (allreduce);\n"
                  "ring | direct (allgather, reducescatter). Default: direct for all-to-all, ring otherwise");
  cmd->add_option("--bytes", o->bytes,
                  "Size S in bytes per rank (suffixes K, M, G = 2^10, 2^20, 2^30): what each rank sends "
                  "(alltoall) or holds (allreduce, allgather, reducescatter). Required unless --matrix");
  cmd->add_option("--max-bytes", o->max_bytes, "Sweep sizes from --bytes up to this size in bytes (default: no sweep)");
  cmd->add_option("--step-factor", o->step_factor, "Sweep: multiply the size by this factor each step (default 2)");
  cmd->add_option("--ranks", o->ranks, "Number of ranks, endpoints 0..N-1 (default: every device of the cluster)");
  cmd->add_option("--ranks-per-node", o->ranks_per_node,
                  "Hierarchical algorithms: ranks in the inner group (default: GPUs per node / cores per chip)");
  cmd->add_option("--skew", o->skew,
                  "alltoallv destination skew, the same for every sender: uniform (S/n to each rank), zipf:s (rank j\n"
                  "gets a share proportional to (j+1)^-s), hot:f (fraction f of S to rank 0, the rest evenly over all\n"
                  "ranks). Default uniform");
  cmd->add_option("--matrix", o->matrix,
                  "JSON file with an explicit alltoallv traffic matrix, {\"bytes\": [[b00, b01, ...], ...]}: bytes[i][j]\n"
                  "from rank i to rank j (non-negative integers, square, one row per rank 0..n-1). Implies --op alltoallv;\n"
                  "size_bytes is then the most any rank sends");
  cmd->add_flag("--ecmp", o->ecmp, "Split each flow evenly over equal-cost shortest paths (default off: one path)");
  cmd->add_flag("--json", o->json, "Print JSON instead of a table");
  cmd->callback([o, &action] { action = [o] { return run_collective_command(*o); }; });
}

}  // namespace switchsim::cli
