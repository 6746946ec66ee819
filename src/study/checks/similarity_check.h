#pragma once
// The shape of the checks of Adebayo et al. 2018: at every stage, each method's map of the stage's
// model is compared with the trained model's map by every metric of the configuration (stage 0:
// the trained model itself, similarity 1 by definition). Parameter randomization differs only in
// the layers each stage re-initializes (randomization/stages.h); the data check in its model. The
// algorithm is SimilarityCheck::measure (similarity_check.cpp).
#include "study/checks/check.h"
#include "study/checks/context.h"

namespace sanity {

class SimilarityCheck : public Check {
 public:
  using Check::Check;

 protected:
  Tensor measure(CheckContext& c, const Stage& s, const PreparedMethod& m,
                 std::vector<Measurement>& rows) const override;
  // What similarity 1 means: the trained model's maps (the data check may name another model).
  virtual Tensor reference_maps(CheckContext& c, const PreparedMethod& m) const { return c.original(m); }
};

// Stages that re-initialize layer groups in `order`: cascading, bottom_up, independent.
class ParameterRandomization : public SimilarityCheck {
 public:
  ParameterRandomization(Spec spec, RandomizationOrder order) : SimilarityCheck(std::move(spec)), order_(order) {}
  std::vector<Stage> stages(const CheckContext& c) const override { return plan_stages(c.groups(), order_); }
  bool explains_stage_models() const override { return true; }

 private:
  RandomizationOrder order_;
};

}  // namespace sanity
