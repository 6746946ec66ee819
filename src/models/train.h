#pragma once
// Supervised training of a graph with Adam and cross-entropy, plus batched evaluation.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "models/graph.h"

namespace sanity {

struct TrainOptions {
  int epochs = 5;
  int64_t batch_size = 64;
  double lr = 1e-3;
  double l2 = 0.0;           // l2 * sum(w^2) / 2 over every weight except the logits layer's
  uint64_t seed = 0;
  int64_t subset = 0;        // train on this many images (0: all), drawn at random with the seed
  int64_t validation = 5000; // the first images of the training set are held out (the authors' split)
  bool permute_labels = false;  // one random permutation of the training labels (data randomization)
  bool progress = true;
};

struct EpochStats {
  int epoch;
  double loss, train_accuracy, val_accuracy, seconds;
};

struct TrainResult {
  std::vector<EpochStats> history;
  int64_t train_size = 0, validation_size = 0;
  double train_accuracy = 0;  // on the (possibly permuted) training labels, after training
  double val_accuracy = -1;   // on the held-out true labels; -1 if none
  double seconds = 0;
};

TrainResult train_classifier(Graph& graph, const Dataset& train, const TrainOptions& options);

// Logits for all images, computed in batches without autograd.
Tensor predict_logits(const Graph& graph, const Tensor& images, int64_t batch = 500);
// Fraction of images whose argmax logit equals the label.
double accuracy(const Graph& graph, const Tensor& images, const Tensor& labels, int64_t batch = 500);

}  // namespace sanity
