#include "report/render.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "core/error.h"
#include "core/files.h"
#include "report/subprocess.h"

namespace fs = std::filesystem;

namespace sanity::report {

namespace {

const char* kPackages[] = {"vega", "vega-lite", "vega-embed"};

std::string last_lines(const std::string& text, size_t max_chars = 600) {
  return text.size() <= max_chars ? text : "..." + text.substr(text.size() - max_chars);
}

}  // namespace

Toolchain find_toolchain(const std::string& node, const std::string& rsvg_convert, const std::string& js_root) {
  Toolchain t;
  t.js_root = js_root;
  t.node = find_executable(node);
  if (t.node.empty())
    throw InputError("report: Node.js ('" + node + "') not found: install Debian's nodejs and npm (scripts/setup.sh does)");
  t.rsvg_convert = find_executable(rsvg_convert);
  if (t.rsvg_convert.empty())
    throw InputError("report: '" + rsvg_convert +
                     "' not found: install Debian's librsvg2-bin, which draws the PNG figures (scripts/setup.sh does)");
  for (const char* package : kPackages) {
    const fs::path manifest = fs::path(js_root) / "node_modules" / package / "package.json";
    if (!fs::is_regular_file(manifest))
      throw InputError("report: the charting library " + std::string(package) + " is missing (" + manifest.string() +
                       "): run `npm ci` in " + js_root + " (scripts/setup.sh does)");
    try {
      t.versions[package] = nlohmann::json::parse(read_file_bytes(manifest.string())).at("version").get<std::string>();
    } catch (const nlohmann::json::exception& e) {
      throw InputError("report: '" + manifest.string() + "': no version (" + e.what() + "); reinstall with `npm ci`");
    }
  }
  t.script = (fs::path(js_root) / "src" / "report" / "render_vega.mjs").string();
  if (!fs::is_regular_file(t.script))
    throw InputError("report: the renderer '" + t.script + "' is missing: js_root must be the sanity source tree");
  return t;
}

void render_svgs(const Toolchain& tools, const std::vector<SvgJob>& jobs, const std::string& work_dir) {
  if (jobs.empty()) return;
  nlohmann::json list = nlohmann::json::array();
  for (const SvgJob& j : jobs) list.push_back({{"name", j.name}, {"spec", *j.spec}, {"svg", j.svg_path}});
  const std::string path = (fs::path(work_dir) / ".render-jobs.json").string();
  std::ofstream(path) << list.dump();
  const ProcessResult r = run_process({tools.node, tools.script, path});
  fs::remove(path);
  if (r.exit_code != 0)
    throw std::runtime_error("report: rendering the charts with " + tools.node + " failed (exit " +
                             std::to_string(r.exit_code) + "): " + last_lines(r.output));
  for (const SvgJob& j : jobs)
    if (!fs::is_regular_file(j.svg_path)) throw std::runtime_error("report: the renderer wrote no " + j.svg_path);
}

void svgs_to_pngs(const Toolchain& tools, const std::vector<std::pair<std::string, std::string>>& svg_png,
                  double zoom) {
  std::atomic<size_t> next{0};
  std::mutex failed;
  std::exception_ptr failure;
  auto work = [&] {
    for (size_t i = next++; i < svg_png.size(); i = next++) {
      const auto& [svg, png] = svg_png[i];
      const ProcessResult r = run_process(
          {tools.rsvg_convert, "--zoom", std::to_string(zoom), "--format", "png", "--output", png, svg});
      if (r.exit_code == 0) continue;
      const std::lock_guard<std::mutex> lock(failed);
      if (!failure)
        failure = std::make_exception_ptr(std::runtime_error("report: " + tools.rsvg_convert + " could not draw " +
                                                             svg + ": " + last_lines(r.output)));
      next = svg_png.size();  // the others stop after the figure they are drawing
    }
  };
  const size_t workers = std::min<size_t>({svg_png.size(), std::max(1u, std::thread::hardware_concurrency()), 8});
  std::vector<std::thread> threads;
  for (size_t t = 1; t < workers; ++t) threads.emplace_back(work);
  work();
  for (std::thread& t : threads) t.join();
  if (failure) std::rethrow_exception(failure);
}

std::vector<std::pair<std::string, std::string>> browser_bundles(const Toolchain& tools) {
  static const std::pair<const char*, const char*> builds[] = {{"vega", "build/vega.min.js"},
                                                               {"vega-lite", "build/vega-lite.min.js"},
                                                               {"vega-embed", "build/vega-embed.min.js"}};
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [package, file] : builds) {
    const fs::path path = fs::path(tools.js_root) / "node_modules" / package / file;
    if (!fs::is_regular_file(path))
      throw InputError("report: '" + path.string() + "' is missing: reinstall the charting libraries with `npm ci` in " +
                       tools.js_root);
    out.emplace_back(package, read_file_bytes(path.string()));
  }
  return out;
}

}  // namespace sanity::report
