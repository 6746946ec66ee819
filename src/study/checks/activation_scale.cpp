#include "study/checks/activation_scale.h"

#include "metrics/correlation.h"
#include "models/layer.h"

namespace sanity {
namespace {

// The node whose output stands for layer k: its ReLU if the only consumer is one.
int probe_node(const Graph& g, int k) {
  int consumer = -1, count = 0;
  for (int j = k + 1; j < g.size(); ++j)
    for (int i : g.node(j).inputs)
      if (i == k) consumer = j, ++count;
  if (count == 1 && g.node(consumer).layer->kind() == LayerKind::ReLU) return consumer;
  return k;
}

// Per image, one value per channel: a conv channel's mean activation over positions, a dense unit's
// activation (docs/DEFINITIONS.md, "Activation-scale preservation": "per-channel means"; Binder et
// al.: channels with large activations keep large activations). [N, channels] float64.
Tensor channel_means(const Tensor& a) {
  Tensor x = a.to(torch::kFloat64);
  if (x.dim() > 2) return x.reshape({x.size(0), x.size(1), -1}).mean(2);
  return x.reshape({x.size(0), -1});
}

}  // namespace

std::vector<LayerScale> activation_scale(const Graph& trained, const Graph& randomized, const Tensor& images) {
  const auto device = trained.device();
  Tensors at = trained.forward_all(images.to(device)), ar = randomized.forward_all(images.to(device));
  std::vector<LayerScale> out;
  for (int k : trained.layers_top_down()) {
    const int p = probe_node(trained, k);
    const Tensor &a = at[p], &b = ar[p];
    const Tensor na = a.reshape({a.size(0), -1}).to(torch::kFloat64).norm(2, 1);
    const Tensor nb = b.reshape({b.size(0), -1}).to(torch::kFloat64).norm(2, 1);
    LayerScale s;
    s.layer = trained.node(k).name;
    s.norm_ratio = (nb / na.clamp_min(1e-30)).mean().item<double>();
    const Tensor rc = spearman_rows(channel_means(a), channel_means(b));
    s.rank_corr = rc.nanmean().item<double>();
    out.push_back(s);
  }
  return out;
}

}  // namespace sanity
