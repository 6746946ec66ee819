#include "models/onnx_external.h"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "core/error.h"

namespace sanity::onnx_import {
namespace {

namespace fs = std::filesystem;

struct Where {
  std::string location;
  uint64_t offset = 0;
  int64_t length = -1;  // -1: to the end of the file
};

uint64_t number(const std::string& text, const std::string& what) {
  try {
    size_t used = 0;
    const uint64_t v = std::stoull(text, &used);
    if (used == text.size() && text.find('-') == std::string::npos) return v;
  } catch (const std::exception&) {
  }
  throw InputError(what + ": expected a byte count, got '" + text + "'");
}

Where where_of(const onnx::TensorProto& t, const std::string& what) {
  Where w;
  for (const auto& entry : t.external_data()) {
    if (entry.key() == "location") w.location = entry.value();
    else if (entry.key() == "offset") w.offset = number(entry.value(), what + ".offset");
    else if (entry.key() == "length") w.length = static_cast<int64_t>(number(entry.value(), what + ".length"));
  }
  if (w.location.empty()) throw InputError(what + ".location: missing (external data names no file)");
  return w;
}

// The data file, which must lie in the model's folder or below it: a location is a name the file's
// author chose, and reading outside that folder would let a model read any file.
fs::path data_file(const fs::path& folder, const std::string& location, const std::string& what) {
  const fs::path rel(location);
  if (rel.is_absolute()) throw InputError(what + ".location: '" + location + "' is absolute; expected a file beside the model");
  for (const auto& part : rel)
    if (part == "..") throw InputError(what + ".location: '" + location + "' leaves the model's folder");
  const fs::path file = folder / rel;
  if (!fs::is_regular_file(file)) throw InputError(what + ".location: " + file.string() + " is not a file");
  // A link inside the folder may still point out of it.
  const fs::path real = fs::canonical(file), root = fs::canonical(folder.empty() ? fs::path(".") : folder);
  const auto [end, _] = std::mismatch(root.begin(), root.end(), real.begin(), real.end());
  if (end != root.end()) throw InputError(what + ".location: '" + location + "' leads out of the model's folder");
  return file;
}

}  // namespace

void inline_external_data(onnx::ModelProto& model, const std::string& model_path) {
  const fs::path folder = fs::path(model_path).parent_path();
  for (auto& t : *model.mutable_graph()->mutable_initializer()) {
    if (t.data_location() != onnx::TensorProto::EXTERNAL) continue;
    const std::string what = model_path + ": initializer '" + t.name() + "' external_data";
    const Where w = where_of(t, what);
    const fs::path file = data_file(folder, w.location, what);
    const uint64_t size = fs::file_size(file);
    const uint64_t length = w.length < 0 ? (w.offset <= size ? size - w.offset : 0) : static_cast<uint64_t>(w.length);
    if (w.offset > size || length > size - w.offset)
      throw InputError(what + ": bytes " + std::to_string(w.offset) + " to " + std::to_string(w.offset + length) + " of " +
                       file.string() + ", which holds " + std::to_string(size));
    std::string bytes(length, '\0');
    std::ifstream in(file, std::ios::binary);
    in.seekg(static_cast<std::streamoff>(w.offset));
    if (!in.read(bytes.data(), static_cast<std::streamsize>(length)))
      throw InputError(what + ": cannot read " + file.string());
    t.set_raw_data(std::move(bytes));
    t.clear_external_data();
    t.set_data_location(onnx::TensorProto::DEFAULT);
  }
}

}  // namespace sanity::onnx_import
