#include "attribution/sweep.h"

#include "core/error.h"

namespace sanity {

void check_attribution_inputs(const AttributionContext& ctx, const Tensor& x, const Tensor& targets,
                              const std::string& method) {
  ctx.model.check_input(x, method);
  if (!targets.defined() || targets.dim() != 1 || targets.size(0) != x.size(0) || targets.is_floating_point())
    throw InputError(method + ": targets must be [N] integer classes, one per input (N = " +
                     std::to_string(x.size(0)) + ")");
  if (ctx.batch_size < 1) throw InputError(method + ": batch size must be at least 1");
}

Tensor image_ids_or_range(const AttributionContext& ctx, int64_t n) {
  if (!ctx.image_ids.defined()) return torch::arange(n, torch::kInt64);
  if (ctx.image_ids.numel() != n)
    throw InputError("attribution: " + std::to_string(ctx.image_ids.numel()) + " image ids for " + std::to_string(n) +
                     " inputs");
  return ctx.image_ids.to(torch::kCPU, torch::kInt64).reshape({-1});
}

void for_each_chunk(int64_t rows, int64_t batch, const std::function<void(int64_t, int64_t)>& fn) {
  batch = std::max<int64_t>(batch, 1);
  for (int64_t start = 0; start < rows; start += batch) fn(start, std::min(batch, rows - start));
}

Tensor target_seed(const Tensor& logits, const Tensor& targets) {
  const int64_t classes = logits.size(1);
  Tensor t = targets.to(logits.device(), torch::kInt64);
  if (t.numel() > 0) {
    const int64_t lo = t.min().item<int64_t>(), hi = t.max().item<int64_t>();
    if (lo < 0 || hi >= classes)
      throw InputError("target class " + std::to_string(lo < 0 ? lo : hi) + " is out of range: the model has " +
                       std::to_string(classes) + " outputs (classes 0.." + std::to_string(classes - 1) + ")");
  }
  return one_hot_seed(logits, t);
}

Tensor input_signal(const Graph& model, const Tensor& x, const Tensor& targets, const RuleSet* rules) {
  const int top = model.logits();
  Tensors acts = model.forward_all(x, top);
  BackpropOptions o;
  o.rules = rules;
  return backprop(model, acts, top, target_seed(acts[top], targets), o);
}

Tensor input_signal_batched(const Graph& model, const Tensor& x, const Tensor& targets, int64_t batch_size,
                            const RuleSet* rules) {
  if (x.size(0) <= batch_size) return input_signal(model, x, targets, rules);
  Tensor out = torch::empty_like(x);
  for_each_chunk(x.size(0), batch_size, [&](int64_t s, int64_t n) {
    out.narrow(0, s, n).copy_(input_signal(model, x.narrow(0, s, n), targets.narrow(0, s, n), rules));
  });
  return out;
}

Tensor target_logits(const Graph& model, const Tensor& x, const Tensor& targets, int64_t batch_size) {
  torch::NoGradGuard no_grad;
  Tensor out = torch::empty({x.size(0)}, x.options());
  const int top = model.logits();
  for_each_chunk(x.size(0), batch_size, [&](int64_t s, int64_t n) {
    Tensor logits = model.forward_all(x.narrow(0, s, n), top)[top];
    Tensor t = targets.narrow(0, s, n).to(logits.device(), torch::kInt64).view({-1, 1});
    out.narrow(0, s, n).copy_(logits.gather(1, t).view({-1}));
  });
  return out;
}

}  // namespace sanity
