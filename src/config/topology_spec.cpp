#include "config/topology_spec.hpp"

#include <limits>
#include <set>

#include "config/limits.hpp"
#include "config/object_reader.hpp"
#include "units/checked.hpp"

namespace switchsim::config {
namespace {

// A link given as "<prefix>bandwidth_GBps" or "<prefix>bandwidth_Gbps", and "<prefix>latency_us".
LinkSpec read_link(ObjectReader& r, const std::string& prefix) {
  LinkSpec link;
  const std::string gbyte = prefix + "bandwidth_GBps";
  const std::string gbit = prefix + "bandwidth_Gbps";
  if (r.has(gbyte) && r.has(gbit)) r.fail(gbit, "give either " + gbyte + " or " + gbit + ", not both");
  const std::string& key = r.has(gbit) ? gbit : gbyte;
  const double value = r.positive_number(key);
  link.bandwidth = key == gbit ? BytesPerSecond::gigabits(value) : BytesPerSecond::gigabytes(value);
  if (!(link.bandwidth.value() >= kMinBandwidthBytesPerSecond && link.bandwidth.value() <= kMaxBandwidthBytesPerSecond))
    r.fail(key, "must be between 1 kB/s and 1 PB/s (switchsim's limits), got " + describe_value(nlohmann::json(value)));
  link.latency = r.microseconds_or(prefix + "latency_us", 0.0);
  return link;
}

LinkSpec read_link_object(ObjectReader r) {
  LinkSpec link = read_link(r, "");
  r.finish();
  return link;
}

TopologySpec parse_edges(ObjectReader& r) {
  EdgeListSpec spec;
  std::set<std::string> names;
  const auto& nodes = r.array("nodes");
  if (nodes.empty()) r.fail("nodes", "must list at least two nodes");
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    ObjectReader n(nodes[i], r.file(), r.pointer_to("nodes") + "/" + std::to_string(i));
    EdgeListSpec::Node node;
    node.name = n.string("name");
    node.endpoint = n.choice_or("kind", {"endpoint", "switch"}, "endpoint") == "endpoint";
    if (n.has("forwards")) {
      if (!node.endpoint) n.fail("forwards", "applies to endpoints only (switches always forward)");
      node.forwards = n.boolean_or("forwards", false);
    }
    if (!names.insert(node.name).second) n.fail("name", "duplicate node name \"" + node.name + "\"");
    n.finish();
    spec.nodes.push_back(std::move(node));
  }
  const auto& edges = r.array("links");
  for (std::size_t i = 0; i < edges.size(); ++i) {
    ObjectReader e(edges[i], r.file(), r.pointer_to("links") + "/" + std::to_string(i));
    EdgeListSpec::Edge edge;
    edge.from = e.string("from");
    edge.to = e.string("to");
    if (!names.contains(edge.from)) e.fail("from", "unknown node \"" + edge.from + "\"");
    if (!names.contains(edge.to)) e.fail("to", "unknown node \"" + edge.to + "\"");
    if (edge.from == edge.to) e.fail("to", "a link must join two different nodes");
    edge.link = read_link(e, "");
    edge.bidirectional = e.boolean_or("bidirectional", true);
    e.finish();
    spec.edges.push_back(std::move(edge));
  }
  spec.ecmp = r.boolean_or("ecmp", false);
  return spec;
}

}  // namespace

std::int64_t endpoint_count(const TopologySpec& spec) {
  struct Visitor {
    std::int64_t operator()(const NvSwitchSpec& s) const { return s.endpoints; }
    std::int64_t operator()(const FatTreeSpec& s) const {
      return size_product("endpoints", {s.nodes, s.endpoints_per_node});
    }
    std::int64_t operator()(const TorusSpec& s) const {
      std::int64_t chips = 1;
      for (auto d : s.dims) chips = size_product("torus chips", {chips, d});
      return size_product("endpoints", {chips, s.endpoints_per_chip});
    }
    std::int64_t operator()(const RingSpec& s) const { return s.endpoints; }
    std::int64_t operator()(const DragonflySpec& s) const {
      return size_product("endpoints", {s.groups, s.routers_per_group, s.endpoints_per_router});
    }
    std::int64_t operator()(const EdgeListSpec& s) const {
      std::int64_t n = 0;
      for (const auto& node : s.nodes) n += node.endpoint ? 1 : 0;
      return n;
    }
  };
  return std::visit(Visitor{}, spec);
}

