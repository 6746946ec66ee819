#pragma once
// Methods the user brings while a program runs: a Python function, a Captum attribution, a Zennit
// composite (python/sanity/_methods.py turns each into a function of the model state). Registered
// under the user's name for as long as a ScopedMethod lives, such a method is built from a spec like
// any other, so every check, the store, resume, verdicts and the report treat it as a built-in one.
// Its spec records `version` (the user's, or a hash of the function's source): a changed function
// is a different method, whose units are computed again rather than served from the old one's.
#include <functional>
#include <string>

#include "attribution/method.h"

namespace sanity {

// The maps of x for `targets` under the model state `model` (the trained model, a cascading stage,
// a noisy copy, ...): [N, C, H, W] like x, or [N, H, W] (one map for every channel).
using MapFunction = std::function<Tensor(const Graph& model, const Tensor& x, const Tensor& targets)>;

struct CallableMethodDef {
  std::string name;
  std::string summary;
  std::string version;        // part of the method's spec, hence of every unit's identity
  MapKind kind = MapKind::Relevance;
  int64_t batch_size = 0;     // images per call of `maps`; 0: the batch size of the work
  MapFunction maps;
};

// The method's registration; removed from the registry when destroyed or closed.
class ScopedMethod {
 public:
  // InputError when the name is not a plain identifier or is already taken (a built-in method or
  // another of the user's).
  explicit ScopedMethod(CallableMethodDef def);
  ~ScopedMethod() { close(); }
  ScopedMethod(const ScopedMethod&) = delete;
  ScopedMethod& operator=(const ScopedMethod&) = delete;
  void close();
  const std::string& name() const { return name_; }

 private:
  std::string name_;
  bool open_ = false;
};

// [n, H, W] maps broadcast to x's [n, C, H, W]; InputError naming the method for any other shape.
Tensor maps_like_input(const Tensor& maps, const Tensor& x, const std::string& method);

}  // namespace sanity
