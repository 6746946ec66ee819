#include "metrics/registry.h"

namespace sanity {

Option prep_option(Preparation fallback) {
  std::vector<std::string> choices{preparation_name(fallback)};
  for (const char* p : {"absolute", "signed", "unit", "raw"})
    if (p != choices[0]) choices.push_back(p);
  return choice_option("prep", choices, "map preparation: absolute, signed, unit (absolute, then min-max) or raw");
}

MetricInfo rowwise_metric_info(std::string name, std::string summary, Direction direction, Preparation prep,
                               bool prep_option, RowwiseMetric::RowFunction f) {
  MetricInfo info{{std::move(name), std::move(summary), {}}, direction, nullptr};
  if (prep_option) info.options.push_back(sanity::prep_option(prep));
  info.make = [prep, prep_option, f](const MetricSpec& s, const MetricInfo& i) -> MetricPtr {
    const Preparation p = prep_option ? parse_preparation(s.get_string("prep", "")) : prep;
    return std::make_shared<RowwiseMetric>(s, i.direction, p, f);
  };
  return info;
}

MetricRegistry& MetricRegistry::instance() {
  static MetricRegistry r;
  return r;
}

MetricRegistry::MetricRegistry() : Registry("metric", "metrics") {
  register_correlation_metrics(*this);
  register_ssim_metric(*this);
  register_hog_metric(*this);
  register_distance_metrics(*this);
  register_topk_metric(*this);
  register_kendall_metric(*this);
}

MetricPtr MetricRegistry::make(const MetricSpec& spec) const {
  const MetricInfo& info = get(spec.name);
  return info.make(resolve(spec), info);
}

std::vector<MetricPtr> MetricRegistry::make_list(const std::string& text) const {
  std::vector<MetricPtr> out;
  for (const auto& spec : parse_method_list(text)) out.push_back(make(spec));
  if (out.empty()) throw InputError("metric list '" + text + "' names no metric");
  return out;
}

std::string MetricRegistry::describe() const {
  std::string s;
  for (const auto& m : entries())
    s += m.name + " (" + direction_name(m.direction) + "): " + m.summary + "\n" + entry_option_lines(m);
  return s;
}

}  // namespace sanity
