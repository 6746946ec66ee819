#include "data/image_folder.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <utility>

#include "core/build_info.h"
#include "core/error.h"

namespace fs = std::filesystem;

namespace sanity {
namespace {

const std::set<std::string> kImageExtensions = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".pgm", ".ppm"};

bool is_image(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), ::tolower);
  return kImageExtensions.count(ext) > 0;
}

// Class folders are numbered as torchvision's ImageFolder numbers them, by sorted name, so that a
// model trained with it gets its own labels. A folder named like a number that is not its class
// ("-1" as class 0, "10" as class 2) is said once.
void note_numbered_folders(const std::string& root, const std::vector<std::string>& classes) {
  for (size_t c = 0; c < classes.size(); ++c) {
    int64_t n = 0;
    const std::string& name = classes[c];
    const auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), n);
    const bool number = end == name.data() + name.size() && ec != std::errc::invalid_argument;  // past 64 bits too
    if (!number || (ec == std::errc() && n == static_cast<int64_t>(c))) continue;
    std::fprintf(stderr, "note: %s: class folders are numbered by sorted name, as torchvision's ImageFolder numbers "
                         "them: folder '%s' is class %zu\n", root.c_str(), name.c_str(), c);
    return;
  }
}

std::vector<fs::path> images_in(const fs::path& dir) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_regular_file() && is_image(e.path())) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

ImagePreprocess imagenet_preprocess() {
  ImagePreprocess p;
  p.resize = 256;
  p.crop = 224;
  p.mean = {0.485, 0.456, 0.406};
  p.std = {0.229, 0.224, 0.225};
  return p;
}

namespace {

// Whether a label is a class index (digits) rather than a class name; a negative number is neither.
bool is_class_index(const std::string& label, const std::string& where) {
  const auto digits = [](const std::string& t) { return !t.empty() && std::all_of(t.begin(), t.end(), ::isdigit); };
  if (label[0] == '-' && digits(label.substr(1)))
    throw InputError(where + ": expected a class index from 0 or a class name, not a negative number");
  return digits(label);
}

// Checked before any image is decoded: OpenCV would try to allocate a 40 GB image for --resize 100000.
void require_sane_sides(const ImagePreprocess& pre) {
  constexpr int64_t kMaxSide = 8192;
  for (const auto& [value, option] : {std::pair{pre.resize, "--resize"}, std::pair{pre.crop, "--crop"}})
    if (value != -1 && (value < 1 || value > kMaxSide))
      throw InputError(std::string(option) + " " + std::to_string(value) + ": expected 1 to " + std::to_string(kMaxSide) +
                       " pixels");
}

// The image files with their labels (-1: none), and the class names where the labels have names.
struct LabelledImages {
  std::vector<std::pair<fs::path, int64_t>> items;
  std::vector<std::string> classes;
};

// The labels of a labels file: class indices as written, class names numbered in order of first use.
class LabelsFile {
 public:
  explicit LabelsFile(const std::string& path) : path_(path) {}

  LabelledImages read(const std::string& root) {
    std::ifstream in(path_);
    if (!in) throw InputError("--labels " + path_ + ": cannot open labels file");
    std::string line;
    for (int line_no = 1; std::getline(in, line); ++line_no) {
      if (auto hash = line.find('#'); hash != std::string::npos) line.resize(hash);
      std::istringstream ss(line);
      std::string file, label;
      if (!(ss >> file)) continue;
      if (!(ss >> label))
        throw InputError(path_ + ":" + std::to_string(line_no) + ": expected '<file name> <label>'");
      const int64_t id = class_of(label, path_ + ":" + std::to_string(line_no) + ": label '" + label + "'");
      const fs::path p = fs::path(root) / file;
      if (!fs::exists(p)) throw InputError(path_ + ":" + std::to_string(line_no) + ": " + p.string() + " does not exist");
      if (const auto [it, added] = listed_.emplace(p.lexically_normal().string(), line_no); !added)
        throw InputError(path_ + ":" + std::to_string(line_no) + ": " + file + " is listed again (first on line " +
                         std::to_string(it->second) + "); give each image one label");
      out_.items.emplace_back(p, id);
    }
    return std::move(out_);
  }

 private:
  int64_t class_of(const std::string& label, const std::string& where) {
    const bool numeric = is_class_index(label, where);
    if (line_kinds_.insert(numeric).second && line_kinds_.size() > 1)
      throw InputError(where + ": the file mixes class indices and class names, which would give two labels one "
                               "class; use one kind throughout");
    int64_t id;
    if (numeric) {
      if (std::from_chars(label.data(), label.data() + label.size(), id).ec != std::errc() || id > (int64_t{1} << 31))
        throw InputError(where + ": expected a class index below 2^31");
    } else {
      auto [it, added] = class_index_.emplace(label, static_cast<int64_t>(class_index_.size()));
      if (added) out_.classes.push_back(label);
      id = it->second;
    }
    return id;
  }

  const std::string path_;
  LabelledImages out_;
  std::map<std::string, int64_t> class_index_;
  std::set<bool> line_kinds_;         // numeric labels, named labels
  std::map<std::string, int> listed_;  // image -> its line
};

// root/<class>/<image>, or a flat folder of unlabelled images (whose prediction is explained).
LabelledImages scan_folders(const std::string& root) {
  LabelledImages out;
  std::vector<fs::path> dirs;
  for (const auto& e : fs::directory_iterator(root))
    if (e.is_directory()) dirs.push_back(e.path());
  std::sort(dirs.begin(), dirs.end());
  if (!dirs.empty()) {
    for (size_t c = 0; c < dirs.size(); ++c) {
      out.classes.push_back(dirs[c].filename().string());
      for (const auto& p : images_in(dirs[c])) out.items.emplace_back(p, static_cast<int64_t>(c));
    }
    note_numbered_folders(root, out.classes);
  } else {
    for (const auto& p : images_in(root)) out.items.emplace_back(p, -1);
  }
  return out;
}

std::vector<torch::Tensor> decode_all(const std::vector<std::pair<fs::path, int64_t>>& items, const ImagePreprocess& pre) {
  std::vector<torch::Tensor> images;
  for (const auto& [p, label] : items) {
    images.push_back(load_image(p.string(), pre));
    if (images.back().sizes() != images.front().sizes())
      throw InputError(p.string() + ": size " + std::to_string(images.back().size(2)) + "x" +
                       std::to_string(images.back().size(1)) + " differs from " + items.front().first.string() +
                       "; give --resize and --crop so all images match the model's input");
  }
  return images;
}

}  // namespace

Dataset load_image_folder(const std::string& root, const ImagePreprocess& pre, const std::string& labels_file) {
  if (!fs::is_directory(root)) throw InputError("--data " + root + ": image folder does not exist");
  require_opencv("--data " + root + ": image folders", kImagesWithoutOpenCV);  // before the folder is scanned
  require_sane_sides(pre);
  const LabelledImages found = labels_file.empty() ? scan_folders(root) : LabelsFile(labels_file).read(root);
  const auto& items = found.items;
  if (items.empty()) throw InputError("--data " + root + ": no images found (expected <class>/<image> or images + --labels)");
  const std::vector<torch::Tensor> images = decode_all(items, pre);
  Dataset d;
  d.name = root;
  d.images = torch::stack(images);
  std::vector<int64_t> labels;
  for (const auto& it : items) labels.push_back(it.second);
  d.labels = torch::tensor(labels, torch::kInt64);
  d.class_names = found.classes;
  return d;
}

}  // namespace sanity
