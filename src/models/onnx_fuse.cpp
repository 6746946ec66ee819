// Fusion of decomposed operators before import (onnx_importer.h fuse_patterns). PyTorch exports
// F.layer_norm below opset 17 and F.gelu below opset 20 as chains of elementwise nodes:
//   LayerNorm: m = ReduceMean(x); d = x - m; v = ReduceMean(d^2); y = d / Sqrt(v + eps) [* w + b]
//   GELU:      y = x * (Erf(x / sqrt 2) + 1) * 0.5
// Each chain becomes one LayerNormalization or Gelu node, so the layer has its own VJP and LRP rules
// (AttnLRP's LayerNorm and GELU rules need the whole operation, not its pieces). A chain is fused
// only when its intermediate values are used by the chain alone.
#include <cmath>
#include <cstring>
#include <optional>

#include "models/onnx_importer.h"

namespace sanity::onnx_import {
namespace {

using Node = onnx::NodeProto;

class Matcher {
 public:
  Matcher(const onnx::GraphProto& g, const std::map<std::string, Constant>& constants)
      : g_(g), constants_(constants) {
    for (int i = 0; i < g.node_size(); ++i) {
      index_[&g.node(i)] = i;
      for (const auto& o : g.node(i).output()) producer_[o] = i;
      for (const auto& in : g.node(i).input()) ++uses_[in];
    }
    for (const auto& o : g.output()) ++uses_[o.name()];
  }

  // The node producing `value` if it has type `op` and `value` has exactly `uses` readers.
  const Node* made_by(const std::string& value, const char* op, int uses = 1) const {
    auto it = producer_.find(value);
    if (it == producer_.end() || g_.node(it->second).op_type() != op) return nullptr;
    if (uses_count(value) != uses) return nullptr;
    return &g_.node(it->second);
  }
  // Protobuf's repeated fields hold their elements apart: the index is looked up, not subtracted.
  int index_of(const Node* n) const { return index_.at(n); }
  int uses_count(const std::string& v) const {
    auto it = uses_.find(v);
    return it == uses_.end() ? 0 : it->second;
  }

  // A scalar constant from an initializer or a Constant node.
  std::optional<double> scalar(const std::string& name) const {
    if (auto it = constants_.find(name); it != constants_.end()) {
      if (it->second.value.numel() != 1 || !it->second.value.is_floating_point()) return std::nullopt;
      return it->second.value.item<double>();
    }
    auto it = producer_.find(name);
    if (it == producer_.end() || g_.node(it->second).op_type() != "Constant") return std::nullopt;
    for (const auto& a : g_.node(it->second).attribute()) {
      if (a.name() == "value_float") return a.f();
      if (a.name() != "value") continue;
      const auto& t = a.t();
      int64_t n = 1;
      for (auto d : t.dims()) n *= d;
      if (n != 1) return std::nullopt;
      if (t.data_type() == onnx::TensorProto::FLOAT) {
        if (t.float_data_size() == 1) return t.float_data(0);
        if (t.raw_data().size() == 4) {
          float f;
          std::memcpy(&f, t.raw_data().data(), 4);
          return f;
        }
      }
      if (t.data_type() == onnx::TensorProto::DOUBLE && t.raw_data().size() == 8) {
        double d;
        std::memcpy(&d, t.raw_data().data(), 8);
        return d;
      }
    }
    return std::nullopt;
  }
  bool is_scalar(const std::string& name, double v, double tol = 1e-4) const {
    auto s = scalar(name);
    return s && std::fabs(*s - v) <= tol * std::max(1.0, std::fabs(v));
  }
  bool is_constant(const std::string& name) const {
    if (constants_.count(name)) return true;
    auto it = producer_.find(name);
    return it != producer_.end() && g_.node(it->second).op_type() == "Constant";
  }
  // For a binary node with `known` as one operand, the other operand.
  static std::optional<std::string> other(const Node& n, const std::string& known) {
    if (n.input_size() != 2) return std::nullopt;
    if (n.input(0) == known) return n.input(1);
    if (n.input(1) == known) return n.input(0);
    return std::nullopt;
  }
  // The single node reading `value`, if it has type `op`.
  const Node* read_by(const std::string& value, const char* op) const {
    if (uses_count(value) != 1) return nullptr;
    for (int i = 0; i < g_.node_size(); ++i)
      for (const auto& in : g_.node(i).input())
        if (in == value) return g_.node(i).op_type() == op ? &g_.node(i) : nullptr;
    return nullptr;
  }
  // The axes attribute of a ReduceMean (opset < 18) as negative axes, if they are a suffix [-k..-1].
  static std::optional<int64_t> suffix_axis(const Node& n) {
    std::vector<int64_t> axes;
    bool keepdims = true;
    for (const auto& a : n.attribute()) {
      if (a.name() == "axes") axes.assign(a.ints().begin(), a.ints().end());
      if (a.name() == "keepdims") keepdims = a.i() != 0;
    }
    if (axes.empty() || !keepdims) return std::nullopt;
    std::sort(axes.begin(), axes.end());
    for (size_t i = 0; i < axes.size(); ++i)
      if (axes[i] != -static_cast<int64_t>(axes.size() - i)) return std::nullopt;
    return axes.front();
  }

