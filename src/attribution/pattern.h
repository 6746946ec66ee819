#pragma once
// Signal patterns for PatternNet / PatternAttribution (Kindermans et al. 2018), the two-component
// estimator: for every conv and linear layer (with BatchNorm folded in) and output unit j, with
// y_j = w_j^T x (no bias) and E+ the mean over samples (and positions) where y_j > 0,
//   a_j = cov+(x, y_j) / (w_j^T cov+(x, y_j)),   cov+ = E+[x y_j] - E+[x] E+[y_j],
// a covariance over the region where the unit is active, as iNNvestigate computes it (the patterns
// Sixt et al. used). docs/DEFINITIONS.md ("How Sixt et al. ran the methods") writes E[y_j] (over
// all samples) in the last term; that variant is mean_y=all. It makes every entry of cov+ positive for non-negative inputs whatever the sign of
// w, so w * a is no longer mostly non-negative, and it does not reproduce Sixt et al.'s results.
// That estimator is for layers followed by a ReLU; a layer whose output goes elsewhere (the logits
// layer) takes Kindermans et al.'s linear estimator, the same formula with E+ over all samples.
// (Otherwise a logit unit that is never positive on the fit data would get a zero pattern and a
// zero explanation.)
// Patterns are estimated in one pass over a training subset, cached in memory and in a file beside
// the model keyed by a hash of its weights and the fit settings, and reused.
#include <memory>
#include <string>
#include <vector>

#include "attribution/method.h"

namespace sanity {

struct PatternFit {
  int64_t count = 5000;  // training images used (a seeded random subset; all if fewer)
  uint64_t seed = 0;
  int64_t batch_size = 64;
  bool mean_y_all = false;  // E[y_j] over all samples instead of E+[y_j] (see above)
};

struct Patterns {
  std::string key;       // hash of the model's weights and the fit settings
  std::vector<Tensor> per_node;  // shaped like the node's (folded) weight; undefined for other nodes
};

// Fits patterns for `graph` on `images` (already the subset to use).
Patterns fit_patterns(const Graph& graph, const Tensor& images, int64_t batch_size = 64, bool mean_y_all = false);

// A hex key over the node names, every parameter value and the fit settings.
std::string pattern_key(const Graph& graph, const std::string& data_name, int64_t data_size, const PatternFit& fit);

// The patterns for ctx.model: from memory, else from ctx.cache_dir, else fitted on ctx.fit_data
// (and then saved to ctx.cache_dir if ctx.save_fitted). Throws InputError if none are cached and
// there is no fit data.
std::shared_ptr<const Patterns> patterns_for(const AttributionContext& ctx, const PatternFit& fit);

// Whether a method spec (at any depth: smoothgrad(pattern_attribution)) fits patterns on data.
bool fits_on_data(const MethodSpec& spec);

void save_patterns(const Patterns& p, const std::string& path);
// Throws InputError if the file is not a patterns file for a model with `nodes` nodes.
Patterns load_patterns(const std::string& path, int nodes);

}  // namespace sanity
