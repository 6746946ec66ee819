#include "report/checks.h"

namespace sanity::report {

const std::vector<CheckInfo>& randomization_checks() {
  static const std::vector<CheckInfo> checks = {
      {"cascading", "Cascading randomization (top-down)", "layers randomized, from the output down to",
       "Similarity between each method's explanation of the trained model and of the model whose layers are "
       "re-initialized from the output down to the layer on the x axis (leftmost: the trained model, 1 by "
       "definition). Line: mean over the test-bed images; band: \u00b11 standard deviation. A method that depends on "
       "the learned weights falls towards 0 as layers are randomized; one that stays near 1 with every layer random "
       "(Guided Backprop and Guided GradCAM in Adebayo et al. 2018) fails the check: its maps do not reflect the model. "
       "A fall is necessary, not sufficient (Binder et al. 2023): a map of random noise falls to 0 at once."},
      {"independent", "Independent layer randomization", "layer randomized alone",
       "Each stage re-initializes one layer alone (x axis); all other layers keep their trained weights. A method "
       "that uses that layer's parameters scores low at its stage; a line that stays near 1 means the explanation "
       "ignores the layer. Band: \u00b11 standard deviation over the test-bed images.",
       false},
      {"bottom_up", "Bottom-up randomization", "layers randomized, from the input up to",
       "Layers are re-initialized from the input upwards, up to the layer on the x axis. Randomizing the first "
       "layers changes what every later layer sees, so a method that depends on the model falls quickly; staying "
       "near 1 means the maps follow the input image rather than the weights. Band: \u00b11 standard deviation."},
      {"data", "Data randomization", "training labels",
       "Left: the model trained on the true labels (1 by definition); right: the same architecture trained on "
       "randomly permuted labels, which it memorized. A method that depends on the relation between images and "
       "labels scores low on the right; a high score means the explanation looks the same for a model that "
       "learned nothing that generalizes (Adebayo et al. 2018). Band: \u00b11 standard deviation."},
      {"smprt", "Smooth model parameter randomization (sMPRT)", "layers randomized, up to",
       "As the model randomization test, but each explanation is first averaged over noisy copies of the input "
       "(Hedstr\u00f6m et al. 2023), which removes noise that would make any method look sensitive. A method that "
       "depends on the model falls towards 0; staying near 1 fails. Band: \u00b11 standard deviation."},
      {"random_logit", "Random logit test", "stage",
       "Similarity between the explanation of the predicted class and of a randomly drawn other class (Sixt et al. "
       "2020). A method that explains the class scores low; a high score means the map hardly depends on which "
       "class is explained. Error bar: \u00b11 standard deviation."},
  };
  return checks;
}

const CheckInfo* find_check(const std::string& name) {
  for (const CheckInfo& c : randomization_checks())
    if (c.name == name) return &c;
  return nullptr;
}

bool is_staged_check(const std::string& name) { return find_check(name) != nullptr; }

}  // namespace sanity::report
