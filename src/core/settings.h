#pragma once
// Settings declared once. The training recipe, the faithfulness protocol, the report and the verdict
// rule are each a table of (key, type, bounds, help) bound to the members of their struct, whose own
// initializers are the defaults. The study configuration's reader and writer (study.json), the CLI
// flags, the Python keyword arguments and docs/SETTINGS.md are generated from the tables, and a value
// from any of them passes the same check, so a new setting is one line of its table:
//
//   Settings<PixelFlippingOptions> t;
//   t.integer("patch", &PixelFlippingOptions::patch, "region side in pixels", Bounds::at_least(1));
//   t.apply({{"patch", 0}}, o, config_field("study.json", "faithfulness.pixel_flipping"));
//     -> study.json: field 'faithfulness.pixel_flipping.patch': expected an integer >= 1, got 0
//
// A key with a dot is a field of a nested object ("pixel_flipping.patch" in FaithfulnessOptions);
// its flag (CLI --patch, Python patch=) is the last part unless the table names another.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

namespace sanity {

// The values a number or integer setting takes: [min, max], either end open.
struct Bounds {
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
  bool open_min = false, open_max = false;

  static Bounds any() { return {}; }
  static Bounds at_least(double v) { return {v}; }
  static Bounds above(double v) { return {v, std::numeric_limits<double>::infinity(), true}; }
  static Bounds between(double lo, double hi, bool open_lo = false, bool open_hi = false) { return {lo, hi, open_lo, open_hi}; }
  bool contains(double v) const;
  std::string text() const;  // ">= 1", "> 0", "in (0, 1)", "in [0, 1)"; "" when unbounded
};

struct Setting {
  enum class Kind { Integer, Number, Choice, Text, Boolean };
  std::string key;   // the field in a study configuration, "." for nesting
  std::string flag;  // the CLI flag (as --flag-name) and the Python argument
  Kind kind = Kind::Text;
  std::string help;  // one line
  std::vector<std::string> words;  // Choice: the valid values
  Bounds bounds;                   // Integer, Number
  double type_max = std::numeric_limits<double>::infinity();  // what the member's type holds (not shown)
  std::function<nlohmann::json(const void* settings)> get;
  std::function<void(void* settings, const nlohmann::json& value)> set;  // a value accepts() took

  std::string expected() const;  // "an integer >= 1", "a number in (0, 1)", "uniform, zero, mean or blur"
  bool accepts(const nlohmann::json& value) const;
  // What a CLI or Python text stands for ("4" -> 4, "true" -> true); text that reads as no value of
  // the kind stays text, for accepts() to refuse with the expected type.
  nlohmann::json from_text(const std::string& text) const;
};

// What an error calls a setting: "study.json: field 'verdicts.alpha'", "--alpha", "sanity.report: argument alpha".
using SettingName = std::function<std::string(const Setting&)>;
SettingName config_field(const std::string& origin, const std::string& path);
SettingName cli_flag();
SettingName python_argument(const std::string& function);

// Type-erased table operations (Settings<S> below is the typed face).
nlohmann::json settings_json(const std::vector<Setting>& table, const void* settings);
// Applies a JSON object of the table's keys (nested objects for dotted keys; null: keep) to
// `settings`. An unknown field, a wrong type or a value out of bounds is one InputError naming it.
void apply_settings(const std::vector<Setting>& table, const nlohmann::json& values, void* settings,
                    const SettingName& name);
// The same for flat flag names (CLI, Python): {"insertion_blur_sigma": 3} sets insertion_deletion.blur_sigma.
void apply_flags(const std::vector<Setting>& table, const nlohmann::json& values, void* settings,
                 const SettingName& name);
// A value as --help and the docs show it: 0.05, cosine, "" for an empty text.
std::string setting_value_text(const nlohmann::json& value);
// One markdown table: key, type, default (from `defaults`), meaning.
std::string settings_markdown(const std::vector<Setting>& table, const void* defaults, const std::string& prefix);

template <class S>
class Settings {
 public:
  template <class T>
  Settings& integer(std::string key, T S::*member, std::string help, Bounds bounds = Bounds::at_least(0)) {
    return add(std::move(key), Setting::Kind::Integer, std::move(help), member, {}, bounds);
  }
  Settings& number(std::string key, double S::*member, std::string help, Bounds bounds = Bounds::any()) {
    return add(std::move(key), Setting::Kind::Number, std::move(help), member, {}, bounds);
  }
  Settings& choice(std::string key, std::string S::*member, std::vector<std::string> words, std::string help) {
    return add(std::move(key), Setting::Kind::Choice, std::move(help), member, std::move(words), {});
  }
  Settings& text(std::string key, std::string S::*member, std::string help) {
    return add(std::move(key), Setting::Kind::Text, std::move(help), member, {}, {});
  }
  Settings& boolean(std::string key, bool S::*member, std::string help) {
    return add(std::move(key), Setting::Kind::Boolean, std::move(help), member, {}, {});
  }
  // The entries of `inner`, a member struct, under "member_key." (flags unchanged).
  template <class Inner>
  Settings& nested(const std::string& member_key, Inner S::*member, const Settings<Inner>& inner) {
    for (const Setting& e : inner.entries()) {
      Setting s = e;
      s.key = member_key + "." + e.key;
      s.get = [member, get = e.get](const void* p) { return get(&(static_cast<const S*>(p)->*member)); };
      s.set = [member, set = e.set](void* p, const nlohmann::json& v) { set(&(static_cast<S*>(p)->*member), v); };
      entries_.push_back(std::move(s));
    }
    return *this;
  }
  // Names the last entry's CLI flag and Python argument, where its key alone would be ambiguous.
  Settings& flag(std::string name) {
    entries_.back().flag = std::move(name);
    return *this;
  }

  const std::vector<Setting>& entries() const { return entries_; }
  bool has_flag(const std::string& flag) const {
    return std::any_of(entries_.begin(), entries_.end(), [&](const Setting& s) { return s.flag == flag; });
  }
  nlohmann::json to_json(const S& s) const { return settings_json(entries_, &s); }
  void apply(const nlohmann::json& values, S& s, const SettingName& name) const { apply_settings(entries_, values, &s, name); }
  void apply_flags(const nlohmann::json& values, S& s, const SettingName& name) const {
    sanity::apply_flags(entries_, values, &s, name);
  }
  // Checks every value of `s` (a struct filled in by code rather than read through the table).
  void validate(const S& s, const SettingName& name) const {
    S copy;
    apply(to_json(s), copy, name);
  }

 private:
  template <class T>
  Settings& add(std::string key, Setting::Kind kind, std::string help, T S::*member, std::vector<std::string> words,
                Bounds bounds) {
    Setting s;
    s.flag = key.substr(key.rfind('.') + 1);
    s.key = std::move(key);
    s.kind = kind;
    s.help = std::move(help);
    s.words = std::move(words);
    s.bounds = bounds;
    if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>)
      s.type_max = static_cast<double>(std::numeric_limits<T>::max());
    s.get = [member](const void* p) { return nlohmann::json(static_cast<const S*>(p)->*member); };
    s.set = [member](void* p, const nlohmann::json& v) { static_cast<S*>(p)->*member = v.get<T>(); };
    entries_.push_back(std::move(s));
    return *this;
  }

  std::vector<Setting> entries_;
};

}  // namespace sanity
