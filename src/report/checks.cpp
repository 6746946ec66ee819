#include "report/checks.h"

#include "study/checks/check.h"

namespace sanity::report {

const std::vector<CheckFigure>& randomization_checks() {
  static const std::vector<CheckFigure> checks = [] {
    std::vector<CheckFigure> out;
    for (const auto& e : CheckRegistry::instance().entries())
      if (e.report.figure == CheckReport::Figure::Similarity)
        out.push_back({e.name, e.report.title, e.report.x_title, e.report.guide, e.report.score_at_last_stage});
    return out;
  }();
  return checks;
}

const CheckFigure* find_check(const std::string& name) {
  for (const CheckFigure& c : randomization_checks())
    if (c.name == name) return &c;
  return nullptr;
}

bool is_staged_check(const std::string& name) { return find_check(name) != nullptr; }

bool is_drawn_check(const std::string& name) {
  const auto* e = CheckRegistry::instance().find(name);
  return e && e->report.figure != CheckReport::Figure::None;
}

}  // namespace sanity::report