 private:
  const onnx::GraphProto& g_;
  const std::map<std::string, Constant>& constants_;
  std::map<std::string, int> producer_;
  std::map<std::string, int> uses_;
  std::map<const Node*, int> index_;
};

std::string prefix_of(const std::string& name) {
  const auto slash = name.rfind('/');
  return slash == std::string::npos ? std::string() : name.substr(0, slash);
}

struct Fusion {
  std::vector<int> removed;
  int at = -1;  // the last node of the chain: the fused node takes its place
  Node fused;
};

// y = (x - ReduceMean(x)) / Sqrt(ReduceMean((x - ReduceMean(x))^2) + eps), then * w + b if present.
std::optional<Fusion> layer_norm_chain(const Matcher& m, const Node& div) {
  if (div.input_size() != 2) return std::nullopt;
  const Node* sub = m.made_by(div.input(0), "Sub", 2);
  const Node* sqrt = m.made_by(div.input(1), "Sqrt");
  if (!sub || !sqrt) return std::nullopt;
  const Node* mean = m.made_by(sub->input(1), "ReduceMean");
  const Node* add_eps = m.made_by(sqrt->input(0), "Add");
  if (!mean || !add_eps || mean->input(0) != sub->input(0) || mean->input_size() != 1) return std::nullopt;
  const auto axis = Matcher::suffix_axis(*mean);
  if (!axis || add_eps->input_size() != 2) return std::nullopt;
  const Node* var = nullptr;
  std::string eps_name;
  for (int i = 0; i < 2 && !var; ++i)
    if ((var = m.made_by(add_eps->input(i), "ReduceMean"))) eps_name = add_eps->input(1 - i);
  if (!var || Matcher::suffix_axis(*var) != axis || !m.scalar(eps_name)) return std::nullopt;
  const Node* pow = m.made_by(var->input(0), "Pow");
  if (!pow || pow->input(0) != sub->output(0) || !m.is_scalar(pow->input(1), 2.0)) return std::nullopt;
  Fusion f;
  for (const Node* n : {mean, sub, pow, var, add_eps, sqrt, &div}) f.removed.push_back(m.index_of(n));
  // The affine part: y * w, then + b, each with a constant operand. Absorbs the node into the chain.
  std::string out = div.output(0);
  auto absorb = [&](const char* op) -> std::string {
    const Node* n = m.read_by(out, op);
    const auto c = n ? Matcher::other(*n, out) : std::nullopt;
    if (!c || !m.is_constant(*c)) return {};
    out = n->output(0);
    f.removed.push_back(m.index_of(n));
    return *c;
  };
  const std::string scale = absorb("Mul");
  const std::string bias = scale.empty() ? std::string() : absorb("Add");
  f.at = *std::max_element(f.removed.begin(), f.removed.end());
  f.fused.set_op_type("LayerNormalization");
  f.fused.set_name(prefix_of(div.name()) + "/LayerNormalization");
  f.fused.add_input(mean->input(0));
  f.fused.add_input(scale);
  if (!bias.empty()) f.fused.add_input(bias);
  f.fused.add_output(out);
  auto* a = f.fused.add_attribute();
  a->set_name("axis");
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(*axis);
  auto* e = f.fused.add_attribute();
  e->set_name("epsilon");
  e->set_type(onnx::AttributeProto::FLOAT);
  e->set_f(static_cast<float>(*m.scalar(eps_name)));
  return f;
}

// y = x * (Erf(x / sqrt 2) + 1) * 0.5 (or x * 0.5 * (...), Erf(x * (1 / sqrt 2))).
std::optional<Fusion> gelu_chain(const Matcher& m, const Node& erf) {
  const Node* scaled = m.made_by(erf.input(0), "Div");
  std::string x;
  if (scaled && m.is_scalar(scaled->input(1), std::sqrt(2.0))) {
    x = scaled->input(0);
  } else if ((scaled = m.made_by(erf.input(0), "Mul"))) {
    for (int i = 0; i < 2 && x.empty(); ++i)
      if (m.is_scalar(scaled->input(1 - i), 1.0 / std::sqrt(2.0))) x = scaled->input(i);
  }
  if (x.empty()) return std::nullopt;
  const Node* plus = m.read_by(erf.output(0), "Add");
  if (!plus || !m.is_scalar(*Matcher::other(*plus, erf.output(0)), 1.0)) return std::nullopt;
  const Node* times = m.read_by(plus->output(0), "Mul");
  if (!times) return std::nullopt;
  const auto left = Matcher::other(*times, plus->output(0));
  if (!left) return std::nullopt;
  Fusion f;
  for (const Node* n : {scaled, &erf, plus, times}) f.removed.push_back(m.index_of(n));
  std::string out;
  if (*left == x) {  // x * (erf + 1), then * 0.5
    const Node* half = m.read_by(times->output(0), "Mul");
    if (!half || !m.is_scalar(*Matcher::other(*half, times->output(0)), 0.5)) return std::nullopt;
    f.removed.push_back(m.index_of(half));
    out = half->output(0);
  } else {  // (x * 0.5) * (erf + 1)
    const Node* half = m.made_by(*left, "Mul");
    if (!half || !Matcher::other(*half, x) || !m.is_scalar(*Matcher::other(*half, x), 0.5)) return std::nullopt;
    f.removed.push_back(m.index_of(half));
    out = times->output(0);
  }
  f.at = *std::max_element(f.removed.begin(), f.removed.end());
  f.fused.set_op_type("Gelu");
  f.fused.set_name(prefix_of(erf.name()) + "/Gelu");
  f.fused.add_input(x);
  f.fused.add_output(out);
  return f;
}

}  // namespace

std::vector<onnx::NodeProto> fuse_patterns(const onnx::GraphProto& g, const std::map<std::string, Constant>& constants) {
  const Matcher m(g, constants);
  std::vector<char> removed(static_cast<size_t>(g.node_size()), 0);
  std::map<int, onnx::NodeProto> placed;
  auto take = [&](std::optional<Fusion> f) {
    if (!f) return;
    for (int i : f->removed)
      if (removed[i]) return;  // overlaps a chain fused already
    for (int i : f->removed) removed[i] = 1;
    placed[f->at] = std::move(f->fused);
  };
  for (int i = 0; i < g.node_size(); ++i) {
    if (g.node(i).op_type() == "Div") take(layer_norm_chain(m, g.node(i)));
    if (g.node(i).op_type() == "Erf") take(gelu_chain(m, g.node(i)));
  }
  std::vector<onnx::NodeProto> out;
  out.reserve(static_cast<size_t>(g.node_size()));
  for (int i = 0; i < g.node_size(); ++i) {
    if (auto it = placed.find(i); it != placed.end()) out.push_back(it->second);
    else if (!removed[i]) out.push_back(g.node(i));
  }
  return out;
}

}  // namespace sanity::onnx_import
