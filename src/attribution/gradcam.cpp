#include "attribution/gradcam.h"

#include <cmath>

#include "attribution/relu_rules.h"
#include "attribution/sweep.h"
#include "core/error.h"
#include "models/layers.h"

namespace sanity {

namespace {

bool is_spatial_map(const Tensor& a) { return a.dim() == 4 && a.size(2) > 1 && a.size(3) > 1; }
bool is_token_sequence(const Tensor& a) { return a.dim() == 3 && a.size(1) > 1; }

bool is_local_pool(LayerKind k) { return k == LayerKind::MaxPool || k == LayerKind::AvgPool; }

// The first LayerNorm above the last attention softmax below `below`: the last block's ln_1.
std::optional<int> last_block_input_norm(const Graph& g, int below, const Tensors& acts) {
  int softmax = -1;
  for (int k = below - 1; k > 0 && softmax < 0; --k)
    if (g.node(k).layer->kind() == LayerKind::Softmax && acts[k].dim() >= 3) softmax = k;
  if (softmax < 0) return std::nullopt;
  // Breadth-first up the softmax's inputs to the nearest LayerNorm with a token-sequence output.
  std::vector<int> frontier{softmax};
  std::vector<char> seen(static_cast<size_t>(g.size()), 0);
  while (!frontier.empty()) {
    std::vector<int> next;
    for (int k : frontier)
      for (int i : g.node(k).inputs) {
        if (seen[i]) continue;
        seen[i] = 1;
        if (g.node(i).layer->kind() == LayerKind::LayerNorm && is_token_sequence(acts[i])) return i;
        next.push_back(i);
      }
    frontier = std::move(next);
  }
  return std::nullopt;
}

}  // namespace

int gradcam_layer(const Graph& model, const std::string& layer, const Tensors& acts) {
  if (!layer.empty() && layer != "auto") return model.find(layer);
  bool reads_one_token = false;
  int k = model.logits();
  while (k > 0 && !(k != model.logits() && (is_spatial_map(acts[k]) || is_token_sequence(acts[k])))) {
    const Node& n = model.node(k);
    // A head that picks one token of a sequence (x[:, 0]): the class token.
    if ((n.layer->kind() == LayerKind::Gather || n.layer->kind() == LayerKind::Slice) && !n.inputs.empty() &&
        is_token_sequence(acts[n.inputs[0]]) && acts[k].dim() == 2)
      reads_one_token = true;
    if (n.inputs.empty()) break;
    // Through the largest input: the data path, not a constant broadcast to the batch.
    int next = n.inputs[0];
    for (int i : n.inputs)
      if (acts[i].numel() > acts[next].numel()) next = i;
    k = next;
  }
  if (k <= 0)
    throw UnsupportedError("gradcam: the model has no spatial feature map or token sequence below its logits; give "
                           "gradcam(layer=<node name>)");
  if (is_spatial_map(acts[k])) {
    // Below non-global pooling to the block output it pools (the existing CNN convention).
    while (is_local_pool(model.node(k).layer->kind()) && is_spatial_map(acts[model.node(k).inputs.at(0)]))
      k = model.node(k).inputs[0];
    return k;
  }
  if (reads_one_token) {
    if (auto ln = last_block_input_norm(model, k, acts)) return *ln;
    throw UnsupportedError("gradcam: the head reads one token of '" + model.node(k).name +
                           "', so its other tokens get no gradient, and no attention block input was found; give "
                           "gradcam(layer=<node name>)");
  }
  return k;
}

int gradcam_layer(const Graph& model, const std::string& layer, const Tensor& example) {
  if (!layer.empty() && layer != "auto") return model.find(layer);
  return gradcam_layer(model, layer, model.forward_all(example.narrow(0, 0, 1), model.logits()));
}

Tensor as_feature_map(const Tensor& a, const std::string& method, const std::string& layer_name) {
  if (a.dim() == 4) return a;
  if (a.dim() == 3) {
    const int64_t tokens = a.size(1);
    const auto side = static_cast<int64_t>(std::floor(std::sqrt(static_cast<double>(tokens))));
    const int64_t extra = tokens - side * side;
    if (side >= 1 && extra <= 8)  // class and distillation tokens lead; more is not a patch grid
      return a.narrow(1, extra, side * side).reshape({a.size(0), side, side, a.size(2)}).permute({0, 3, 1, 2});
  }
  throw InputError(method + ": layer '" + layer_name + "' gives an output of shape " + std::to_string(a.dim()) +
                   "-d " + c10::str(a.sizes()) +
                   "; GradCAM needs a feature map [N, C, H, W] or a token sequence [N, T, C] on a square patch grid");
}

namespace {

class GradCam : public Method {
 public:
  GradCam(std::string layer, bool guided) : layer_(std::move(layer)), guided_(guided) {}

  MethodSpec spec() const override { return {guided_ ? "guided_gradcam" : "gradcam", {}, {{"layer", layer_}}}; }
  // GradCAM is >= 0; Guided GradCAM carries Guided Backprop's signs.
  MapKind map_kind() const override { return guided_ ? MapKind::Sensitivity : MapKind::Relevance; }

  Tensor attribute(const AttributionContext& ctx, const Tensor& x, const Tensor& targets) const override {
    const std::string name = guided_ ? "guided_gradcam" : "gradcam";
    check_attribution_inputs(ctx, x, targets, name);
    torch::NoGradGuard no_grad;
    const Graph& g = ctx.model;
    const int top = g.logits();
    const RuleSet guided = guided_ ? relu_rules(g, ReluRule::Guided, name) : RuleSet();
    Tensor out = torch::empty_like(x);
    for_each_chunk(x.size(0), ctx.batch_size, [&](int64_t s, int64_t n) {
      Tensor xc = x.narrow(0, s, n);
      Tensors acts = g.forward_all(xc, top);
      const int layer = gradcam_layer(g, layer_, acts);
      if (layer >= top) throw InputError(name + ": layer '" + g.node(layer).name + "' is not below the logits");
      const Tensor a = as_feature_map(acts[layer], name, g.node(layer).name);
      const Tensor seed = target_seed(acts[top], targets.narrow(0, s, n));
      BackpropOptions to_layer;
      to_layer.stop_at = layer;  // nothing below the layer is needed
      const Tensor grad = as_feature_map(backprop(g, acts, top, seed, to_layer), name, g.node(layer).name);
      Tensor cam = at::relu((grad.mean({2, 3}, true) * a).sum(1, true));
      Tensor peak = cam.amax({1, 2, 3}, true);
      cam = at::where(peak > 0, cam / peak.clamp_min(1e-30), at::zeros_like(cam));
      cam = at::upsample_bilinear2d(cam, {x.size(2), x.size(3)}, /*align_corners=*/false);
      if (guided_) {
        BackpropOptions to_input;
        to_input.rules = &guided;
        out.narrow(0, s, n).copy_(backprop(g, acts, top, seed, to_input) * cam);
      } else {
        out.narrow(0, s, n).copy_(cam.expand_as(xc));
      }
    });
    return out;
  }

 private:
  std::string layer_;
  bool guided_;
};

}  // namespace

MethodPtr make_gradcam(const MethodSpec& spec, bool guided) {
  return std::make_shared<GradCam>(spec.get_string("layer", "auto"), guided);
}

}  // namespace sanity
