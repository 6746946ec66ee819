// Random logit test (Sixt et al. 2020): the map of the trained model's class against the map of a
// class drawn uniformly from the others, per image from (seed, image id).
#include "core/error.h"
#include "core/rng.h"
#include "metrics/registry.h"
#include "models/train.h"
#include "study/checks/check.h"
#include "study/checks/context.h"

namespace sanity {
namespace {

class RandomLogit : public Check {
 public:
  explicit RandomLogit(Spec spec)
      : Check(std::move(spec)), metric_(MetricRegistry::instance().make(this->spec().get_string("metric", "ssim"))) {}
  std::vector<Stage> stages(const CheckContext&) const override { return {{0, "random class", {}}}; }

 protected:
  bool has_stage_unit() const override { return false; }
  Tensor targets(CheckContext& c, const Graph&) const override {
    const Tensor& trained = c.trained_targets();
    const int64_t classes = predict_logits(c.trained(), c.images().narrow(0, 0, 1)).size(1);
    if (classes < 2)
      throw InputError("random_logit: the model has " + std::to_string(classes) +
                       " output class; the check compares the predicted class with another one and needs at least 2");
    Tensor out = trained.clone();
    for (int64_t i = 0; i < out.size(0); ++i) {
      at::Generator g = make_generator(derive_seed(c.seed(), "random_logit", c.ids()[i].item<int64_t>()));
      const int64_t r = torch::randint(classes - 1, {1}, g).item<int64_t>();
      const int64_t t = trained[i].item<int64_t>();
      out[i] = r >= t ? r + 1 : r;  // uniform over the other classes
    }
    return out;
  }
  Tensor measure(CheckContext& c, const Stage& s, const PreparedMethod& m,
                 std::vector<Measurement>& rows) const override {
    const StageModel& random_class = stage_model(c, s);
    const Tensor e = c.explain(m, random_class.model, random_class.targets, s, name());
    c.add_rows(rows, *metric_, c.original(m), e);
    return e;
  }

 private:
  MetricPtr metric_;
};

}  // namespace

void register_random_logit_check(CheckRegistry& r) {
  CheckInfo info{{"random_logit", "the map of the predicted class against that of a random other class (Sixt et al. 2020)",
                  {metric_option("ssim", "metric comparing the two maps (a metric name)")}}};
  info.make = [](const Spec& s) { return std::make_shared<RandomLogit>(s); };
  info.report = {CheckReport::Figure::Similarity, "Random logit test", "stage",
                 "Similarity between the explanation of the predicted class and of a randomly drawn other class (Sixt et "
                 "al. 2020). A method that explains the class scores low; a high score means the map hardly depends on "
                 "which class is explained."};
  r.add(std::move(info));
}

}  // namespace sanity
