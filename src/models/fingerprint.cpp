#include "models/fingerprint.h"

#include <cstdio>
#include <cstring>

#include "models/layer.h"

namespace sanity {

ContentKey::Digest model_fingerprint(const Graph& g) {
  ContentKey key;
  for (const auto& n : g.nodes()) {
    key.add(n.name).add(std::string(kind_name(n.layer->kind())));
    for (const auto& p : n.layer->params()) {
      const Tensor t = p.value.detach().to(torch::kCPU).contiguous();
      key.add(t.data_ptr(), t.nbytes());
    }
  }
  return key.digest();
}

}  // namespace sanity
