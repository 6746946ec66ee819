#pragma once
// What the report knows about each randomization check: its title, the x axis of its similarity
// figure, how to read that figure, and how its ranking score is taken (ranking.h). All of it comes
// from the check registry (study/checks/check.h): each check declares how it is drawn.
#include <limits>
#include <string>
#include <vector>

namespace sanity::report {

// An undefined score (a missing cell of a table, a rank without scores).
inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

struct CheckFigure {
  std::string name;     // as stored in measurements.check_name: "cascading"
  std::string title;    // "Cascading randomization (top-down)"
  std::string x_title;  // the stage axis: "layers randomized, from the output down to"
  std::string guide;    // reading guide of the similarity figure
  // Ranking score from the last stage (cascading: everything random) or, for independent
  // randomization where every stage is one layer, from the mean over the randomized stages.
  bool score_at_last_stage = true;
};

// The similarity checks in display order: cascading, independent, bottom_up, data, smprt, random_logit.
const std::vector<CheckFigure>& randomization_checks();
// nullptr for other checks (csc, pixel_flipping, unknown names).
const CheckFigure* find_check(const std::string& name);
// Checks whose stages are labelled in the stages table (the randomization checks).
bool is_staged_check(const std::string& name);
// Checks the report draws in some figure (similarity, CSC, faithfulness).
bool is_drawn_check(const std::string& name);

}  // namespace sanity::report
