// Independent layer randomization (Adebayo et al. 2018): stage k re-initializes layer group k alone.
#include "study/checks/similarity_check.h"

namespace sanity {

void register_independent_check(CheckRegistry& r) {
  CheckInfo info{{"independent", "one layer group re-initialized at a time, the others trained (Adebayo et al. 2018)", {}}};
  info.make = [](const Spec& s) { return std::make_shared<ParameterRandomization>(s, RandomizationOrder::Independent); };
  info.report = {CheckReport::Figure::Similarity, "Independent layer randomization", "layer randomized alone",
                 "Each stage re-initializes one layer alone (x axis); all other layers keep their trained weights. A "
                 "method that uses that layer's parameters scores low at its stage; a line that stays near 1 means the "
                 "explanation ignores the layer.",
                 /*score_at_last_stage=*/false};
  r.add(std::move(info));
}

}  // namespace sanity
