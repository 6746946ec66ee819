// The ONNX importer's values: tensors and attributes read from the file, constants folded at import,
// and a constant input made a graph node of its own (onnx_importer.h).
#include <onnx/onnx_pb.h>

#include <cstring>

#include "core/error.h"
#include "models/layers.h"
#include "models/onnx_import_names.h"
#include "models/onnx_importer.h"

namespace sanity::onnx_import {

Tensor Importer::to_tensor(const onnx::TensorProto& t, const std::string& what) const {
  if (t.data_location() == onnx::TensorProto::EXTERNAL)
    throw UnsupportedError(path_ + ": " + what + ": tensor data is stored in an external file, which a model "
                                             "given as bytes cannot reach; load it from its file, or save it with "
                                             "every tensor inside (external_data=False)");
  std::vector<int64_t> dims(t.dims().begin(), t.dims().end());
  // The product of the non-zero dims is bounded too: LibTorch's stride computation multiplies them
  // even when another dim is 0, and an overflow there is a std::terminate (found by fuzz_onnx).
  int64_t n = 1, nonzero = 1;
  for (auto d : dims)
    if (d < 0 || __builtin_mul_overflow(nonzero, std::max<int64_t>(d, 1), &nonzero) || nonzero > (int64_t{1} << 40))
      throw InputError(path_ + ": " + what + ": dims " + shape_str(dims) + " are negative or impossibly large");
  for (auto d : dims) n *= d;
  const std::string& raw = t.raw_data();
  auto from_raw = [&](at::ScalarType type, size_t elem) {
    if (raw.size() != static_cast<size_t>(n) * elem)
      throw InputError(path_ + ": " + what + ": raw_data holds " + std::to_string(raw.size()) + " bytes, shape " +
                       shape_str(dims) + " needs " + std::to_string(n * elem));
    Tensor r = torch::empty(dims, type);
    if (!raw.empty()) std::memcpy(r.data_ptr(), raw.data(), raw.size());  // empty tensor: no buffer
    return r;
  };
  auto check_count = [&](int64_t count) {
    if (count != n)
      throw InputError(path_ + ": " + what + ": holds " + std::to_string(count) + " values, shape " +
                       shape_str(dims) + " needs " + std::to_string(n));
  };
  switch (t.data_type()) {
    case onnx::TensorProto::FLOAT:
      if (!raw.empty()) return from_raw(torch::kFloat32, 4);
      check_count(t.float_data_size());
      return torch::tensor(std::vector<float>(t.float_data().begin(), t.float_data().end())).reshape(dims);
    case onnx::TensorProto::DOUBLE:
      if (!raw.empty()) return from_raw(torch::kFloat64, 8).to(torch::kFloat32);
      check_count(t.double_data_size());
      return torch::tensor(std::vector<double>(t.double_data().begin(), t.double_data().end()))
          .reshape(dims)
          .to(torch::kFloat32);
    case onnx::TensorProto::INT64:
      if (!raw.empty()) return from_raw(torch::kInt64, 8);
      check_count(t.int64_data_size());
      return torch::tensor(std::vector<int64_t>(t.int64_data().begin(), t.int64_data().end()), torch::kInt64)
          .reshape(dims);
    case onnx::TensorProto::INT32:
      if (!raw.empty()) return from_raw(torch::kInt32, 4).to(torch::kInt64);
      check_count(t.int32_data_size());
      return torch::tensor(std::vector<int32_t>(t.int32_data().begin(), t.int32_data().end()), torch::kInt32)
          .reshape(dims)
          .to(torch::kInt64);
    case onnx::TensorProto::BOOL:
      if (!raw.empty()) return from_raw(torch::kBool, 1);
      check_count(t.int32_data_size());
      return torch::tensor(std::vector<int32_t>(t.int32_data().begin(), t.int32_data().end()), torch::kInt32)
          .reshape(dims)
          .to(torch::kBool);
    default:
      throw UnsupportedError(path_ + ": " + what + ": tensor element type " + std::to_string(t.data_type()) +
                             " is not supported (float, double, int32, int64 and bool are)");
  }
}

const onnx::AttributeProto* Importer::attr(const onnx::NodeProto& n, const std::string& key) const {
  for (const auto& a : n.attribute())
    if (a.name() == key) return &a;
  return nullptr;
}
int64_t Importer::attr_int(const onnx::NodeProto& n, const std::string& key, int64_t fallback) const {
  const auto* a = attr(n, key);
  return a ? a->i() : fallback;
}
double Importer::attr_float(const onnx::NodeProto& n, const std::string& key, double fallback) const {
  const auto* a = attr(n, key);
  return a ? a->f() : fallback;
}
std::string Importer::attr_string(const onnx::NodeProto& n, const std::string& key, const std::string& fallback) const {
  const auto* a = attr(n, key);
  return a ? a->s() : fallback;
}
std::vector<int64_t> Importer::attr_ints(const onnx::NodeProto& n, const std::string& key, std::vector<int64_t> fallback) const {
  const auto* a = attr(n, key);
  return a ? std::vector<int64_t>(a->ints().begin(), a->ints().end()) : fallback;
}

bool Importer::all_constant(const onnx::NodeProto& n) const {
  for (int i = 0; i < n.input_size(); ++i)
    if (!n.input(i).empty() && !is_constant(n.input(i))) return false;
  return true;
}

const Constant& Importer::folded(const onnx::NodeProto& n, int i, const char* role) const {
  if (!has_input(n, i)) bad(n, std::string("missing input ") + std::to_string(i) + " (" + role + ")");
  auto it = constants_.find(n.input(i));
  if (it == constants_.end())
    unsupported(n, std::string("input '") + n.input(i) + "' (" + role +
                       ") is computed from the image at run time; sanity needs it to be a constant or to follow "
                       "from the input's shape");
  return it->second;
}

const Tensor& Importer::constant(const onnx::NodeProto& n, int i, const char* role) const {
  const Constant& c = folded(n, i, role);
  if (c.batch_dependent())
    unsupported(n, std::string("input '") + n.input(i) + "' (" + role + ") depends on the batch size");
  return c.value;
}

std::vector<BatchAffine> Importer::batch_ints(const onnx::NodeProto& n, int i, const char* role) const {
  const Constant& c = folded(n, i, role);
  const std::vector<int64_t> a = ints_of(c.at(0)), b = ints_of(c.at(1));
  if (a.size() != b.size()) unsupported(n, std::string(role) + ": its length depends on the batch size");
  const int64_t step = kProbeBatch[1] - kProbeBatch[0];
  std::vector<BatchAffine> out;
  for (size_t k = 0; k < a.size(); ++k) {
    if ((b[k] - a[k]) % step != 0) unsupported(n, std::string(role) + ": an entry is not affine in the batch size");
    const int64_t factor = (b[k] - a[k]) / step;
    out.push_back({factor, a[k] - factor * kProbeBatch[0]});
  }
  return out;
}

int Importer::value(const onnx::NodeProto& n, int i) {
  if (!has_input(n, i)) bad(n, "missing input " + std::to_string(i));
  auto it = values_.find(n.input(i));
  if (it != values_.end()) return it->second;
  if (is_constant(n.input(i))) return materialize(n, n.input(i));
  bad(n, "input '" + n.input(i) + "' is not produced by any earlier node, initializer or graph input");
}

int Importer::materialize(const onnx::NodeProto& n, const std::string& name) {
  const Constant& c = constants_.at(name);
  if (!c.value.is_floating_point())
    unsupported(n, "input '" + name + "' is an integer constant where sanity expects a computed tensor");
  // The value at batch size 1 broadcast to the shape at N: entries that grow with N are the batch.
  Tensor base = c.value.to(torch::kFloat32);
  std::vector<int64_t> factor(base.dim(), 0), offset(base.sizes().begin(), base.sizes().end());
  if (c.batch_dependent()) {
    const Tensor& two = c.second;
    if (two.dim() != base.dim()) unsupported(n, "input '" + name + "': its rank depends on the batch size");
    for (int64_t d = 0; d < base.dim(); ++d)
      if (two.size(d) != base.size(d)) {
        if (base.size(d) != kProbeBatch[0] || two.size(d) != kProbeBatch[1])
          unsupported(n, "input '" + name + "': a dimension grows with the batch size other than as the batch");
        base = base.narrow(d, 0, 1);
        factor[d] = 1;
        offset[d] = 0;
      }
    if (!two.to(torch::kFloat32).equal(base.expand(two.sizes())))
      unsupported(n, "input '" + name + "' differs between the images of a batch");
  }
  const std::string pname = c.source.empty() ? "value" : c.source;
  auto layer = std::make_unique<ParamExpand>(pname, base.contiguous().clone(), factor, offset);
  layer->params()[0].trainable = c.param;
  // Named by the value where the exporter named it ("class_token"), else by its parameter.
  onnx::NodeProto synthetic;
  synthetic.set_name(!exporter_made(name) || c.source.empty() ? name : c.source);
  synthetic.set_op_type("Constant");
  synthetic.add_input(graph_.node(0).name);
  synthetic.add_output(name);
  const int idx = emit(synthetic, std::move(layer), {0});
  values_[name] = idx;
  return idx;
}

void Importer::fold(const onnx::NodeProto& n, const std::function<Tensors(const Tensors&)>& f) {
  bool dependent = false;
  int params = 0;
  std::string source;  // the one parameter this value derives from, if one: a class token expanded
  for (int i = 0; i < n.input_size(); ++i)
    if (!n.input(i).empty()) {
      if (!is_constant(n.input(i)))
        unsupported(n, "input '" + n.input(i) + "' is computed from the image where sanity folds this node");
      const Constant& c = constants_.at(n.input(i));
      dependent = dependent || c.batch_dependent();
      if (c.param) {
        ++params;
        source = c.source;
      }
    }
  const bool param = params > 0;
  auto inputs = [&](int probe) {
    Tensors in;
    for (int i = 0; i < n.input_size(); ++i) in.push_back(n.input(i).empty() ? Tensor() : constants_.at(n.input(i)).at(probe));
    return in;
  };
  const Tensors first = f(inputs(0));
  const Tensors second = dependent ? f(inputs(1)) : Tensors();
  for (int k = 0; k < n.output_size() && k < static_cast<int>(first.size()); ++k) {
    if (n.output(k).empty()) continue;
    Constant c;
    c.value = first[k];
    c.param = param && first[k].is_floating_point();
    if (c.param && params == 1) c.source = source;
    if (dependent && !(second[k].sizes() == first[k].sizes() && second[k].equal(first[k]))) c.second = second[k];
    constants_[n.output(k)] = std::move(c);
  }
}

std::vector<int64_t> Importer::ints_of(const Tensor& t) const {
  Tensor c = t.to(torch::kInt64).contiguous().view(-1);
  return std::vector<int64_t>(c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel());
}

}  // namespace sanity::onnx_import
