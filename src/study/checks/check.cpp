#include "study/checks/check.h"

#include "metrics/registry.h"
#include "stats/proportion.h"
#include "study/checks/context.h"

namespace sanity {

int64_t Check::unit_count(const CheckContext& c) const {
  return static_cast<int64_t>(stages(c).size() * c.methods().size());
}

Graph Check::model(CheckContext& c, const Stage& s) const { return c.stage_model(s); }

Tensor Check::targets(CheckContext& c, const Graph& model) const { return c.targets_for(model); }

std::vector<Measurement> Check::stage_quantities(CheckContext& c, const Stage& s, const Graph& model) const {
  std::vector<Measurement> rows;
  if (const auto acc = c.accuracy_of(model)) {
    // With its 95 % Wilson interval: one number per stage, so the images' bootstrap does not apply.
    const Interval ci = wilson_interval(*acc, c.accuracy_count());
    rows.insert(rows.end(), {{"accuracy", *acc}, {"accuracy_low", ci.low}, {"accuracy_high", ci.high}});
  }
  return rows;
}

void Check::run(CheckContext& c) const {
  const std::vector<Stage> all = stages(c);
  for (const auto& s : all) c.store().label_stage(c.run(), name(), s.index, s.name);
  for (const auto& stage : all) {
    std::vector<const PreparedMethod*> todo;
    for (const auto& m : c.methods()) {
      if (c.store().is_done({c.run(), name(), stage.index, m.spec})) c.unit_skipped();
      else todo.push_back(&m);
    }
    const WorkUnit stage_unit{c.run(), name(), stage.index, ""};
    const bool stage_todo = has_stage_unit() && !c.store().is_done(stage_unit);
    if (todo.empty() && !stage_todo) continue;
    const std::string where = name() + " stage " + std::to_string(stage.index) + " (" + stage.name + ")";
    c.status(where);
    const Graph m = model(c, stage);
    if (stage_todo) c.store().record_unit(stage_unit, stage_quantities(c, stage, m));
    const Tensor t = targets(c, m);
    for (const PreparedMethod* method : todo) {
      c.status(where + " " + method->spec);
      std::vector<Measurement> rows;
      const Tensor maps = measure(c, stage, *method, m, t, rows);
      if (keeps_maps()) c.save_grid_maps(name(), stage.index, *method, maps);
      c.store().record_unit({c.run(), name(), stage.index, method->spec}, rows);
      c.unit_done();
    }
  }
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
