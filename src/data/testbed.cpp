#include "data/testbed.h"

#include <map>

#include "core/error.h"
#include "core/rng.h"

namespace sanity {

torch::Tensor select_testbed(const Dataset& data, const TestBedOptions& o) {
  const int64_t n = data.size();
  if (o.count <= 0 || o.count >= n) return torch::arange(n, torch::kInt64);
  at::Generator gen = make_generator(derive_seed(o.seed, "testbed"));
  torch::Tensor order = torch::randperm(n, gen);
  if (!o.balanced) return std::get<0>(order.narrow(0, 0, o.count).sort());
  // Balanced: walk the shuffled order, taking from each class in turn until `count` are chosen.
  if ((data.labels < 0).any().item<bool>())
    throw InputError("--balanced: the data has images without labels; balancing needs labels");
  std::map<int64_t, std::vector<int64_t>> by_class;
  auto ord = order.accessor<int64_t, 1>();
  auto lab = data.labels.accessor<int64_t, 1>();
  for (int64_t i = 0; i < n; ++i) by_class[lab[ord[i]]].push_back(ord[i]);
  std::vector<int64_t> chosen;
  for (size_t round = 0; static_cast<int64_t>(chosen.size()) < o.count; ++round) {
    bool any = false;
    for (auto& [c, list] : by_class) {
      if (round < list.size() && static_cast<int64_t>(chosen.size()) < o.count) {
        chosen.push_back(list[round]);
        any = true;
      }
    }
    if (!any) break;
  }
  return std::get<0>(torch::tensor(chosen, torch::kInt64).sort());
}

Dataset make_testbed(const Dataset& data, const TestBedOptions& o, torch::Tensor* ids) {
  torch::Tensor idx = select_testbed(data, o);
  if (ids) *ids = idx;
  return data.select(idx, "[testbed " + std::to_string(idx.size(0)) + ", seed " + std::to_string(o.seed) + "]");
}

}  // namespace sanity
