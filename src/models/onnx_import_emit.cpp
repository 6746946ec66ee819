// The ONNX importer's graph nodes: a node's layer added to the graph under a name and module path
// that read like the PyTorch model, run on the probes as it is added, and the windows' pads
// (onnx_importer.h).
#include <onnx/onnx_pb.h>

#include "core/error.h"
#include "models/layers.h"
#include "models/onnx_importer.h"
#include "models/onnx_provenance.h"

namespace sanity::onnx_import {
namespace {

// PyTorch's export scopes name each module by its attribute, and an nn.Sequential's element by the
// Sequential's name and index: "/features/features.7/features.7.0/block/block.0/Conv" is the module
// features.7.0.block.0. A segment that extends the last part ("block" -> "block.0") replaces it.
std::string module_path(const std::string& name) {
  if (name.empty() || name[0] != '/') return {};
  std::vector<std::string> segs;
  size_t start = 1;
  for (size_t slash; (slash = name.find('/', start)) != std::string::npos; start = slash + 1)
    segs.push_back(name.substr(start, slash - start));
  std::vector<std::string> parts;
  for (const auto& s : segs) {
    if (s.empty()) continue;
    if (!parts.empty() && s.rfind(parts.back() + ".", 0) == 0) parts.back() = s;
    else parts.push_back(s);
  }
  std::string path;
  for (const auto& p : parts) path += (path.empty() ? "" : ".") + p;
  return path;
}

// Where a node comes from in the PyTorch model, read once per node: the module of its weight
// ("features.28" for "features.28.weight") and the module torch's dynamo exporter traced it in.
struct NodeOrigin {
  std::string weight, scoped;
  explicit NodeOrigin(const onnx::NodeProto& n)
      : weight(n.input_size() > 1 ? parameter_module(n.input(1)) : std::string()), scoped(scoped_path(n)) {}
};

}  // namespace

std::string Importer::unique_node_name(const onnx::NodeProto& n, const std::string& weight, const std::string& scoped,
                                       int output) const {
  std::string name = name_of(n);
  // torch's dynamo exporter names nodes by operator and counter ("node_Conv_296"); such a node takes
  // its module's name instead ("layer1.0.conv1/Conv"), so that stages and --layers read like the model.
  if (!scoped.empty() && name.rfind('/', 0) != 0) name = (weight.empty() ? scoped : weight) + "/" + n.op_type();
  if (output > 0) name += "_" + std::to_string(output);
  if (graph_.try_find(name)) name += "_" + std::to_string(graph_.size());
  return name;
}

std::optional<Tensor> Importer::run_on_probe(const onnx::NodeProto& n, const Layer& layer, const std::vector<int>& inputs,
                                             int which) const {
  Tensors in;
  for (int i : inputs) {
    auto t = probe(i, which);
    if (!t) return std::nullopt;
    in.push_back(*t);
  }
  try {
    torch::NoGradGuard ng;
    return layer.forward(in, false);
  } catch (const c10::Error& e) {
    std::string msg = e.what_without_backtrace();
    msg = msg.substr(0, msg.find('\n'));
    std::vector<std::string> shapes;
    for (const auto& t : in) shapes.push_back(shape_str(t.sizes()));
    bad(n, "cannot run on inputs of shape " + join(shapes) + ": " + msg);
  }
}

// PyTorch module paths become aliases for --layer options: "/layer4/layer4.2/conv3/Conv" is also
// "layer4.2.conv3", and a parameter prefix ("features.28" from "features.28.weight") too.
void Importer::record_module_path(int idx, const onnx::NodeProto& n, const std::string& name,
                                  const std::string& weight, const std::string& scoped) {
  const auto alias = [&](const std::string& a) {
    if (!graph_.try_find(a)) graph_.add_alias(a, idx);
  };
  if (const std::string path = module_path(name); !path.empty()) {
    graph_.set_path(idx, path);
    alias(path);
  }
  if (!weight.empty()) {
    alias(weight);
    if (graph_.path(idx).empty()) graph_.set_path(idx, weight);
  }
  if (graph_.path(idx).empty() && !scoped.empty()) {
    graph_.set_path(idx, scoped);
    alias(scoped);
  }
  if (graph_.path(idx).empty() && n.op_type() == "Constant" && !n.name().empty() && n.name()[0] != '/')
    graph_.set_path(idx, n.name());  // a parameter made a node: "class_token"
}

int Importer::emit(const onnx::NodeProto& n, std::unique_ptr<Layer> layer, std::vector<int> inputs, int output) {
  const NodeOrigin origin(n);
  const std::string name = unique_node_name(n, origin.weight, origin.scoped, output);
  const std::optional<Tensor> out[2] = {run_on_probe(n, *layer, inputs, 0), run_on_probe(n, *layer, inputs, 1)};
  const int idx = graph_.add(name, std::move(layer), std::move(inputs));
  for (int p = 0; p < 2; ++p)
    if (out[p]) probes_[p][idx] = *out[p];
  if (n.output_size() > output) values_[n.output(output)] = idx;
  if (output == 0)
    for (int i = 1; i < n.output_size(); ++i)
      if (!n.output(i).empty() && uses_.count(n.output(i)) && n.op_type() != "Split")
        unsupported(n, "output " + std::to_string(i) + " ('" + n.output(i) + "') is used; only the first output is supported");
  record_module_path(idx, n, name, origin.weight, origin.scoped);
  return idx;
}

void Importer::emit_or_fold(const onnx::NodeProto& n, std::unique_ptr<Layer> layer) {
  if (is_constant(n.input(0))) {
    const Layer& l = *layer;
    fold(n, [&l](const Tensors& in) { return Tensors{l.forward({in.at(0)}, false)}; });
    return;
  }
  const int x = value(n, 0);
  emit(n, std::move(layer), {x});
}

void Importer::reshape_to_probe(const onnx::NodeProto& n, const std::function<Tensor(const Tensor&)>& f) {
  if (is_constant(n.input(0))) {
    fold(n, [&f](const Tensors& in) { return Tensors{f(in.at(0))}; });
    return;
  }
  const int x = value(n, 0);
  const auto p0 = probe(x, 0), p1 = probe(x, 1);
  if (!p0 || !p1) unsupported(n, "needs a fixed input height and width to resolve the output shape");
  // The output at both probe batch sizes: the one entry that differs follows the batch. At position 0
  // it is the batch dimension itself; elsewhere (a sequence-first attention moves the batch to
  // position 1 or 2) the layer infers it (-1) from the input's size.
  const Tensor a = f(*p0), b = f(*p1);
  if (a.dim() == 0 || a.dim() != b.dim()) unsupported(n, "changes the batch dimension");
  std::vector<int64_t> shape(a.sizes().begin(), a.sizes().end());
  int batch_at = -1;
  for (int64_t i = 0; i < a.dim(); ++i) {
    if (a.size(i) == b.size(i)) continue;
    if (batch_at >= 0 || a.size(i) * kProbeBatch[1] != b.size(i) * kProbeBatch[0])  // not factor * N
      unsupported(n, "changes the batch dimension");
    batch_at = static_cast<int>(i);
  }
  if (batch_at < 0) unsupported(n, "changes the batch dimension");
  const bool batch_first = batch_at == 0 && a.size(0) == p0->size(0) && b.size(0) == p1->size(0);
  if (!batch_first) shape[batch_at] = -1;
  emit(n, std::make_unique<Reshape>(shape, batch_first), {x});
}

namespace {

// A window (Conv, MaxPool, AveragePool) must fit its padded input, with pads of image size: a hostile
// file's pads of 100,000 would otherwise reach LibTorch's allocator (1.4 TB) and a kernel larger than
// the image its shape checks, each with LibTorch's text.
void check_window(const Importer& im, const onnx::NodeProto& n, const std::vector<int64_t>& kernel,
                  const std::vector<int64_t>& stride, const std::vector<int64_t>& dilation, const Pads2d& p,
                  int input_node) {
  constexpr int64_t kMaxPad = 8192;
  for (int64_t v : {p.top, p.left, p.bottom, p.right})
    if (v < 0 || v > kMaxPad)
      im.bad(n, "pads of " + std::to_string(v) + " pixels; expected 0 to " + std::to_string(kMaxPad));
  for (int d = 0; d < 2; ++d)
    if (kernel.at(d) < 1 || stride.at(d) < 1 || dilation.at(d) < 1)
      im.bad(n, "kernel_shape, strides and dilations must be at least 1");
  const auto in = im.probe(input_node);
  if (!in || in->dim() != 4) return;
  for (int d = 0; d < 2; ++d) {
    const int64_t padded = in->size(2 + d) + (d == 0 ? p.top + p.bottom : p.left + p.right);
    const int64_t extent = dilation[d] * (kernel[d] - 1) + 1;
    if (extent > padded)
      im.bad(n, "its " + std::to_string(extent) + "-pixel window does not fit the input's " + (d == 0 ? "height" : "width") +
                    " of " + std::to_string(padded) + " pixels (padding included)");
  }
}

}  // namespace

Pads2d Importer::pads2d(const onnx::NodeProto& n, const std::vector<int64_t>& kernel, const std::vector<int64_t>& stride,
                        const std::vector<int64_t>& dilation, int input_node) {
  const Pads2d p = pads_as_given(n, kernel, stride, dilation, input_node);
  check_window(*this, n, kernel, stride, dilation, p, input_node);
  return p;
}

Pads2d Importer::pads_as_given(const onnx::NodeProto& n, const std::vector<int64_t>& kernel,
                               const std::vector<int64_t>& stride, const std::vector<int64_t>& dilation,
                               int input_node) {
  const std::string auto_pad = attr_string(n, "auto_pad", "NOTSET");
  if (auto_pad == "NOTSET") {
    auto p = attr_ints(n, "pads", {0, 0, 0, 0});
    if (p.size() != 4) unsupported(n, "pads has " + std::to_string(p.size()) + " entries; only 2-D (4 entries) is supported");
    return {p[0], p[1], p[2], p[3]};
  }
  if (auto_pad == "VALID") return {};
  if (auto_pad != "SAME_UPPER" && auto_pad != "SAME_LOWER") bad(n, "auto_pad '" + auto_pad + "' is not valid");
  auto in = probe(input_node);
  if (!in) unsupported(n, "auto_pad " + auto_pad + " needs a fixed input height and width");
  Pads2d p;
  int64_t total[2];
  for (int d = 0; d < 2; ++d) {
    const int64_t size = in->size(2 + d), out = (size + stride[d] - 1) / stride[d];
    total[d] = std::max<int64_t>(0, (out - 1) * stride[d] + dilation[d] * (kernel[d] - 1) + 1 - size);
  }
  const bool upper = auto_pad == "SAME_UPPER";
  p.top = upper ? total[0] / 2 : total[0] - total[0] / 2;
  p.bottom = total[0] - p.top;
  p.left = upper ? total[1] / 2 : total[1] - total[1] / 2;
  p.right = total[1] - p.left;
  return p;
}

std::vector<int64_t> Importer::spatial(const onnx::NodeProto& n, const std::string& key, std::vector<int64_t> fallback) {
  auto v = attr_ints(n, key, fallback);
  if (v.size() != 2) unsupported(n, key + " has " + std::to_string(v.size()) + " entries; only 2-D operators are supported");
  return v;
}

}  // namespace sanity::onnx_import
