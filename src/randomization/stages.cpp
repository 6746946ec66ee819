#include "randomization/stages.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "core/error.h"
#include "models/layers.h"

namespace sanity {

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

std::vector<std::string> segments(const std::string& path) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t dot; (dot = path.find('.', start)) != std::string::npos; start = dot + 1) out.push_back(path.substr(start, dot - start));
  out.push_back(path.substr(start));
  return out;
}

std::string joined(const std::vector<std::string>& segs, size_t count) {
  std::string s;
  for (size_t i = 0; i < count && i < segs.size(); ++i) s += (i ? "." : "") + segs[i];
  return s;
}

// The name without its trailing digits, if it has some ("encoder_layer_11" -> "encoder_layer_").
std::optional<std::string> numbered_stem(const std::string& seg) {
  size_t end = seg.size();
  while (end > 0 && std::isdigit(static_cast<unsigned char>(seg[end - 1]))) --end;
  if (end == seg.size()) return std::nullopt;
  return seg.substr(0, end);
}

// Which module paths are sequences: containers of blocks applied one after another, as an
// nn.Sequential or a ModuleList ("features": 0 ... 7; "encoder.layers": encoder_layer_0 ... 11;
// "layer4": 0, 1, 2). Their children are numbered alike, and each child's layers depend on the
// previous child's: GoogLeNet's branch1 ... branch4 are numbered alike but run side by side.
class ModuleTree {
 public:
  ModuleTree(const Graph& g, const std::vector<int>& nodes, const std::vector<std::vector<std::string>>& paths)
      : ancestors_(static_cast<size_t>(g.size())) {
    for (size_t t = 0; t < paths.size(); ++t) {
      const auto& p = paths[t];
      for (size_t i = 0; i < p.size(); ++i) {
        children_[joined(p, i)].insert(p[i]);
        members_[joined(p, i + 1)].push_back(nodes[t]);
      }
    }
    for (int k = 0; k < g.size(); ++k) {
      auto& a = ancestors_[static_cast<size_t>(k)];
      a.assign(static_cast<size_t>(g.size()), 0);
      for (int i : g.node(k).inputs) {
        a[static_cast<size_t>(i)] = 1;
        const auto& ai = ancestors_[static_cast<size_t>(i)];
        for (size_t j = 0; j < ai.size(); ++j) a[j] |= ai[j];
      }
    }
  }

  // Sequence: children numbered alike, each depending on the one before. Branches: numbered alike but
  // side by side (GoogLeNet's inception5b: branch1 ... branch4), which makes the module one block.
  enum class Kind { Other, Sequence, Branches };
  Kind kind(const std::string& prefix) const {
    const auto it = children_.find(prefix);
    if (it == children_.end() || it->second.size() < 2) return Kind::Other;
    std::optional<std::string> stem;
    std::vector<std::pair<int64_t, std::string>> order;
    for (const auto& child : it->second) {
      const auto s = numbered_stem(child);
      if (!s || (stem && *s != *stem)) return Kind::Other;
      const std::string path = prefix.empty() ? child : prefix + "." + child;
      if (!s->empty() && !children_.count(path)) return Kind::Other;  // conv1, conv2: layers of one block
      stem = s;
      order.push_back({std::stoll(child.substr(s->size())), path});
    }
    std::sort(order.begin(), order.end());
    for (size_t i = 1; i < order.size(); ++i)
      if (!depends(members_.at(order[i].second), members_.at(order[i - 1].second))) return Kind::Branches;
    return Kind::Sequence;
  }
  bool is_sequence(const std::string& prefix) const { return kind(prefix) == Kind::Sequence; }
  // Whether a child of `prefix` is a sequence: `prefix` then holds stages (DenseNet's features).
  bool holds_sequence(const std::string& prefix) const {
    const auto it = children_.find(prefix);
    if (it == children_.end()) return false;
    for (const auto& child : it->second)
      if (is_sequence(prefix.empty() ? child : prefix + "." + child)) return true;
    return false;
  }

 private:
  bool depends(const std::vector<int>& later, const std::vector<int>& earlier) const {
    for (int a : later)
      for (int b : earlier)
        if (ancestors_[static_cast<size_t>(a)][static_cast<size_t>(b)]) return true;
    return false;
  }

  std::map<std::string, std::set<std::string>> children_;
  std::map<std::string, std::vector<int>> members_;  // parameterized nodes under each path
  std::vector<std::vector<char>> ancestors_;
};

bool is_embedding(const Layer& l) { return l.kind() == LayerKind::ParamExpand || l.kind() == LayerKind::ConstArith; }

}  // namespace

