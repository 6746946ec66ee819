// Training: the learning-rate schedule, the recipes, and a small CNN trained on a synthetic task
// (true labels learned and generalizing; permuted labels memorized but not generalizing).
#include <torch/torch.h>

#include "core/error.h"
#include "models/adam.h"
#include "models/builtin.h"
#include "models/train.h"
#include "test_util.h"

using namespace sanity;

namespace {

// 8x8 images of 4 classes: class k lights up quadrant k, plus uniform noise.
Dataset quadrants(int64_t n, uint64_t seed) {
  torch::manual_seed(seed);
  Dataset d;
  d.name = "quadrants";
  d.labels = torch::arange(n, torch::kInt64).remainder(4);
  d.images = torch::rand({n, 1, 8, 8}) * 0.5;
  for (int64_t i = 0; i < n; ++i) {
    const int64_t k = d.labels[i].item<int64_t>();
    d.images[i][0].narrow(0, 4 * (k / 2), 4).narrow(1, 4 * (k % 2), 4).add_(0.5);
  }
  return d;
}

// Tiny tensors: with one thread no OpenMP barrier is paid per op (on a loaded machine the barriers
// cost more than the arithmetic).
TrainOptions quick(int epochs) {
  torch::set_num_threads(1);
  TrainOptions o;
  o.epochs = epochs;
  o.batch_size = 32;
  o.lr = 2e-3;
  o.validation = 128;
  o.progress = false;
  return o;
}

}  // namespace

TEST(Train, CosineScheduleWarmsUpPeaksAndDecaysToZero) {
  TrainOptions o;
  o.lr = 0.01;
  const int64_t total = 1000;  // warm-up: 30 steps
  EXPECT_NEAR(scheduled_lr(o, 0, total), 0.01 / 30, 1e-12);
  EXPECT_LT(scheduled_lr(o, 10, total), scheduled_lr(o, 20, total));
  EXPECT_NEAR(scheduled_lr(o, 29, total), 0.01, 1e-12);
  EXPECT_NEAR(scheduled_lr(o, 30, total), 0.01, 1e-12);
  EXPECT_NEAR(scheduled_lr(o, 30 + 485, total), 0.005, 1e-12);  // halfway through the decay
  EXPECT_LT(scheduled_lr(o, total - 1, total), 1e-6);
  for (int64_t s = 31; s < total; ++s) EXPECT_LE(scheduled_lr(o, s, total), scheduled_lr(o, s - 1, total));
  o.lr_schedule = "constant";
  EXPECT_EQ(scheduled_lr(o, 0, total), 0.01);
  EXPECT_EQ(scheduled_lr(o, total - 1, total), 0.01);
}

TEST(Train, RecipesDifferOnlyWhereMeasured) {
  const TrainOptions cnn = recommended_train_options("cnn", "mnist", false);
  const TrainOptions permuted = recommended_train_options("cnn", "mnist", true);
  EXPECT_TRUE(permuted.permute_labels);
  EXPECT_FALSE(cnn.permute_labels);
  EXPECT_GT(permuted.epochs, cnn.epochs);  // memorizing random labels takes many more passes
  for (const auto& o : {cnn, permuted, recommended_train_options("mlp", "mnist", false),
                        recommended_train_options("cnn", "fashion-mnist", false)}) {
    EXPECT_GE(o.epochs, 1);
    EXPECT_GT(o.lr, 0);
    EXPECT_EQ(o.validation, 5000);  // the authors' split
  }
}

// The one-pass Adam against LibTorch's, step by step with a changing learning rate (the schedule's):
// the same update up to float rounding. One tensor is larger than a parallel chunk (32,768 floats).
TEST(Train, OnePassAdamMatchesLibTorchAdam) {
  torch::manual_seed(11);
  Tensors ours, theirs, start;
  for (const std::vector<int64_t>& shape : {std::vector<int64_t>{300, 257}, {17}, {4, 3, 5, 5}}) {
    const Tensor p = torch::randn(shape) * 0.1;
    start.push_back(p);
    ours.push_back(p.clone().set_requires_grad(true));
    theirs.push_back(p.clone().set_requires_grad(true));
  }
  Adam adam(ours);
  torch::optim::Adam reference(theirs, torch::optim::AdamOptions(1e-2));
  for (int t = 0; t < 30; ++t) {
    const double lr = 1e-2 * (1.0 + std::cos(0.1 * t)) / 2;
    static_cast<torch::optim::AdamOptions&>(reference.param_groups()[0].options()).lr(lr);
    reference.zero_grad();
    for (size_t k = 0; k < ours.size(); ++k) {
      // Gradients of very different scales: Adam's normalization must hold for each.
      const Tensor g = torch::randn(ours[k].sizes()) * std::pow(10.0, static_cast<double>(k) - 1.0) + 0.01 * t;
      ours[k].mutable_grad() = g.clone();
      theirs[k].mutable_grad() = g.clone();
    }
    adam.step(lr);
    reference.step();
    for (const Tensor& p : ours) EXPECT_FALSE(p.grad().defined());  // released, not zeroed
  }
  EXPECT_EQ(adam.steps(), 30);
  for (size_t k = 0; k < ours.size(); ++k) {
    // Both moved far from where they started (30 steps of up to lr each) ...
    EXPECT_GT((ours[k].detach() - start[k]).abs().max().item<double>(), 0.05) << "parameter " << k;
    // ... and to the same place.
    EXPECT_LT((theirs[k].detach() - ours[k].detach()).abs().max().item<double>(), 2e-6) << "parameter " << k;
  }
}

