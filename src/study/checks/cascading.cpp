// Cascading randomization (Adebayo et al. 2018): stage k re-initializes the k top-most layer groups,
// logits first. Each stage also records the activation scales of Binder et al. 2023
// (activation_scale.h): how far top-down randomization keeps the forward pass's scale and layout.
#include "study/checks/activation_scale.h"
#include "study/checks/similarity_check.h"

namespace sanity {
namespace {

class Cascading : public ParameterRandomization {
 public:
  explicit Cascading(Spec spec) : ParameterRandomization(std::move(spec), RandomizationOrder::Cascading) {}

 protected:
  std::vector<Measurement> stage_quantities(CheckContext& c, const Stage& s, const Graph& model) const override {
    std::vector<Measurement> rows = Check::stage_quantities(c, s, model);
    if (s.randomized.empty()) return rows;
    const int64_t n = std::min<int64_t>(c.config().activation_images, c.images().size(0));
    for (const auto& a : activation_scale(c.trained(), model, c.images().narrow(0, 0, n))) {
      rows.push_back({"activation_norm_ratio", a.norm_ratio, -1, -1, a.layer});
      rows.push_back({"activation_rank_corr", a.rank_corr, -1, -1, a.layer});
    }
    return rows;
  }
};

}  // namespace

void register_cascading_check(CheckRegistry& r) {
  CheckInfo info{{kCascadingCheck, "model parameter randomization from the logits down (Adebayo et al. 2018)", {}}};
  info.make = [](const Spec& s) { return std::make_shared<Cascading>(s); };
  info.report = {
      CheckReport::Figure::Similarity, "Cascading randomization (top-down)", "layers randomized, from the output down to",
      "Similarity between each method's explanation of the trained model and of the model whose layers are "
      "re-initialized from the output down to the layer on the x axis (leftmost: the trained model, 1 by "
      "definition). Line: mean over the test-bed images. A method that depends on "
      "the learned weights falls towards 0 as layers are randomized; one that stays near 1 with every layer random "
      "(Guided Backprop and Guided GradCAM in Adebayo et al. 2018) fails the check: its maps do not reflect the model. "
      "A fall is necessary, not sufficient (Binder et al. 2023): a map of random noise falls to 0 at once."};
  r.add(std::move(info));
}

}  // namespace sanity
