#pragma once
// Cosine Similarity Convergence (Sixt et al. 2020, as their released code computes it;
// docs/DEFINITIONS.md, "Cosine Similarity Convergence").
// For each image: replace the backward signal at an injection layer (default: the logits) with
// random vectors v ~ N(0, I), sweep down with the method's rules, and at every lower layer take,
// for each pair of samples, the |cosine| along the channel axis at each position. Pooled over
// positions, pairs and images (zero vectors dropped), reported per layer as median (the plotted
// value), mean and percentiles, next to the median |cos| of independent Gaussian vectors with that
// many channels; the median also with a confidence interval from resampling the images. CSC near 1:
// the relevance below no longer depends on v, the backward chain has collapsed to rank one and the
// explanation ignores the layers above.
// Variant TwoClasses: the two starting vectors are the one-hot predicted class and one other class
// drawn per image.
#include <string>
#include <vector>

#include <cmath>

#include "attribution/backprop_method.h"
#include "stats/bootstrap.h"

namespace sanity {

struct CscOptions {
  enum class Start { Random, TwoClasses } start = Start::Random;
  std::string inject;     // node name; empty: the logits (TwoClasses needs the logits)
  int samples = 5;        // random vectors per image (Random): 5 gives the papers' 10 pairs
  uint64_t seed = 0;      // v for image i comes from (seed, image id): independent of batching
  std::vector<std::string> layers;  // empty: the input and every conv, linear, add and concat node below
  int64_t images_per_batch = 8;
  // The median's percentile-bootstrap interval over the images (stats/bootstrap.h,
  // bootstrap_pooled_quantile; seeded from `seed` and the layer's name). resamples 0: none.
  BootstrapOptions ci;
};

struct CscLayer {
  std::string name;
  int node = 0;
  int64_t channels = 0, positions = 0;
  int64_t count = 0, dropped = 0;  // |cos| values pooled, NaNs (zero vectors) dropped
  double median = 0, mean = 0, q05 = 0, q25 = 0, q75 = 0, q95 = 0;
  double baseline_median = 0;  // median |cos| of two independent Gaussian vectors with `channels` entries
  double median_low = std::nan(""), median_high = std::nan("");  // the median's bootstrap interval
};

struct CscResult {
  std::string method, start, inject;
  int64_t images = 0;
  std::vector<CscLayer> layers;  // from the injection layer down to the input
};

// images: [N, C, H, W]; ctx.image_ids (if defined) names them for the seeds.
CscResult cosine_similarity_convergence(const AttributionContext& ctx, const BackpropMethod& method,
                                        const Tensor& images, const CscOptions& options);

// Median |cos| of two independent N(0, I_dim) vectors (exact up to quadrature: |cos| = sin(phi) with
// density proportional to cos(phi)^(dim - 2) on [0, pi/2]).
double gaussian_abs_cos_median(int64_t dim);

// The method for `spec` as a sweep: a registered BackpropMethod, or for "gradient" the rule-free
// sweep. Throws UnsupportedError for methods that are not one backward sweep (IG, SmoothGrad, ...).
BackpropMethodPtr csc_method(const MethodSpec& spec);

}  // namespace sanity
