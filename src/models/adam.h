#pragma once
// Adam (Kingma & Ba 2015) as PyTorch defines it (betas 0.9 / 0.999, eps 1e-8 added to the bias-corrected
// sqrt(v)), in one pass over each parameter's memory.
//
// Why not torch::optim::Adam: LibTorch's step is eight tensor operations per parameter (two of them
// allocating), and zero_grad() plus gradient accumulation add two more passes: PyTorch's Adam took
// 16 ms a step for 5.8 M parameters, about a third of the permuted-label MLP's 59.6 s of training
// (bench/RESULTS.md, "training without its overhead"). Here a step reads the parameter, gradient and both
// moments once and writes three of them back; gradients are released (not zeroed) after the step, so
// the next backward writes them fresh instead of adding to zeros.
// Same update up to float rounding (tested against torch::optim::Adam); on a GPU the same formula
// runs as tensor operations.
#include "models/layer.h"

namespace sanity {

class Adam {
 public:
  explicit Adam(Tensors params, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8);
  // One update of every parameter with a gradient, at learning rate lr; then the gradients are released.
  void step(double lr);
  int64_t steps() const { return t_; }

 private:
  Tensors params_, m_, v_;
  double beta1_, beta2_, eps_;
  int64_t t_ = 0;
};

}  // namespace sanity
