// Bottom-up randomization (Quantus's bottom_up order; sMPRT's default): stage k re-initializes the k
// lowest layer groups.
#include "study/checks/similarity_check.h"

namespace sanity {

void register_bottom_up_check(CheckRegistry& r) {
  CheckInfo info{{"bottom_up", "model parameter randomization from the input up (Quantus's bottom_up)", {}}};
  info.make = [](const Spec& s) { return std::make_shared<ParameterRandomization>(s, RandomizationOrder::BottomUp); };
  info.report = {CheckReport::Figure::Similarity, "Bottom-up randomization", "layers randomized, from the input up to",
                 "Layers are re-initialized from the input upwards, up to the layer on the x axis. Randomizing the first "
                 "layers changes what every later layer sees, so a method that depends on the model falls quickly; "
                 "staying near 1 means the maps follow the input image rather than the weights. Band: \u00b11 standard "
                 "deviation."};
  r.add(std::move(info));
}

}  // namespace sanity
