#pragma once
// 2x2 max pooling with stride 2 (no padding, no dilation, floor mode: an odd last row or column is
// left out), on CPU float32 NCHW tensors: the MNIST CNN's pools and VGG's.
//
// LibTorch 1.13 pools NCHW planes with scalar code (15 ms for the MNIST CNN's first pool at batch 256
// on a 2-core Xeon) and its channels-last kernel needs two layout copies (5.7 ms); bench_layers had
// the two pools at a fifth of the network's forward time. These loops read each input row once and
// keep, per window, which of its four pixels won: one byte instead of an int64 index.
//
// The winners are LibTorch's: the first maximum in row-major order within the window, and a NaN over
// any number (the last NaN when there are several), so outputs and gradients are bit-identical to
// at::max_pool2d_with_indices and its backward (tests/unit/test_models_graph.cpp,
// Graph.MaxPool2x2KernelsAreLibTorchsBitForBit).
#include <torch/types.h>

#include <tuple>

namespace sanity {

// Whether maxpool2x2 applies to `x` with these settings.
bool is_pool2x2(const torch::Tensor& x, at::IntArrayRef kernel, at::IntArrayRef stride, at::IntArrayRef dilation,
                bool ceil_mode);

// y [N, C, H/2, W/2] and the winner of each window (uint8: 0 top left, 1 top right, 2 bottom left,
// 3 bottom right).
std::tuple<torch::Tensor, torch::Tensor> maxpool2x2(const torch::Tensor& x);

// The gradient with respect to the input [N, C, H, W] (input_sizes): each window's gradient at its
// winner, zero elsewhere (and in a left-out last row or column).
torch::Tensor maxpool2x2_backward(const torch::Tensor& grad_y, const torch::Tensor& winner,
                                  at::IntArrayRef input_sizes);

// maxpool2x2 for autograd (training): y, whose backward is maxpool2x2_backward.
torch::Tensor maxpool2x2_autograd(const torch::Tensor& x);

}  // namespace sanity
