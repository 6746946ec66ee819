#include "models/fingerprint.h"

#include <cstdio>
#include <cstring>

#include "models/layer.h"

namespace sanity {

uint64_t model_fingerprint(const Graph& g) {
  uint64_t h = kFnvOffset;
  for (const auto& n : g.nodes()) {
    h = fnv1a(h, n.name);
    h = fnv1a(h, std::string(kind_name(n.layer->kind())));
    for (const auto& p : n.layer->params()) {
      const Tensor t = p.value.detach().to(torch::kCPU).contiguous();
      h = fnv1a(h, t.data_ptr(), t.nbytes());
    }
  }
  return h;
}

}  // namespace sanity
