#include "study/checks/check.h"

#include <algorithm>

#include "metrics/registry.h"
#include "stats/proportion.h"
#include "study/checks/context.h"

namespace sanity {

std::vector<UnitKey> Check::units(const CheckContext& c) const {
  std::vector<UnitKey> out;
  for (const Stage& s : stages(c)) {
    if (has_stage_unit()) out.push_back({s.index, ""});
    for (const auto& m : c.methods()) out.push_back({s.index, m.spec});
  }
  return out;
}

Graph Check::model(CheckContext& c, const Stage& s) const { return c.stage_model(s); }

Tensor Check::targets(CheckContext& c, const Graph& model) const { return c.targets_for(model); }

const StageModel& Check::stage_model(CheckContext& c, const Stage& s) const {
  return c.stage_models().current(name(), s.index, [&] {
    Graph g = model(c, s);
    Tensor t = targets(c, g);
    return StageModel{std::move(g), std::move(t)};
  });
}

std::vector<Measurement> Check::stage_quantities(CheckContext& c, const Stage& s, const Graph& model) const {
  std::vector<Measurement> rows;
  if (const auto acc = c.accuracy_of(model)) {
    // With its 95 % Wilson interval: one number per stage, so the images' bootstrap does not apply.
    const Interval ci = wilson_interval(acc->value, acc->images);
    rows.insert(rows.end(), {{"accuracy", acc->value}, {"accuracy_low", ci.low}, {"accuracy_high", ci.high}});
  }
  return rows;
}

UnitOutput Check::compute(CheckContext& c, const UnitKey& unit) const {
  const std::vector<Stage> all = stages(c);
  const auto stage = std::find_if(all.begin(), all.end(), [&](const Stage& s) { return s.index == unit.stage; });
  if (stage == all.end()) throw std::logic_error(name() + " has no stage " + std::to_string(unit.stage));
  const std::string where = name() + " stage " + std::to_string(stage->index) + " (" + stage->name + ")";
  c.status(where + (unit.method.empty() ? "" : " " + unit.method));
  UnitOutput out;
  std::vector<Measurement> rows;
  if (unit.method.empty()) {
    rows = stage_quantities(c, *stage, stage_model(c, *stage).model);
  } else {
    const Tensor maps = measure(c, *stage, c.method(unit.method), rows);
    if (keeps_maps()) out.maps = c.grid_part(maps);
  }
  out.units.push_back({stage->index, std::move(rows)});
  return out;
}

Option metric_option(std::string fallback, std::string help) {
  Option o = text_option("metric", std::move(fallback), std::move(help));
  o.check = [](const std::string& v) -> std::string {
    try {
      MetricRegistry::instance().make(v);
      return "";
    } catch (const InputError& e) {
      return std::string("is not a metric (") + e.what() + ")";
    }
  };
  return o;
}

const CheckRegistry& CheckRegistry::instance() {
  static const CheckRegistry r;
  return r;
}

CheckRegistry::CheckRegistry() : Registry("check", "checks") {
  // The order of the report's figures and ranking columns.
  register_cascading_check(*this);
  register_independent_check(*this);
  register_bottom_up_check(*this);
  register_data_check(*this);
  register_smprt_check(*this);
  register_random_logit_check(*this);
  register_emprt_check(*this);
  register_csc_check(*this);
  register_pixel_flipping_check(*this);
}

}  // namespace sanity
