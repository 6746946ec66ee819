#pragma once
// Metric names -> declared options and factories (core/registry.h; Quantus-style: each metric says
// what it is, which way its score points and which options it takes). Families register in
// registry.cpp by explicit calls.
//
//   MetricRegistry::instance().make_list("spearman_abs, ssim(data_range=2), hog")
//
// Unknown names or options throw InputError listing the valid ones.
#include <functional>
#include <string>
#include <vector>

#include "core/registry.h"
#include "metrics/metric.h"

namespace sanity {

struct MetricInfo : RegistryEntry {
  Direction direction = Direction::HigherIsMoreSimilar;
  // Receives the spec with every option filled in (defaults from `options`) and this info.
  std::function<MetricPtr(const MetricSpec&, const MetricInfo&)> make;
};

// The `prep` option (metric.h, Preparation) with its default.
Option prep_option(Preparation fallback);

// The info of a RowwiseMetric. With prep_option, users choose the preparation (`prep=`, default
// `prep`); without, it is fixed (spearman_abs compares absolute maps by definition).
MetricInfo rowwise_metric_info(std::string name, std::string summary, Direction direction, Preparation prep,
                               bool prep_option, RowwiseMetric::RowFunction f);

class MetricRegistry : public Registry<MetricInfo> {
 public:
  static MetricRegistry& instance();
  MetricPtr make(const MetricSpec& spec) const;
  MetricPtr make(const std::string& text) const { return make(parse_method_spec(text)); }
  // A comma-separated list ("spearman_abs, ssim(data_range=2)").
  std::vector<MetricPtr> make_list(const std::string& text) const;
  const std::vector<MetricInfo>& metrics() const { return entries(); }
  // One block per metric: name, direction, summary, options with defaults (for --help).
  std::string describe() const;

 private:
  MetricRegistry();
};

// Family registration functions, one per source file of metrics.
void register_correlation_metrics(MetricRegistry& r);  // spearman_abs, spearman, pearson
void register_kendall_metric(MetricRegistry& r);       // kendall
void register_distance_metrics(MetricRegistry& r);     // cosine, mse
void register_ssim_metric(MetricRegistry& r);          // ssim
void register_hog_metric(MetricRegistry& r);           // hog
void register_topk_metric(MetricRegistry& r);          // topk_intersection

}  // namespace sanity
