#pragma once
// Supervised training of a graph with Adam and cross-entropy, plus batched evaluation.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/precision.h"
#include "core/settings.h"
#include "data/dataset.h"
#include "models/graph.h"

namespace sanity {

// Defaults here are the generic ones; recommended_train_options() gives the measured recipe per
// model, dataset and label permutation (what `sanity train` uses when no flag overrides it).
struct TrainOptions {
  int epochs = 3;
  int64_t batch_size = 256;
  double lr = 2e-3;            // peak learning rate
  std::string lr_schedule = "cosine";  // "cosine": short linear warm-up, then cosine decay to 0; or "constant"
  double l2 = 0.0;           // l2 * sum(w^2) / 2 over every weight except the logits layer's
  uint64_t seed = 0;
  int64_t subset = 0;        // train on this many images (0: all), drawn at random with the seed
  int64_t validation = 5000; // the first images of the training set are held out (the authors' split)
  bool permute_labels = false;  // one random permutation of the training labels (data randomization)
  // Epochs between measurements of the held-out accuracy (0: at most five, evenly spaced; under
  // permuted labels only the last). Never changes the weights: validation draws nothing at random.
  int validate_every = 0;
  bool progress = true;
  Precision precision = Precision::kFloat32;  // of the forward pass and the loss (core/precision.h)
};

struct EpochStats {
  int epoch;
  double loss, train_accuracy, val_accuracy, seconds;  // val_accuracy -1: not measured this epoch
  double lr;  // learning rate at the epoch's last step
};

struct TrainResult {
  std::vector<EpochStats> history;
  int64_t train_size = 0, validation_size = 0;
  // On the (possibly permuted) training labels, after training, over at most 10,000 training images
  // (a seeded sample: all 55,000 would cost a third of an epoch).
  double train_accuracy = 0;
  int64_t train_accuracy_images = 0;
  double val_accuracy = -1;   // on the held-out true labels; -1 if none
  double seconds = 0;
};

TrainResult train_classifier(Graph& graph, const Dataset& train, const TrainOptions& options);

// The recipe's table (core/settings.h): a study model's "train" fields, sanity train's flags,
// docs/SETTINGS.md. Its defaults are TrainOptions'; recommended_train_options fits them to a model.
const Settings<TrainOptions>& train_settings();

// InputError naming the flag (--epochs, --lr, ...) of a value train_settings() refuses.
void check_train_options(const TrainOptions& o);

// Whether the held-out accuracy is measured after `epoch` (1-based): always after the last.
bool validates_after(const TrainOptions& options, int epoch);

// The learning rate at step `step` (0-based) of `total_steps`.
double scheduled_lr(const TrainOptions& options, int64_t step, int64_t total_steps);

// The measured recipe (epochs, batch size, learning rate) for a built-in model ("cnn", "mlp") on a
// dataset ("mnist", "fashion-mnist"), with true or permuted labels; other fields keep their defaults.
TrainOptions recommended_train_options(const std::string& model, const std::string& dataset, bool permute_labels);

// Logits for all images, computed in batches without autograd.
Tensor predict_logits(const Graph& graph, const Tensor& images, int64_t batch = 500);
// InputError naming `source` and the first image whose output holds NaN or Inf (a model with
// overflowing weights would otherwise give NaN maps and a silent 0 % accuracy).
void require_finite_outputs(const Tensor& outputs, const std::string& source);
// InputError naming `source` when a label (>= 0; -1 means unknown) is not one of `classes` outputs.
void require_labels_in_range(const Tensor& labels, int64_t classes, const std::string& source);
// Fraction of images whose argmax logit equals the label.
double accuracy(const Graph& graph, const Tensor& images, const Tensor& labels, int64_t batch = 500);
// accuracy() of each model, a batch through every model before the next batch, so that models on
// shared lowest layers share their forward values (models/activation_reuse.h): the same numbers.
std::vector<double> accuracies(const std::vector<const Graph*>& models, const Tensor& images, const Tensor& labels,
                               int64_t batch = 500);

}  // namespace sanity
