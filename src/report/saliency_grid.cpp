// Saliency-map grids (Adebayo et al. 2018, Fig. 1 and 4-9): for one image, rows = methods, columns =
// the input, the explanation of the trained model and the explanation after each randomization
// stage. Composed as SVG with each tile an embedded PNG, so the text is real text (the same fonts
// as the charts once rsvg-convert draws the PNG) and the tiles stay sharp pixels.
#include <algorithm>
#include <cmath>
#include <sstream>

#include "attribution/prepare.h"
#include "report/checks.h"
#include "report/figures.h"
#include "report/markup.h"
#include "report/png_tiles.h"

namespace sanity::report {

namespace {

constexpr double kTile = 80;       // tile height in SVG units
constexpr double kGap = 4;         // between tiles
constexpr double kFont = 12;       // label font size
constexpr double kCharWidth = 0.6; // DejaVu Sans' average advance, in em, to size the label columns

double text_width(const std::string& s, double font = kFont) { return kCharWidth * font * static_cast<double>(s.size()); }

// For the PNG figure, tiles are upscaled by an integer factor with nearest neighbours so that small
// (MNIST) maps stay crisp once rsvg-convert (which smooths scaled images) draws it; sharp at 2x zoom.
// The SVG file and the report's inline copy keep the maps' own pixels (scale 1): browsers scale them
// sharply (image-rendering: pixelated) and the files stay small (36 times fewer pixels for an MNIST tile).
int tile_scale(const torch::Tensor& unit, bool upscale) {
  const int h = static_cast<int>(unit.size(1));
  return upscale ? std::max(1, static_cast<int>(std::ceil(2 * kTile / h))) : 1;
}

std::string fmt(double v) {
  std::ostringstream s;
  s << std::round(v * 10) / 10;
  return s.str();
}

std::string image_element(double x, double y, double w, double h, const std::string& uri) {
  return "<image x=\"" + fmt(x) + "\" y=\"" + fmt(y) + "\" width=\"" + fmt(w) + "\" height=\"" + fmt(h) +
         "\" preserveAspectRatio=\"none\" style=\"image-rendering:pixelated\" xlink:href=\"" + uri + "\"/>\n";
}

std::string text_element(double x, double y, const std::string& text, const std::string& attrs = "") {
  return "<text x=\"" + fmt(x) + "\" y=\"" + fmt(y) + "\"" + (attrs.empty() ? "" : " " + attrs) + ">" +
         escape_markup(text) + "</text>\n";
}

// Method specs can be long: shorten the row label, keep the full spec as a tooltip.
std::string short_label(const std::string& spec) { return spec.size() <= 44 ? spec : spec.substr(0, 42) + "\u2026"; }

// Tiles come in two versions, [0] upscaled for the PNG figure, [1] at the maps' own size for the SVG
// file and the page.
struct GridInput {
  std::string title, subtitle;
  std::vector<std::string> rows, columns;            // method specs; "input" then stage labels
  std::string input_tile[2];                         // data URI
  std::vector<std::vector<std::string>> tiles[2];    // [row][stage column]
  double tile_width = kTile;
};

std::string compose_svg(const GridInput& g, int version) {
  double label_w = 0;
  for (const std::string& r : g.rows) label_w = std::max(label_w, text_width(short_label(r)));
  label_w += 12;
  const double tw = g.tile_width;
  double longest = 0;
  for (const std::string& c : g.columns) longest = std::max(longest, text_width(c, 11));
  const bool slant = longest > tw;
  const double top = 48 + (slant ? longest * std::sin(M_PI / 4.5) + 8 : 18);
  const double sep = 10;  // extra space between the input column and the maps
  const size_t ncols = g.columns.size();
  const double grid_w = static_cast<double>(ncols) * (tw + kGap) + sep;
  const double grid_h = static_cast<double>(g.rows.size()) * (kTile + kGap);
  const double width = std::max(8 + label_w + grid_w + 70, 8 + text_width(g.title, 13) + 16);
  const double height = top + grid_h + 12;

  auto col_x = [&](size_t j) { return 8 + label_w + static_cast<double>(j) * (tw + kGap) + (j > 0 ? sep : 0); };
  std::string s;
  s += "<svg xmlns=\"http://www.w3.org/2000/svg\" xmlns:xlink=\"http://www.w3.org/1999/xlink\" version=\"1.1\" width=\"" +
       fmt(width) + "\" height=\"" + fmt(height) + "\" viewBox=\"0 0 " + fmt(width) + " " + fmt(height) +
       "\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\" fill=\"#222\">\n";
  s += "<rect width=\"" + fmt(width) + "\" height=\"" + fmt(height) + "\" fill=\"white\"/>\n";
  s += text_element(8, 21, g.title, "font-size=\"13\" font-weight=\"bold\"");
  s += text_element(8, 38, g.subtitle, "font-size=\"11\" fill=\"#555\"");
  for (size_t j = 0; j < ncols; j++) {
    const double cx = col_x(j) + tw / 2, y = top - 6;
    const std::string weight = j == 0 ? " font-style=\"italic\"" : "";
    if (slant)
      s += text_element(cx - 4, y, g.columns[j],
                        "font-size=\"11\" transform=\"rotate(-40 " + fmt(cx - 4) + " " + fmt(y) + ")\"" + weight);
    else
      s += text_element(cx, y, g.columns[j], "font-size=\"11\" text-anchor=\"middle\"" + weight);
  }
  for (size_t i = 0; i < g.rows.size(); i++) {
    const double y = top + static_cast<double>(i) * (kTile + kGap);
    s += "<g><title>" + escape_markup(g.rows[i]) + "</title>" +
         text_element(8 + label_w - 10, y + kTile / 2 + kFont * 0.35, short_label(g.rows[i]),
                      "font-size=\"12\" text-anchor=\"end\"") +
         "</g>\n";
    s += image_element(col_x(0), y, tw, kTile, g.input_tile[version]);
    for (size_t j = 0; j < g.tiles[version][i].size(); j++)
      s += image_element(col_x(j + 1), y, tw, kTile, g.tiles[version][i][j]);
  }
  // Colorbar: what the tile colours mean.
  const double bx = col_x(ncols - 1) + tw + 14, by = top, bh = std::min(grid_h - kGap, 3 * kTile);
  s += image_element(bx, by, 10, bh, colorbar_png());
  s += "<rect x=\"" + fmt(bx) + "\" y=\"" + fmt(by) + "\" width=\"10\" height=\"" + fmt(bh) +
       "\" fill=\"none\" stroke=\"#555\" stroke-width=\"0.5\"/>\n";
  s += text_element(bx + 14, by + 9, "1", "font-size=\"10\"");
  s += text_element(bx + 14, by + bh, "0", "font-size=\"10\"");
  s += text_element(bx + 30, by + bh / 2, "|attribution|, per map",
                    "font-size=\"10\" text-anchor=\"middle\" transform=\"rotate(90 " + fmt(bx + 30) + " " +
                        fmt(by + bh / 2) + ")\"");
  s += "</svg>\n";
  return s;
}

}  // namespace

std::vector<Figure> saliency_grid_figures(const RunContext& c, const MapsIndex& index, int max_images) {
  const torch::Tensor images = load_images(index);
  const int64_t k = images.size(0);
  const int64_t shown = max_images > 0 ? std::min<int64_t>(k, max_images) : k;
  // Inputs as the model sees them, min-max per image for display.
  const torch::Tensor flat = images.reshape({k, -1});
  const torch::Tensor lo = std::get<0>(flat.min(1)).view({k, 1, 1, 1}), hi = std::get<0>(flat.max(1)).view({k, 1, 1, 1});
  const torch::Tensor display = (images - lo) / (hi - lo).clamp_min(1e-12);

  std::vector<Figure> out;
  for (const MapsCheck& check : index.checks) {
    const CheckFigure* info = find_check(check.name);
    // prepared[method][stage]: [K, 1, H, W] in [0, 1], the authors' absolute preparation per map.
    std::vector<std::vector<torch::Tensor>> prepared(index.methods.size());
    for (size_t m = 0; m < index.methods.size(); m++)
      for (const MapsStage& st : check.stages)
        prepared[m].push_back(prepare_absolute(load_maps(index, check.name, st.stage, index.methods[m], images.sizes())));

    for (int64_t i = 0; i < shown; i++) {
      GridInput g;
      g.tile_width = kTile * static_cast<double>(images.size(3)) / static_cast<double>(images.size(2));
      g.title = (info ? info->title : check.name) + " \u00b7 image " + std::to_string(index.images[i]);
      g.subtitle = run_label(c.run) + " \u00b7 rows: methods \u00b7 columns: the input, then the explanation at each stage";
      g.columns.push_back("input");
      for (const MapsStage& st : check.stages) g.columns.push_back(st.label);
      for (int v : {0, 1}) g.input_tile[v] = png_tile(display[i], false, tile_scale(display[i], v == 0));
      for (size_t m = 0; m < index.methods.size(); m++) {
        g.rows.push_back(index.methods[m].spec);
        for (int v : {0, 1}) {
          std::vector<std::string> row;
          for (const torch::Tensor& p : prepared[m]) row.push_back(png_tile(p[i], true, tile_scale(p[i], v == 0)));
          g.tiles[v].push_back(std::move(row));
        }
      }
      Figure f;
      f.kind = "saliency_grid";
      f.name = c.prefix + "saliency_" + check.name + "_image" + std::to_string(index.images[i]);
      f.title = "Saliency maps \u00b7 " + g.title;
      f.guide =
          "Each row is one method, each column the explanation of this image by the trained model (first map "
          "column) and after each randomization stage, as absolute values scaled to [0, 1] per map (the authors' "
          "preparation; bright = high). A method that depends on the model changes visibly from left to right and "
          "ends in noise; one whose maps still show the input's edges when every layer is random (Guided Backprop "
          "in Adebayo et al. 2018) reflects the image, not the model. Judge by the similarity figures too: the eye "
          "is drawn to edges even where the numbers have changed.";
      // The file and the page keep the maps' own pixels (36 times fewer than upscaled tiles for
      // MNIST, whose upscaled SVG grids take 16 MB in the default study), drawn sharp by browsers and editors
      // (image-rendering: pixelated); only the PNG is drawn from upscaled tiles.
      f.svg = compose_svg(g, 1);
      f.raster_svg = compose_svg(g, 0);
      out.push_back(std::move(f));
    }
  }
  return out;
}

}  // namespace sanity::report
