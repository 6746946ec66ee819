#include "faithfulness/insertion_deletion.h"

#include <torch/torch.h>

#include "core/error.h"
#include "faithfulness/curves.h"
#include "faithfulness/regions.h"

namespace sanity {

const Settings<InsertionDeletionOptions>& insertion_deletion_settings() {
  using O = InsertionDeletionOptions;
  static const Settings<O> table = Settings<O>()
      .integer("pixels_per_step", &O::pixels_per_step, "pixels moved per step (0: the image width)")
      .choice("deletion_baseline", &O::deletion_baseline, replacement_names(), "what deleted pixels become")
      .choice("insertion_baseline", &O::insertion_baseline, replacement_names(), "where insertion starts")
      .number("blur_sigma", &O::blur_sigma, "Gaussian sigma in pixels of a blur baseline", Bounds::above(0))
      .flag("insertion_blur_sigma");
  return table;
}

void InsertionDeletionOptions::validate() const {
  insertion_deletion_settings().validate(*this, [](const Setting& s) { return "insertion/deletion option " + s.key; });
}

nlohmann::json InsertionDeletionOptions::to_json() const { return insertion_deletion_settings().to_json(*this); }

InsertionDeletionResult insertion_deletion(const Graph& model, const Tensor& x, const Tensor& attributions,
                                           const Tensor& targets, const Tensor& ids,
                                           const InsertionDeletionOptions& options, int64_t batch_size,
                                           uint64_t seed) {
  options.validate();
  if (attributions.sizes() != x.sizes()) throw InputError("insertion/deletion: attributions must have the input's shape");
  const int64_t pixels = x.size(2) * x.size(3);
  const int64_t per_step = options.pixels_per_step == 0 ? x.size(3) : options.pixels_per_step;
  const int64_t steps = (pixels + per_step - 1) / per_step;
  if (steps < 2)  // one step inserts or deletes the whole image: every method's curve is the same
    throw InputError("insertion/deletion option pixels_per_step = " + std::to_string(per_step) + ": the " +
                     std::to_string(pixels) + "-pixel image in one step; expected 1 to " + std::to_string(pixels - 1));
  std::vector<int64_t> thresholds;
  for (int64_t k = 0; k <= steps; ++k) thresholds.push_back(std::min(k * per_step, pixels));

  const Tensor ranks = pixel_ranks(attributions, 1, PerturbationOrder::MoRF);
  const Tensor deleted = replacement_values(x, parse_replacement(options.deletion_baseline, "deletion_baseline"), ids,
                                            seed, options.blur_sigma, "deletion");
  const Tensor start = replacement_values(x, parse_replacement(options.insertion_baseline, "insertion_baseline"), ids,
                                          seed, options.blur_sigma, "insertion");
  InsertionDeletionResult r;
  const PathScores del = score_path(model, x, deleted, ranks, thresholds, targets, batch_size);
  const PathScores ins = score_path(model, start, x, ranks, thresholds, targets, batch_size);
  r.deletion = del.probability;
  r.deletion_logit = del.logit;
  r.insertion = ins.probability;
  r.insertion_logit = ins.logit;
  r.deletion_auc = area_under_curve(r.deletion);
  r.insertion_auc = area_under_curve(r.insertion);
  return r;
}

}  // namespace sanity
