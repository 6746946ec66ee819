#include "metrics/registry.h"

#include "core/error.h"

namespace sanity {
namespace {

std::string join(const std::vector<std::string>& items) {
  std::string s;
  for (const auto& i : items) s += (s.empty() ? "" : ", ") + i;
  return s.empty() ? "none" : s;
}

}  // namespace

MetricOption prep_option(Preparation fallback) {
  return {"prep", preparation_name(fallback), "map preparation: absolute, signed, unit (absolute, then min-max) or raw"};
}

MetricInfo rowwise_metric_info(std::string name, std::string summary, Direction direction, Preparation prep,
                               bool prep_option, RowwiseMetric::RowFunction f) {
  MetricInfo info{std::move(name), std::move(summary), direction, {}, nullptr};
  if (prep_option) info.options.push_back(sanity::prep_option(prep));
  info.make = [prep, prep_option, f](const MetricSpec& s, const MetricInfo& i) -> MetricPtr {
    const Preparation p = prep_option ? parse_preparation(s, preparation_name(prep)) : prep;
    return std::make_shared<RowwiseMetric>(s, i.direction, p, f);
  };
  return info;
}

MetricRegistry& MetricRegistry::instance() {
  static MetricRegistry r;
  return r;
}

MetricRegistry::MetricRegistry() {
  register_correlation_metrics(*this);
  register_ssim_metric(*this);
  register_hog_metric(*this);
  register_distance_metrics(*this);
  register_topk_metric(*this);
}

void MetricRegistry::add(MetricInfo info) { metrics_.push_back(std::move(info)); }

const MetricInfo* MetricRegistry::find(const std::string& name) const {
  for (const auto& m : metrics_)
    if (m.name == name) return &m;
  return nullptr;
}

MetricPtr MetricRegistry::make(const MetricSpec& spec) const {
  const MetricInfo* info = find(spec.name);
  if (!info) {
    std::vector<std::string> names;
    for (const auto& m : metrics_) names.push_back(m.name);
    throw InputError("unknown metric '" + spec.name + "'; valid metrics: " + join(names));
  }
  if (!spec.methods.empty())
    throw InputError("metric " + spec.name + " takes only key=value options, got '" + spec.methods[0].str() + "'");
  MetricSpec full = spec;
  std::vector<std::string> keys;
  for (const auto& o : info->options) {
    keys.push_back(o.key);
    full.options.emplace(o.key, o.fallback);  // keeps the user's value where given
  }
  for (const auto& [key, value] : spec.options)
    if (std::find(keys.begin(), keys.end(), key) == keys.end())
      throw InputError("metric " + spec.name + ": unknown option '" + key + "'; valid options: " + join(keys));
  return info->make(full, *info);
}

std::vector<MetricPtr> MetricRegistry::make_list(const std::string& text) const {
  std::vector<MetricPtr> out;
  for (const auto& spec : parse_method_list(text)) out.push_back(make(spec));
  if (out.empty()) throw InputError("metric list '" + text + "' names no metric");
  return out;
}

std::string MetricRegistry::describe() const {
  std::string s;
  for (const auto& m : metrics_) {
    s += m.name + " (" + direction_name(m.direction) + "): " + m.summary;
    for (const auto& o : m.options) s += "\n    " + o.key + "=" + o.fallback + "  " + o.help;
    s += "\n";
  }
  return s;
}

}  // namespace sanity
