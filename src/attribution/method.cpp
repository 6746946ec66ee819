#include "attribution/method.h"

#include "core/error.h"

#include "models/train.h"

namespace sanity {

void require_finite_maps(const Tensor& maps, const std::string& method, const Tensor& ids) {
  const Tensor bad = ~torch::isfinite(maps).reshape({maps.size(0), -1}).all(1);
  if (!bad.any().item<bool>()) return;
  const int64_t row = bad.nonzero().min().item<int64_t>();
  const int64_t id = ids.defined() ? ids[row].item<int64_t>() : row;
  throw InputError("method " + method + ": the map of image " + std::to_string(id) +
                   " holds NaN or Inf values (the model's gradients or relevances overflow)");
}

Tensor predicted_classes(const Graph& model, const Tensor& x, int64_t batch_size) {
  return predict_logits(model, x, batch_size).argmax(1).to(x.device());
}

}  // namespace sanity
