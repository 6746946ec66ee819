#pragma once
// A one-line progress bar on stderr: label, bar, done/total, rate, time left, and free-form status.
// Redraws at most ten times a second; prints plain lines when stderr is not a terminal.
#include <chrono>
#include <cstdint>
#include <string>

namespace sanity {

class Progress {
 public:
  Progress(std::string label, int64_t total, bool enabled = true);
  ~Progress();
  void advance(int64_t n = 1, const std::string& status = "");
  void set_status(const std::string& status);
  void finish(const std::string& status = "");

 private:
  void draw(bool force);
  std::string label_, status_;
  int64_t total_, done_ = 0;
  bool enabled_, tty_, finished_ = false;
  std::chrono::steady_clock::time_point start_, last_draw_;
  int last_percent_logged_ = -1;
};

}  // namespace sanity
