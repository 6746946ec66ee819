#include "study/checks/similarity_check.h"

namespace sanity {

// One unit of a randomization check: method m at stage s. Every step is cached (context.h), so the
// stage's units share its model, and a map computed for another check or stage of the same model
// state, or by an earlier run (the trained model's), is read back, not computed again.
Tensor SimilarityCheck::measure(CheckContext& c, const Stage& s, const PreparedMethod& m,
                                std::vector<Measurement>& rows) const {
  // Randomize: the stage's model (the trained model with the stage's layers re-initialized, each layer
  // from its own seed; the data check: the permuted-label model) and the classes it is explained for.
  const StageModel& randomized = stage_model(c, s);
  // Explain: the method's map of the trained model, which similarity 1 means, and of the stage's model.
  const Tensor e0 = reference_maps(c, m);
  const Tensor e = s.index == 0 ? e0 : c.explain(m, randomized.model, randomized.targets, s, name());
  // Compare: one row per image and metric.
  for (const auto& metric : c.metrics()) c.add_rows(rows, *metric, e0, e);
  return e;
}

}  // namespace sanity
