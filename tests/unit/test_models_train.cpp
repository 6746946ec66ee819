// Training: the learning-rate schedule, the recipes, and a small CNN trained on a synthetic task
// (true labels learned and generalizing; permuted labels memorized but not generalizing).
#include <torch/torch.h>

#include "core/error.h"
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