std::vector<LayerGroup> module_groups(const Graph& graph) {
  const std::vector<int> top_down = graph.layers_top_down();
  std::vector<std::vector<std::string>> paths;
  for (int k : top_down) paths.push_back(segments(graph.path(k).empty() ? graph.node(k).name : graph.path(k)));
  const ModuleTree tree(graph, top_down, paths);
  std::vector<LayerGroup> groups;
  std::map<std::string, size_t> by_key;
  std::vector<std::vector<std::string>> prefix;  // per group: the common path of its members
  std::vector<std::pair<int, size_t>> embeddings;  // (node, its position in top_down)
  for (size_t t = 0; t < top_down.size(); ++t) {
    const auto& p = paths[t];
    // The block: the element of the first sequence on the path, and of nested sequences below it.
    size_t cut = 0;
    for (size_t i = 0; i < p.size() && cut == 0; ++i) {
      const auto kind = tree.kind(joined(p, i));
      if (kind == ModuleTree::Kind::Sequence) cut = i + 1;
      if (kind == ModuleTree::Kind::Branches && i > 0) cut = i;  // the module of parallel branches
    }
    const bool inside_block = cut > 0;
    while (inside_block && cut < p.size() && tree.kind(joined(p, cut)) == ModuleTree::Kind::Sequence) ++cut;
    // Off every sequence: the child of the deepest module that holds one (DenseNet's features.transition3,
    // a ViT's encoder.ln), else the top-level module (Inception's Mixed_7c).
    for (size_t i = p.size(); !inside_block && cut == 0 && i-- > 0;)
      if (tree.holds_sequence(joined(p, i))) cut = i + 1;
    if (cut == 0) cut = 1;
    if (!inside_block && is_embedding(*graph.node(top_down[t]).layer)) {
      embeddings.push_back({top_down[t], t});
      continue;
    }
  const std::string key = joined(p, cut);
    auto [it, fresh] = by_key.emplace(key, groups.size());
    if (fresh) {
      groups.push_back({key, {}});
      prefix.push_back(p);
    }
    LayerGroup& g = groups[it->second];
    g.nodes.push_back(top_down[t]);
    auto& common = prefix[it->second];
    size_t same = 0;
    while (same < common.size() && same < p.size() && common[same] == p[same]) ++same;
    common.resize(same);
  }
  for (size_t i = 0; i < groups.size(); ++i)
    if (prefix[i].size() > segments(groups[i].name).size()) groups[i].name = joined(prefix[i], prefix[i].size());
  // Embeddings join the group of the nearest parameterized layer below them (output to input order:
  // the next entries of top_down), or above them when none is below.
  for (const auto& [node, t] : embeddings) {
    std::optional<size_t> target;
    for (size_t u = t + 1; u < top_down.size() && !target; ++u)
      for (size_t gi = 0; gi < groups.size() && !target; ++gi)
        if (std::count(groups[gi].nodes.begin(), groups[gi].nodes.end(), top_down[u])) target = gi;
    if (!target && !groups.empty()) target = groups.size() - 1;
    if (!target) {
      groups.push_back({graph.node(node).name, {}});
      target = 0;
    }
    groups[*target].nodes.push_back(node);
  }
  return groups;
}

std::vector<LayerGroup> layer_groups(const Graph& graph, const std::vector<std::string>& names) {
  const std::vector<int> top_down = graph.layers_top_down();
  std::vector<LayerGroup> groups;
  if (names.size() == 1 && names[0] == "blocks") return module_groups(graph);
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

namespace {

// What errors call a stage's model: "fc2, fc1 re-initialized".
std::string randomized_state(const Graph& trained, const Stage& stage) {
  std::string s;
  const size_t shown = std::min<size_t>(stage.randomized.size(), 3);
  for (size_t i = 0; i < shown; ++i) {
    const Node& n = trained.node(stage.randomized[i]);
    s += (i ? ", " : "") + (n.path.empty() ? n.name : n.path);
  }
  if (stage.randomized.size() > shown) s += " and " + std::to_string(stage.randomized.size() - shown) + " more";
  return s + " re-initialized";
}

}  // namespace

Graph stage_model(const Graph& trained, const Stage& stage, const ReinitOptions& options) {
  Graph g = trained.clone();
  for (int k : stage.randomized) randomize_layer(g, k, options);
  if (!stage.randomized.empty()) g.metadata[kModelState] = randomized_state(trained, stage);
  return g;
}

Graph shared_stage_model(const Graph& trained, const Stage& stage, const ReinitOptions& options,
                         std::map<int, std::shared_ptr<Layer>>& fresh) {
  std::map<int, std::shared_ptr<Layer>> replaced;
  for (int k : stage.randomized) {
    std::shared_ptr<Layer>& layer = fresh[k];
    if (!layer) {
      Graph one = trained.share({{k, std::shared_ptr<Layer>(trained.node(k).layer->clone())}});
      randomize_layer(one, k, options);
      layer = one.node(k).layer;
    }
    replaced[k] = layer;
  }
  Graph g = trained.share(replaced);
  if (!stage.randomized.empty()) g.metadata[kModelState] = randomized_state(trained, stage);
  return g;
}

}  // namespace sanity
