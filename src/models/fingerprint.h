#pragma once
// A model's exact content fingerprint (core/hash.h): its node names, layer kinds and weights. Caches
// key on it, so a randomized or retrained model never reuses what was computed for another one.
#include <cstdint>
#include <string>

#include "core/hash.h"
#include "models/graph.h"

namespace sanity {

ContentKey::Digest model_fingerprint(const Graph& g);

}  // namespace sanity