std::string topology_kind(const TopologySpec& spec) {
  struct Visitor {
    std::string operator()(const NvSwitchSpec&) const { return "nvswitch"; }
    std::string operator()(const FatTreeSpec& s) const { return s.rail_optimized ? "rail_fat_tree" : "fat_tree"; }
    std::string operator()(const TorusSpec&) const { return "torus"; }
    std::string operator()(const RingSpec&) const { return "ring"; }
    std::string operator()(const DragonflySpec&) const { return "dragonfly"; }
    std::string operator()(const EdgeListSpec&) const { return "edges"; }
  };
  return std::visit(Visitor{}, spec);
}

TopologySpec parse_topology(const nlohmann::json& object, const std::string& file, const std::string& pointer) {
  ObjectReader r(object, file, pointer);
  const std::string kind =
      r.choice("kind", {"nvswitch", "fat_tree", "rail_fat_tree", "torus", "ring", "dragonfly", "edges"});
  TopologySpec result;
  if (kind == "nvswitch") {
    NvSwitchSpec s;
    s.endpoints = r.positive_int("endpoints");
    s.link = read_link(r, "link_");
    result = s;
  } else if (kind == "fat_tree" || kind == "rail_fat_tree") {
    FatTreeSpec s;
    s.rail_optimized = kind == "rail_fat_tree";
    s.nodes = r.positive_int("nodes");
    s.endpoints_per_node = r.positive_int("endpoints_per_node");
    if (auto intra = r.optional_object("intra_node")) s.intra_node = read_link_object(*intra);
    s.nic = read_link(r, "nic_");
    s.nodes_per_leaf = r.positive_int("nodes_per_leaf");
    s.oversubscription = r.positive_number_or("oversubscription", 1.0);
    if (s.oversubscription < 1.0) r.fail("oversubscription", "must be at least 1 (1 = non-blocking)");
    s.switch_latency = r.microseconds_or("switch_latency_us", 0.0);
    if (s.nodes % s.nodes_per_leaf != 0)
      r.fail("nodes_per_leaf", "must divide nodes (" + std::to_string(s.nodes) + "), got " +
                                   std::to_string(s.nodes_per_leaf));
    if (auto pod = r.optional_positive_int("nodes_per_pod")) {
      if (*pod % s.nodes_per_leaf != 0 || s.nodes % *pod != 0)
        r.fail("nodes_per_pod", "must be a multiple of nodes_per_leaf (" + std::to_string(s.nodes_per_leaf) +
                                    ") that divides nodes (" + std::to_string(s.nodes) + "), got " + std::to_string(*pod));
      s.nodes_per_pod = *pod;
    }
    result = s;
  } else if (kind == "torus") {
    TorusSpec s;
    s.dims = r.positive_int_array("dims");
    if (s.dims.size() > 3) r.fail("dims", "a torus has 1 to 3 dimensions");
    s.endpoints_per_chip = r.positive_int_or("endpoints_per_chip", 1);
    s.link = read_link(r, "link_");
    if (auto intra = r.optional_object("intra_chip")) s.intra_chip = read_link_object(*intra);
    result = s;
  } else if (kind == "ring") {
    RingSpec s;
    s.endpoints = r.positive_int("endpoints");
    s.link = read_link(r, "link_");
    s.bidirectional = r.boolean_or("bidirectional", true);
    result = s;
  } else if (kind == "dragonfly") {
    DragonflySpec s;
    s.groups = r.positive_int("groups");
    s.routers_per_group = r.positive_int("routers_per_group");
    s.endpoints_per_router = r.positive_int("endpoints_per_router");
    s.endpoint_link = read_link(r, "endpoint_");
    s.local_link = read_link(r, "local_");
    s.global_link = read_link(r, "global_");
    result = s;
  } else {
    result = parse_edges(r);
  }
  // The field that sizes each kind, for errors about the number of endpoints.
  const char* size_field = kind == "torus" ? "dims"
                           : kind == "dragonfly" ? "groups"
                           : kind == "edges" ? "nodes"
                           : kind == "fat_tree" || kind == "rail_fat_tree" ? "nodes"
                                                                           : "endpoints";
  std::int64_t endpoints = 0;
  try {
    endpoints = endpoint_count(result);
  } catch (const OverflowError&) {
    endpoints = std::numeric_limits<std::int64_t>::max();
  }
  if (endpoints < 1) r.fail(size_field, "the topology has no endpoints");
  if (endpoints > kMaxDevices)
    r.fail(size_field, "the topology has more than " + std::to_string(kMaxDevices) +
                           " endpoints (switchsim's limit, see src/config/limits.hpp)");
  // Switches and routers are built one by one too: bound them by the same limit.
  if (const auto* f = std::get_if<FatTreeSpec>(&result); f && f->nodes > kMaxDevices) r.fail("nodes", "too many nodes");
  if (const auto* g = std::get_if<DragonflySpec>(&result);
      g && (g->groups > kMaxDevices || g->routers_per_group > kMaxDevices ||
            size_product("routers", {g->groups, g->routers_per_group}) > kMaxDevices))
    r.fail("routers_per_group", "groups x routers_per_group is above " + std::to_string(kMaxDevices) +
                                    " (switchsim's limit)");
  r.finish();
  return result;
}

