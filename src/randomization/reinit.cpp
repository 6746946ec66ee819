#include "randomization/reinit.h"

#include <cmath>

#include "core/error.h"
#include "core/rng.h"
#include "models/init.h"
#include "models/layers.h"

namespace sanity {

ReinitDistribution parse_reinit_distribution(const std::string& name) {
  if (name == "original") return ReinitDistribution::Original;
  if (name == "default") return ReinitDistribution::Default;
  if (name == "permute") return ReinitDistribution::Permute;
  throw InputError("--init " + name + ": expected original, default or permute");
}

std::string to_string(ReinitDistribution d) {
  switch (d) {
    case ReinitDistribution::Original: return "original";
    case ReinitDistribution::Default: return "default";
    case ReinitDistribution::Permute: return "permute";
  }
  return "?";
}

namespace {

int64_t fan_in_of(const Layer& layer) {
  if (const auto* a = dynamic_cast<const AffineLayer*>(&layer)) return a->fan_in();
  return 1;
}

// The framework default for one parameter of this layer. Normalizations reset to the identity (PyTorch's
// reset_parameters); embeddings (a position embedding, a class token, a layer scale: parameters that
// are not a layer's weights) have no framework default and take torchvision's ViT initializer,
// truncated normal 0.02.
Tensor default_value(const Layer& layer, const Param& p, at::Generator& gen) {
  if (layer.kind() == LayerKind::BatchNorm || layer.kind() == LayerKind::LayerNorm ||
      layer.kind() == LayerKind::InstanceNorm) {
    if (p.name == "weight" || p.name == "scale") return torch::ones_like(p.value);
    if (p.name == "bias" || p.name == "running_mean") return torch::zeros_like(p.value);
    return torch::ones_like(p.value);  // running_var
  }
  if (layer.kind() == LayerKind::ConstArith || layer.kind() == LayerKind::ParamExpand)
    return draw_init({InitSpec::Kind::TruncatedNormal, 0.02, 0.0}, p.value, 1, gen);
  return draw_init(InitSpec{}, p.value, fan_in_of(layer), gen);
}

}  // namespace

void randomize_layer(Graph& graph, int node, const ReinitOptions& o) {
  Layer& layer = graph.layer(node);
  at::Generator gen = make_generator(derive_seed(o.seed, "randomize_layer", static_cast<uint64_t>(node)));
  for (Param& p : layer.params()) {
    const bool is_stat = !p.trainable;
    if (is_stat && !o.reset_batchnorm_stats) continue;
    if (p.name == "bias" && !o.include_bias) continue;
    torch::NoGradGuard no_grad;
    Tensor fresh;
    if (is_stat) {
      fresh = p.name == "running_mean" ? torch::zeros_like(p.value) : torch::ones_like(p.value);
    } else if (o.distribution == ReinitDistribution::Permute) {
      Tensor flat = p.value.reshape({-1});
      Tensor perm = torch::randperm(flat.size(0), gen).to(flat.device());
      fresh = flat.index_select(0, perm).reshape(p.value.sizes());
    } else if (o.distribution == ReinitDistribution::Original && p.init.kind != InitSpec::Kind::Default) {
      fresh = draw_init(p.init, p.value, fan_in_of(layer), gen);
    } else {
      fresh = default_value(layer, p, gen);
    }
    p.value = fresh.detach().clone().to(p.value.device());
  }
}

}  // namespace sanity
