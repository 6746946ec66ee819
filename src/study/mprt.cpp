#include "study/mprt.h"

#include "core/rng.h"
#include "study/explain_batch.h"

namespace sanity {

Tensor smprt_explanations(const Method& method, const Graph& model, const Tensor& images, const Tensor& targets,
                          const Tensor& ids, const SmoothingOptions& o) {
  Tensors out;
  const int64_t n = o.samples;
  // Images one at a time, their n copies as one batch (split further by batch_size).
  for (int64_t i = 0; i < images.size(0); ++i) {
    const Tensor x = images[i];
    const int64_t id = ids[i].item<int64_t>();
    at::Generator g = make_generator(derive_seed(o.seed, "smprt", static_cast<uint64_t>(id)));
    const double sigma = o.sigma_fraction * (x.max() - x.min()).item<double>();
    Tensor noise = at::normal(0.0, 1.0, {n, x.size(0), x.size(1), x.size(2)}, g) * sigma;
    noise[n - 1].zero_();  // the last copy is the clean input
    const Tensor copies = x.unsqueeze(0).to(torch::kCPU) + noise;
    const Tensor e = explain_all(method, model, copies, targets[i].expand({n}).contiguous(),
                                 ids[i].expand({n}).contiguous(), {o.batch_size, o.seed})
                         .mean(0, true)
                         .to(torch::kFloat64);
    const Tensor rms = e.pow(2).mean().sqrt().clamp_min(1e-30);
    out.push_back((e / rms).abs().to(torch::kFloat32));
  }
  return torch::cat(out, 0);
}

Tensor histogram_entropy(const Tensor& maps, int64_t bins) {
  const Tensor flat = maps.reshape({maps.size(0), -1}).abs().to(torch::kFloat64).to(torch::kCPU);
  Tensor out = torch::empty({flat.size(0)}, torch::kFloat64);
  for (int64_t i = 0; i < flat.size(0); ++i) {
    const Tensor row = flat[i];
    const double lo = row.min().item<double>(), hi = row.max().item<double>();
    if (hi <= lo) {
      out[i] = 0.0;  // a constant map has one occupied bin
      continue;
    }
    const Tensor p = torch::histc(row, bins, lo, hi) / static_cast<double>(row.numel());
    const Tensor nz = p.masked_select(p > 0);
    out[i] = -(nz * nz.log()).sum().item<double>();
  }
  return out;
}

Tensor emprt_scores(const Tensor& trained_maps, const Tensor& randomized_maps) {
  const Tensor h = histogram_entropy(trained_maps), hr = histogram_entropy(randomized_maps);
  return (hr - h) / h;
}

}  // namespace sanity
