#pragma once
// Helpers shared by the test programs: reference files from PyTorch, correlation, temp dirs,
// running the CLI.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "core/error.h"
#include "data/npy.h"
#include "temp_dirs.h"

namespace sanity::test {

inline std::string ref_path(const std::string& name) { return std::string(SANITY_REF_DIR) + "/" + name; }

// Loads a reference .npy written by tests/reference/*.py; fails the test if it is missing.
inline torch::Tensor load_ref(const std::string& name) {
  const std::string p = ref_path(name);
  if (!std::filesystem::exists(p)) {
    ADD_FAILURE() << "reference file " << p << " is missing: its tests/reference fixture did not run";
    return {};
  }
  return read_npy(p);
}

// Pearson correlation of two tensors, flattened, in float64.
inline double pearson(const torch::Tensor& a, const torch::Tensor& b) {
  torch::Tensor x = a.reshape({-1}).to(torch::kFloat64), y = b.reshape({-1}).to(torch::kFloat64);
  x = x - x.mean();
  y = y - y.mean();
  return (x * y).sum().item<double>() / std::sqrt((x * x).sum().item<double>() * (y * y).sum().item<double>());
}

inline double cosine(const torch::Tensor& a, const torch::Tensor& b) {
  torch::Tensor x = a.reshape({-1}).to(torch::kFloat64), y = b.reshape({-1}).to(torch::kFloat64);
  return (x * y).sum().item<double>() / std::sqrt((x * x).sum().item<double>() * (y * y).sum().item<double>());
}

// max |a - b| / max |b|
inline double max_rel_error(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.to(torch::kFloat64) - b.to(torch::kFloat64)).abs().max().item<double>() /
         b.to(torch::kFloat64).abs().max().item<double>();
}

// A fresh directory under the system temp directory, removed first if it exists.
// The process id keeps two test runs on one machine (a developer's and CI's) out of each other's way.
inline std::string temp_dir(const std::string& name) {
  const std::string p = std::filesystem::temp_directory_path().string() + "/sanity-test-" + name + "-" +
                        std::to_string(::getpid());
  std::filesystem::remove_all(p);
  std::filesystem::create_directories(p);
  temp_dirs().push_back(p);
  return p;
}

struct CommandResult {
  int exit_code;
  std::string output;  // stdout and stderr together
};

// Runs a shell command and captures its output and exit code.
inline CommandResult run_command(const std::string& cmd) {
  CommandResult r{0, ""};
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  char buf[4096];
  while (p && fgets(buf, sizeof buf, p)) r.output += buf;
  const int status = p ? pclose(p) : -1;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

// Expects f() to throw InputError with a one-line message containing `needle`.
template <typename F>
void expect_input_error(F f, const std::string& needle) {
  try {
    f();
    ADD_FAILURE() << "no InputError; expected one mentioning '" << needle << "'";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << "not one line: " << e.what();
  }
}

// Runs the sanity CLI with arguments.
inline CommandResult run_cli(const std::string& args) { return run_command(std::string(SANITY_CLI) + " " + args); }

// Number of non-empty lines of text.
inline int count_lines(const std::string& s) {
  int n = 0;
  bool content = false;
  for (char c : s) {
    if (c == '\n') {
      n += content;
      content = false;
    } else if (!std::isspace(static_cast<unsigned char>(c))) {
      content = true;
    }
  }
  return n + content;
}

}  // namespace sanity::test