namespace {
nlohmann::json link_json(const LinkSpec& l, const std::string& prefix = "") {
  return nlohmann::json{{prefix + "bandwidth_GBps", l.bandwidth.value() / 1e9},
                        {prefix + "latency_us", static_cast<double>(l.latency.count()) / 1e6}};
}
void merge(nlohmann::json& into, const nlohmann::json& from) {
  for (const auto& [k, v] : from.items()) into[k] = v;
}
}  // namespace

nlohmann::json to_json(const TopologySpec& spec) {
  nlohmann::json j{{"kind", topology_kind(spec)}};
  if (const auto* s = std::get_if<NvSwitchSpec>(&spec)) {
    j["endpoints"] = s->endpoints;
    merge(j, link_json(s->link, "link_"));
  } else if (const auto* f = std::get_if<FatTreeSpec>(&spec)) {
    j["nodes"] = f->nodes;
    j["endpoints_per_node"] = f->endpoints_per_node;
    if (f->intra_node) j["intra_node"] = link_json(*f->intra_node);
    merge(j, link_json(f->nic, "nic_"));
    j["nodes_per_leaf"] = f->nodes_per_leaf;
    j["oversubscription"] = f->oversubscription;
    if (f->nodes_per_pod > 0) j["nodes_per_pod"] = f->nodes_per_pod;
    j["switch_latency_us"] = static_cast<double>(f->switch_latency.count()) / 1e6;
  } else if (const auto* t = std::get_if<TorusSpec>(&spec)) {
    j["dims"] = t->dims;
    j["endpoints_per_chip"] = t->endpoints_per_chip;
    merge(j, link_json(t->link, "link_"));
    if (t->intra_chip) j["intra_chip"] = link_json(*t->intra_chip);
  } else if (const auto* g = std::get_if<RingSpec>(&spec)) {
    j["endpoints"] = g->endpoints;
    merge(j, link_json(g->link, "link_"));
    j["bidirectional"] = g->bidirectional;
  } else if (const auto* d = std::get_if<DragonflySpec>(&spec)) {
    j["groups"] = d->groups;
    j["routers_per_group"] = d->routers_per_group;
    j["endpoints_per_router"] = d->endpoints_per_router;
    merge(j, link_json(d->endpoint_link, "endpoint_"));
    merge(j, link_json(d->local_link, "local_"));
    merge(j, link_json(d->global_link, "global_"));
  } else if (const auto* e = std::get_if<EdgeListSpec>(&spec)) {
    j["nodes"] = nlohmann::json::array();
    for (const auto& n : e->nodes) {
      nlohmann::json node{{"name", n.name}, {"kind", n.endpoint ? "endpoint" : "switch"}};
      if (n.forwards) node["forwards"] = true;
      j["nodes"].push_back(std::move(node));
    }
    if (e->ecmp) j["ecmp"] = true;
    j["links"] = nlohmann::json::array();
    for (const auto& l : e->edges) {
      auto link = link_json(l.link);
      link["from"] = l.from;
      link["to"] = l.to;
      link["bidirectional"] = l.bidirectional;
      j["links"].push_back(link);
    }
  }
  return j;
}

}  // namespace switchsim::config
