#include "faithfulness/faithfulness.h"

#include <torch/torch.h>

#include "core/error.h"

namespace sanity {

const Settings<FaithfulnessOptions>& faithfulness_settings() {
  using O = FaithfulnessOptions;
  static const Settings<O> table = Settings<O>()
      .choice("order", &O::order, {"auto", "signed", "absolute"},
              "what orders regions and pixels: auto (|map| for sensitivity maps, the signed map for relevance maps), "
              "signed or absolute")
      .nested("pixel_flipping", &O::pixel_flipping, pixel_flipping_settings())
      .nested("insertion_deletion", &O::insertion_deletion, insertion_deletion_settings());
  return table;
}

void FaithfulnessOptions::validate() const {
  faithfulness_settings().validate(*this, [](const Setting& s) { return "faithfulness option " + s.key; });
}

nlohmann::json FaithfulnessOptions::to_json() const { return faithfulness_settings().to_json(*this); }

bool orders_by_magnitude(const FaithfulnessOptions& options, MapKind kind) {
  return options.order == "absolute" || (options.order == "auto" && kind == MapKind::Sensitivity);
}

namespace {

// The curves and scores, computed on the model's device, come to the host to be written.
FaithfulnessResult results_on_host(FaithfulnessResult r) {
  PixelFlippingResult& p = r.pixel_flipping;
  InsertionDeletionResult& i = r.insertion_deletion;
  for (Tensor* t : {&p.morf_logit, &p.morf_prob, &p.lerf_logit, &p.lerf_prob, &p.aopc_morf, &p.aopc_lerf, &p.aopc_gap,
                    &i.insertion, &i.deletion, &i.insertion_logit, &i.deletion_logit, &i.insertion_auc, &i.deletion_auc})
    *t = t->to(torch::kCPU);
  return r;
}

}  // namespace

FaithfulnessResult evaluate_faithfulness(const Graph& model, const Tensor& x, const Tensor& attributions,
                                         MapKind kind, const Tensor& targets, const Tensor& ids,
                                         const FaithfulnessOptions& options, int64_t batch_size, uint64_t seed) {
  options.validate();
  const torch::Device device = model.device();
  const Tensor maps = attributions.to(device), images = x.to(device);
  const Tensor ordering = orders_by_magnitude(options, kind) ? maps.abs() : maps;
  FaithfulnessResult r;
  r.pixel_flipping = pixel_flipping(model, images, ordering, targets, ids, options.pixel_flipping, batch_size, seed);
  r.insertion_deletion =
      insertion_deletion(model, images, ordering, targets, ids, options.insertion_deletion, batch_size, seed);
  return results_on_host(r);
}

std::vector<std::pair<std::string, Tensor>> per_image_scores(const FaithfulnessResult& r) {
  return {{"aopc_morf", r.pixel_flipping.aopc_morf},
          {"aopc_lerf", r.pixel_flipping.aopc_lerf},
          {"aopc_gap", r.pixel_flipping.aopc_gap},
          {"insertion_auc", r.insertion_deletion.insertion_auc},
          {"deletion_auc", r.insertion_deletion.deletion_auc}};
}

std::vector<std::pair<std::string, Tensor>> named_curves(const FaithfulnessResult& r) {
  const PixelFlippingResult& pf = r.pixel_flipping;
  const InsertionDeletionResult& in = r.insertion_deletion;
  return {{"morf_prob", pf.morf_prob},   {"lerf_prob", pf.lerf_prob},      {"morf_logit", pf.morf_logit},
          {"lerf_logit", pf.lerf_logit}, {"insertion_prob", in.insertion}, {"deletion_prob", in.deletion}};
}

std::map<std::string, double> mean_scores(const FaithfulnessResult& r) {
  std::map<std::string, double> means;
  for (const auto& [name, scores] : per_image_scores(r))
    means[name] = scores.to(torch::kFloat64).nanmean().item<double>();
  return means;
}

}  // namespace sanity
