#include "faithfulness/perturbation.h"

#include <torch/torch.h>

#include "attribution/integrated_gradients.h"
#include "core/error.h"
#include "core/rng.h"

namespace sanity {

const std::vector<std::string>& replacement_names() {
  static const std::vector<std::string> names{"uniform", "zero", "mean", "blur"};
  return names;
}

Replacement parse_replacement(const std::string& name, const std::string& option) {
  const auto& names = replacement_names();
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i] == name) return static_cast<Replacement>(i);
  std::string valid;
  for (const auto& n : names) valid += (valid.empty() ? "" : ", ") + n;
  throw InputError(option + " " + name + ": unknown replacement; valid: " + valid);
}

Tensor replacement_values(const Tensor& x, Replacement kind, const Tensor& ids, uint64_t seed, double blur_sigma,
                          const std::string& purpose) {
  switch (kind) {
    case Replacement::Zero:
      return torch::zeros_like(x);
    case Replacement::Mean:
      return x.mean({2, 3}, /*keepdim=*/true).expand_as(x).clone();
    case Replacement::Blur:
      return gaussian_blur(x, blur_sigma);
    case Replacement::Uniform: {
      // Drawn on the host by each image's seeded generator (every device draws the same numbers),
      // scaled to the image's range on x's device; the ranges come to the host in one copy.
      Tensor out = torch::empty_like(x);
      const Tensor id = ids.to(torch::kCPU, torch::kInt64);
      const Tensor lows = x.amin({1, 2, 3}).to(torch::kCPU), highs = x.amax({1, 2, 3}).to(torch::kCPU);
      for (int64_t i = 0; i < x.size(0); ++i) {
        at::Generator gen = make_generator(derive_seed(seed, purpose + "_uniform", id[i].item<int64_t>()));
        const double lo = lows[i].item<double>(), hi = highs[i].item<double>();
        const Tensor u = torch::rand(x[i].sizes(), gen, torch::TensorOptions().dtype(x.scalar_type()));
        out[i].copy_(u.to(x.device()) * (hi - lo) + lo);
      }
      return out;
    }
  }
  throw InputError("replacement: unknown kind");
}

Tensor model_logits(const Graph& model, const Tensor& x) {
  torch::NoGradGuard no_grad;
  const int node = model.logits();
  if (node == model.output()) return model.forward(x);
  return model.forward_all(x, node)[static_cast<size_t>(node)];
}

PathScores score_path(const Graph& model, const Tensor& from, const Tensor& to, const Tensor& ranks,
                      const std::vector<int64_t>& thresholds, const Tensor& targets, int64_t batch_size) {
  if (batch_size < 1) throw InputError("batch_size " + std::to_string(batch_size) + ": expected at least 1");
  torch::NoGradGuard no_grad;
  const torch::Device device = model.device();
  const int64_t n = from.size(0), k = static_cast<int64_t>(thresholds.size()), total = n * k;
  const Tensor a = from.to(device), b = to.to(device), r = ranks.to(device);
  const Tensor thr = torch::tensor(thresholds, torch::kInt64).to(device);
  const Tensor t = targets.to(device, torch::kInt64);
  const auto scores = torch::TensorOptions(torch::kFloat64).device(device);
  Tensor logit = torch::empty({total}, scores), prob = torch::empty({total}, scores);
  for (int64_t start = 0; start < total; start += batch_size) {
    const int64_t len = std::min(batch_size, total - start);
    const Tensor q = torch::arange(start, start + len, torch::TensorOptions().dtype(torch::kInt64).device(device));
    const Tensor image = q.div(k, "floor"), step = q.remainder(k);
    const Tensor mask = r.index_select(0, image) < thr.index_select(0, step).view({-1, 1, 1, 1});
    const Tensor batch = torch::where(mask, b.index_select(0, image), a.index_select(0, image));
    const Tensor z = model_logits(model, batch).to(torch::kFloat64);
    const Tensor c = t.index_select(0, image).view({-1, 1});
    logit.narrow(0, start, len).copy_(z.gather(1, c).view({-1}));
    prob.narrow(0, start, len).copy_(torch::softmax(z, 1).gather(1, c).view({-1}));
  }
  return {logit.view({n, k}), prob.view({n, k})};
}

}  // namespace sanity
