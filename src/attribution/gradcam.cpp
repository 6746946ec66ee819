#include "attribution/gradcam.h"

#include "attribution/relu_rules.h"
#include "attribution/sweep.h"
#include "core/error.h"

namespace sanity {

namespace {

// Layers between a conv and its rectifier that keep the feature map's layout.
bool passes_through(LayerKind k) {
  return k == LayerKind::BatchNorm || k == LayerKind::Add || k == LayerKind::Identity || k == LayerKind::ConstArith;
}

}  // namespace

int gradcam_layer(const Graph& model, const std::string& layer) {
  if (!layer.empty() && layer != "auto") return model.find(layer);
  int conv = -1;
  for (int k = model.size() - 1; k > 0 && conv < 0; --k)
    if (model.node(k).layer->kind() == LayerKind::Conv) conv = k;
  if (conv < 0) throw UnsupportedError("gradcam: the model has no conv layer; give gradcam(layer=<node name>)");
  int current = conv;
  for (bool moved = true; moved;) {
    moved = false;
    for (int k = current + 1; k < model.size() && !moved; ++k) {
      const Node& n = model.node(k);
      if (std::find(n.inputs.begin(), n.inputs.end(), current) == n.inputs.end()) continue;
      if (is_rectifier(*n.layer)) return k;
      if (passes_through(n.layer->kind())) {
        current = k;
        moved = true;
      }
    }
  }
  return conv;
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
    const int layer = gradcam_layer(g, layer_), top = g.logits();
    if (layer >= top) throw InputError(name + ": layer '" + g.node(layer).name + "' is not below the logits");
    const RuleSet guided = guided_ ? relu_rules(g, ReluRule::Guided) : RuleSet();
    Tensor out = torch::empty_like(x);
    for_each_chunk(x.size(0), ctx.batch_size, [&](int64_t s, int64_t n) {
      Tensor xc = x.narrow(0, s, n);
      Tensors acts = g.forward_all(xc, top);
      const Tensor& a = acts[layer];
      if (a.dim() != 4)
        throw InputError(name + ": layer '" + g.node(layer).name + "' gives a " + std::to_string(a.dim()) +
                         "-d output; GradCAM needs a conv feature map [N, C, H, W]");
      const Tensor seed = target_seed(acts[top], targets.narrow(0, s, n));
      BackpropOptions to_layer;
      to_layer.stop_at = layer;  // nothing below the layer is needed
      Tensor grad = backprop(g, acts, top, seed, to_layer);
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
