#include "randomization/stages.h"

#include <algorithm>
#include <set>

#include "core/error.h"

namespace sanity {

RandomizationOrder parse_randomization_order(const std::string& name) {
  if (name == "cascading") return RandomizationOrder::Cascading;
  if (name == "bottom_up") return RandomizationOrder::BottomUp;
  if (name == "independent") return RandomizationOrder::Independent;
  throw InputError("randomization order '" + name + "': expected cascading, bottom_up or independent");
}

std::string to_string(RandomizationOrder o) {
  switch (o) {
    case RandomizationOrder::Cascading: return "cascading";
    case RandomizationOrder::BottomUp: return "bottom_up";
    case RandomizationOrder::Independent: return "independent";
  }
  return "?";
}

namespace {

// True if `node_name` is `prefix` or lies under it as a module path ("layer4" covers "layer4.0.conv1"
// and "/layer4/layer4.0/conv1/Conv").
bool under(const std::string& node_name, const std::string& prefix) {
  if (node_name == prefix) return true;
  if (node_name.rfind(prefix + ".", 0) == 0) return true;
  return node_name.find("/" + prefix + "/") != std::string::npos ||
         node_name.rfind(prefix + "/", 0) == 0;
}

}  // namespace

std::vector<LayerGroup> layer_groups(const Graph& graph, const std::vector<std::string>& names) {
  const std::vector<int> top_down = graph.layers_top_down();
  std::vector<LayerGroup> groups;
  if (names.empty()) {
    for (int k : top_down) groups.push_back({graph.node(k).name, {k}});
    return groups;
  }
  std::set<int> used;
  for (const auto& name : names) {
    LayerGroup g{name, {}};
    auto exact = graph.try_find(name);
    for (int k : top_down)
      if ((exact && *exact == k) || under(graph.node(k).name, name)) g.nodes.push_back(k);
    if (g.nodes.empty()) {
      std::string valid;
      for (int k : top_down) valid += (valid.empty() ? "" : " ") + graph.node(k).name;
      throw InputError("--layers " + name + ": matches no layer with parameters; layers: " + valid);
    }
    for (int k : g.nodes)
      if (!used.insert(k).second)
        throw InputError("--layers " + name + ": layer " + graph.node(k).name + " is already in an earlier group");
    groups.push_back(std::move(g));
  }
  return groups;
}

std::vector<Stage> plan_stages(const std::vector<LayerGroup>& groups, RandomizationOrder order) {
  std::vector<Stage> stages{{0, "original", {}}};
  const int n = static_cast<int>(groups.size());
  for (int s = 1; s <= n; ++s) {
    Stage st;
    st.index = s;
    if (order == RandomizationOrder::Independent) {
      st.name = groups[s - 1].name;
      st.randomized = groups[s - 1].nodes;
    } else {
      // cascading walks the groups from the output, bottom_up from the input.
      for (int i = 0; i < s; ++i) {
        const LayerGroup& g = order == RandomizationOrder::Cascading ? groups[i] : groups[n - 1 - i];
        st.randomized.insert(st.randomized.end(), g.nodes.begin(), g.nodes.end());
        st.name = g.name;
      }
    }
    stages.push_back(std::move(st));
  }
  return stages;
}

Graph stage_model(const Graph& trained, const Stage& stage, const ReinitOptions& options) {
  Graph g = trained.clone();
  for (int k : stage.randomized) randomize_layer(g, k, options);
  return g;
}

}  // namespace sanity
