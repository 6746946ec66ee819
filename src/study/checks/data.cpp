// Data randomization (Adebayo et al. 2018): the trained model against the same architecture trained
// on permuted labels (CheckConfig::permuted_model), which memorized them.
#include "core/error.h"
#include "models/model_io.h"
#include "study/checks/similarity_check.h"

namespace sanity {
namespace {

class DataRandomization : public SimilarityCheck {
 public:
  using SimilarityCheck::SimilarityCheck;
  std::vector<Stage> stages(const CheckContext&) const override { return {{0, "original", {}}, {1, "permuted labels", {}}}; }

 protected:
  Graph model(CheckContext& c, const Stage& s) const override {
    if (s.index == 0) return c.trained().clone();
    Graph p = load_model(c.config().permuted_model);
    p.check_input(c.images().narrow(0, 0, 1), c.config().permuted_model);
    return p;
  }
};

}  // namespace

void register_data_check(CheckRegistry& r) {
  CheckInfo info{{"data", "the model against one trained on permuted labels (needs --permuted-model)", {}}};
  info.make = [](const Spec& s) { return std::make_shared<DataRandomization>(s); };
  info.uses_permuted_model = true;
  info.validate = [](const CheckConfig& c) {
    if (c.permuted_model.empty())
      throw InputError("--checks data: needs --permuted-model, the same architecture trained on permuted labels "
                       "(sanity train --permute-labels)");
  };
  info.report = {CheckReport::Figure::Similarity, "Data randomization", "training labels",
                 "Left: the model trained on the true labels (1 by definition); right: the same architecture trained on "
                 "randomly permuted labels, which it memorized. A method that depends on the relation between images and "
                 "labels scores low on the right; a high score means the explanation looks the same for a model that "
                 "learned nothing that generalizes (Adebayo et al. 2018). Band: \u00b11 standard deviation."};
  r.add(std::move(info));
}

}  // namespace sanity
