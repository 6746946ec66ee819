#include "models/activation_reuse.h"

#include <algorithm>
#include <atomic>
#include <deque>
#include <mutex>
#include <unordered_set>

#include "core/precision.h"
#include "models/graph.h"

namespace sanity {

namespace {

// What a remembered node was computed by: the layer object and its parameters are held, so neither
// can be freed and another allocated at the same address while the pass is remembered.
struct RememberedNode {
  std::shared_ptr<Layer> layer;
  std::vector<int> inputs;
  Tensors params;
  std::vector<int64_t> versions;
};

struct RememberedPass {
  Tensor x;
  int64_t x_version = 0;
  int64_t input = 0;  // passes of equal inputs share this number
  uint32_t arithmetic = 0;  // arithmetic_key when computed: bf16 values never serve a float32 pass
  int last = 0;
  std::vector<RememberedNode> nodes;  // [0] unused
  Tensors values;              // [0] unused
  std::vector<int64_t> versions;
  size_t bytes = 0;
};

struct ReuseState {
  std::mutex mutex;
  int scopes = 0;
  size_t max_bytes = 0, bytes = 0;
  int64_t inputs = 0;  // numbers given to inputs so far
  std::deque<RememberedPass> passes;  // newest first
};

ReuseState& reuse_state() {
  static ReuseState s;
  return s;
}

std::atomic<int64_t> reused_count{0}, computed_count{0};

bool same_node(const RememberedNode& key, const Node& n) {
  if (key.layer.get() != n.layer.get() || key.inputs != n.inputs) return false;
  const std::vector<Param>& params = n.layer->params();
  if (params.size() != key.params.size()) return false;
  for (size_t i = 0; i < params.size(); ++i)
    if (params[i].value.unsafeGetTensorImpl() != key.params[i].unsafeGetTensorImpl() ||
        params[i].value._version() != key.versions[i])
      return false;
  return true;
}

// An input the pass was computed from, unedited since, equal to x.
bool same_input(const RememberedPass& p, const Tensor& x) {
  if (p.x._version() != p.x_version) return false;
  if (p.x.unsafeGetTensorImpl() == x.unsafeGetTensorImpl()) return true;
  if (p.x.sizes() != x.sizes() || p.x.strides() != x.strides() || p.x.scalar_type() != x.scalar_type() ||
      p.x.device() != x.device())
    return false;
  // The first row first: other rows of noise or of an IG path differ there already.
  const bool first_row = x.dim() == 0 || x.size(0) < 2 || torch::equal(p.x.narrow(0, 0, 1), x.narrow(0, 0, 1));
  return first_row && torch::equal(p.x, x);
}

// How many lowest nodes of g (up to `last`) the pass holds unedited values of.
int shared_prefix(const RememberedPass& p, const Graph& g, int last) {
  const int top = std::min(last, p.last);
  int k = 0;
  while (k < top && same_node(p.nodes[static_cast<size_t>(k) + 1], g.node(k + 1)) &&
         p.values[static_cast<size_t>(k) + 1]._version() == p.versions[static_cast<size_t>(k) + 1])
    ++k;
  return k;
}

bool storable(const Tensor& t) { return !t.defined() || !t.is_inference(); }

// What computed node n, as it is now.
RememberedNode node_key(const Node& n) {
  RememberedNode key;
  key.layer = n.layer;
  key.inputs = n.inputs;
  for (const Param& param : n.layer->params()) {
    key.params.push_back(param.value);
    key.versions.push_back(param.value._version());
  }
  return key;
}

// The pass's values[0..last] and the nodes that computed them.
RememberedPass remembered_pass(const Graph& g, int last, int reused, const Tensors& values) {
  RememberedPass p;
  p.x = values[0];
  p.x_version = p.x._version();
  p.arithmetic = arithmetic_key(p.x.device().type());
  p.last = last;
  p.nodes.resize(static_cast<size_t>(last) + 1);
  p.values.resize(static_cast<size_t>(last) + 1);
  p.versions.resize(static_cast<size_t>(last) + 1, 0);
  std::unordered_set<const void*> counted;
  for (int k = 1; k <= last; ++k) {
    p.nodes[static_cast<size_t>(k)] = node_key(g.node(k));
    const Tensor& v = values[static_cast<size_t>(k)];
    p.values[static_cast<size_t>(k)] = v;
    if (!v.defined()) continue;
    p.versions[static_cast<size_t>(k)] = v._version();
    // Only what this pass computed, once per storage (a flatten is a view of its input).
    if (k > reused && counted.insert(v.storage().unsafeGetStorageImpl()).second) p.bytes += v.storage().nbytes();
  }
  return p;
}

// The number of x among the inputs: a remembered pass's, when one is of an input equal to x.
int64_t number_input(ReuseState& s, const Tensor& x) {
  const int64_t fresh = ++s.inputs;
  for (const RememberedPass& q : s.passes)
    if (same_input(q, x)) return q.input;
  return fresh;
}

// A remembered pass of the same input that p extends is no longer needed.
void drop_extended_passes(ReuseState& s, RememberedPass& p, const Graph& g) {
  for (auto it = s.passes.begin(); it != s.passes.end();) {
    if (it->x.unsafeGetTensorImpl() == p.x.unsafeGetTensorImpl() && it->arithmetic == p.arithmetic &&
        it->last <= p.last && shared_prefix(*it, g, p.last) == it->last) {
      s.bytes -= it->bytes;
      p.bytes += it->bytes;  // its values are p's now
      it = s.passes.erase(it);
    } else {
      ++it;
    }
  }
}

// Passes of inputs used less recently than the last kMaxInputs are forgotten.
void forget_old_inputs(ReuseState& s) {
  std::vector<int64_t> recent;
  for (auto it = s.passes.begin(); it != s.passes.end();) {
    bool keep = std::find(recent.begin(), recent.end(), it->input) != recent.end();
    if (!keep && recent.size() < ActivationReuse::kMaxInputs) {
      recent.push_back(it->input);
      keep = true;
    }
    if (keep) {
      ++it;
    } else {
      s.bytes -= it->bytes;
      it = s.passes.erase(it);
    }
  }
}

// The least recently used passes go until the rest fit in max_bytes and kMaxPasses.
void trim_to_limits(ReuseState& s) {
  while (!s.passes.empty() && (s.bytes > s.max_bytes || s.passes.size() > ActivationReuse::kMaxPasses)) {
    s.bytes -= s.passes.back().bytes;
    s.passes.pop_back();
  }
}

}  // namespace

ActivationReuse::ActivationReuse(size_t max_bytes) {
  ReuseState& s = reuse_state();
  std::lock_guard<std::mutex> lock(s.mutex);
  if (s.scopes++ == 0) s.max_bytes = max_bytes;
}

ActivationReuse::~ActivationReuse() {
  ReuseState& s = reuse_state();
  std::lock_guard<std::mutex> lock(s.mutex);
  if (--s.scopes > 0) return;
  s.passes.clear();
  s.bytes = 0;
}

ActivationReuse::Counts ActivationReuse::counts() { return {reused_count.load(), computed_count.load()}; }

namespace activation_reuse {

int recall(const Graph& g, int last, Tensors& values) {
  ReuseState& s = reuse_state();
  std::lock_guard<std::mutex> lock(s.mutex);
  if (s.scopes == 0 || !storable(values[0])) return 0;
  int best = 0;
  auto best_it = s.passes.end();
  const uint32_t arithmetic = arithmetic_key(values[0].device().type());
  for (auto it = s.passes.begin(); it != s.passes.end(); ++it) {
    if (it->arithmetic != arithmetic || !same_input(*it, values[0])) continue;
    const int k = shared_prefix(*it, g, last);
    if (k > best) {
      best = k;
      best_it = it;
    }
  }
  if (best == 0) return 0;
  for (int k = 1; k <= best; ++k) values[static_cast<size_t>(k)] = best_it->values[static_cast<size_t>(k)];
  if (best_it != s.passes.begin()) {  // the most recently used first: evicted last
    RememberedPass p = std::move(*best_it);
    s.passes.erase(best_it);
    s.passes.push_front(std::move(p));
  }
  reused_count += best;
  return best;
}

void remember(const Graph& g, int last, int reused, const Tensors& values) {
  computed_count += last - reused;
  ReuseState& s = reuse_state();
  std::lock_guard<std::mutex> lock(s.mutex);
  if (s.scopes == 0 || last <= reused) return;
  for (int k = 0; k <= last; ++k)
    if (!storable(values[static_cast<size_t>(k)])) return;
  RememberedPass p = remembered_pass(g, last, reused, values);
  p.input = number_input(s, p.x);
  drop_extended_passes(s, p, g);
  if (p.bytes > s.max_bytes) return;
  s.bytes += p.bytes;
  s.passes.push_front(std::move(p));
  forget_old_inputs(s);
  trim_to_limits(s);
}

}  // namespace activation_reuse
}  // namespace sanity
