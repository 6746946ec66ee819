// Data randomization (Adebayo et al. 2018): a model trained on the true labels against the same
// architecture trained on permuted labels (CheckConfig::permuted_model), which memorized them. The
// true-label side is CheckConfig::reference_model when given (the study trains it on the permuted
// model's images with the same recipe, so the labels are the only difference), else the checked model.
#include "core/error.h"
#include "models/model_io.h"
#include "models/train.h"
#include "study/checks/similarity_check.h"

namespace sanity {
namespace {

class DataRandomization : public SimilarityCheck {
 public:
  using SimilarityCheck::SimilarityCheck;
  std::vector<Stage> stages(const CheckContext& c) const override {
    const bool same_images = !c.config().reference_model.empty();
    return {{0, same_images ? "true labels, same images" : "original", {}}, {1, "permuted labels", {}}};
  }

 protected:
  Graph model(CheckContext& c, const Stage& s) const override {
    if (s.index == 0) return reference(c).clone();
    Graph p = c.load(c.config().permuted_model);
    p.check_input(c.images().narrow(0, 0, 1), c.config().permuted_model);
    p.metadata[kModelState] = "the permuted-label model";
    return p;
  }
  // The reference's own maps, of its own predicted classes (or the labels), are what 1 means here.
  Tensor reference_maps(CheckContext& c, const PreparedMethod& m) const override {
    if (c.config().reference_model.empty()) return SimilarityCheck::reference_maps(c, m);
    const Graph& ref = reference(c);
    return c.explain(m, ref, reference_targets_, stages(c)[0], name());
  }

 private:
  // Loaded, and its classes found, once per check run.
  const Graph& reference(CheckContext& c) const {
    if (c.config().reference_model.empty()) return c.trained();
    if (!reference_) {
      reference_ = std::make_shared<Graph>(c.load(c.config().reference_model));
      reference_->check_input(c.images().narrow(0, 0, 1), c.config().reference_model);
      reference_targets_ = c.config().target == "true"
                               ? c.targets_for(*reference_)
                               : predict_logits(*reference_, c.images(), c.batch_size()).argmax(1);
    }
    return *reference_;
  }
  mutable std::shared_ptr<Graph> reference_;
  mutable Tensor reference_targets_;
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
                 "Left: a model trained on the true labels (1 by definition): when the study trains the permuted-label "
                 "model, a reference trained on the same images with the same recipe (\"true labels, same images\"), "
                 "else the checked model (\"original\"); right: the same architecture trained on randomly permuted "
                 "labels, which it memorized. A method that depends on the relation between images and "
                 "labels scores low on the right; a high score means the explanation looks the same for a model that "
                 "learned nothing that generalizes (Adebayo et al. 2018)."};
  r.add(std::move(info));
}

}  // namespace sanity
