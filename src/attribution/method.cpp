#include "attribution/method.h"

#include "models/train.h"

namespace sanity {

Tensor predicted_classes(const Graph& model, const Tensor& x, int64_t batch_size) {
  return predict_logits(model, x, batch_size).argmax(1).to(x.device());
}

}  // namespace sanity