TEST(Train, LearnsASeparableTaskAndIsReproducible) {
  const Dataset data = quadrants(640, 1);
  Graph a = build_cnn(3, 1, 8, 8, 4), b = build_cnn(3, 1, 8, 8, 4);
  const TrainResult r = train_classifier(a, data, quick(4));
  train_classifier(b, data, quick(4));
  EXPECT_EQ(r.train_size, 512);
  EXPECT_EQ(r.validation_size, 128);
  ASSERT_EQ(r.history.size(), 4u);
  EXPECT_LT(r.history.back().loss, r.history.front().loss);
  EXPECT_GT(r.val_accuracy, 0.95);
  EXPECT_GT(r.train_accuracy, 0.95);
  EXPECT_NEAR(r.history.back().lr, 0.0, 1e-4);  // cosine decay ends near 0
  // Same seed, same data: bit-identical weights.
  const Tensor wa = a.layer(a.find("fc1")).params()[0].value, wb = b.layer(b.find("fc1")).params()[0].value;
  EXPECT_TRUE(torch::equal(wa, wb));
  EXPECT_FALSE(wa.requires_grad());
}

// Validation is measured at five epochs of a long run, not after each (it cost a sixth of the default
// study's training), and measuring it less often trains bit-identical weights.
TEST(Train, ValidatingLessOftenTrainsTheSameWeights) {
  const Dataset data = quadrants(256, 4);
  Graph a = build_cnn(5, 1, 8, 8, 4), b = build_cnn(5, 1, 8, 8, 4);
  TrainOptions o = quick(10);
  o.validation = 64;
  const TrainResult ra = train_classifier(a, data, o);
  o.validate_every = 1;
  const TrainResult rb = train_classifier(b, data, o);
  ASSERT_EQ(ra.history.size(), 10u);
  for (int e = 1; e <= 10; ++e) {
    EXPECT_EQ(ra.history[e - 1].val_accuracy >= 0, e % 2 == 0) << "epoch " << e;
    EXPECT_GE(rb.history[e - 1].val_accuracy, 0) << "epoch " << e;
    EXPECT_EQ(ra.history[e - 1].loss, rb.history[e - 1].loss) << "epoch " << e;
  }
  EXPECT_EQ(ra.val_accuracy, rb.val_accuracy);
  EXPECT_EQ(ra.val_accuracy, ra.history.back().val_accuracy);
  for (const char* layer : {"conv1", "conv2", "fc1", "fc2"})
    EXPECT_TRUE(torch::equal(a.layer(a.find(layer)).params()[0].value, b.layer(b.find(layer)).params()[0].value)) << layer;
  // Short runs validate after every epoch; permuted labels only after the last.
  TrainOptions s = quick(4);
  for (int e = 1; e <= 4; ++e) EXPECT_TRUE(validates_after(s, e));
  s.permute_labels = true;
  EXPECT_FALSE(validates_after(s, 3));
  EXPECT_TRUE(validates_after(s, 4));
}

TEST(Train, PermutedLabelsAreMemorizedNotGeneralized) {
  const Dataset data = quadrants(448, 2);
  Graph g = build_cnn(0, 1, 8, 8, 4);
  TrainOptions o = quick(40);
  o.permute_labels = true;
  o.subset = 192;
  o.batch_size = 16;
  const TrainResult r = train_classifier(g, data, o);
  EXPECT_EQ(r.train_size, 192);
  EXPECT_EQ(r.train_accuracy_images, 192);
  EXPECT_GT(r.train_accuracy, 0.9);  // the permuted labels are fitted ...
  EXPECT_LT(r.val_accuracy, 0.5);    // ... but the true labels of held-out images are not (chance: 0.25)
}

TEST(Train, BadOptionsAreInputErrors) {
  const Dataset data = quadrants(200, 3);
  Graph g = build_cnn(0, 1, 8, 8, 4);
  TrainOptions o = quick(1);
  o.lr_schedule = "linear";
  EXPECT_THROW(train_classifier(g, data, o), InputError);
  o = quick(0);
  EXPECT_THROW(train_classifier(g, data, o), InputError);
  o = quick(1);
  o.lr = 0;
  EXPECT_THROW(train_classifier(g, data, o), InputError);
}
