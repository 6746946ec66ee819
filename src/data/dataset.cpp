#include "data/dataset.h"

namespace sanity {

Dataset Dataset::select(const torch::Tensor& index, const std::string& suffix) const {
  Dataset d;
  d.name = name + suffix;
  d.images = images.index_select(0, index);
  d.labels = labels.index_select(0, index);
  d.class_names = class_names;
  return d;
}

}  // namespace sanity
