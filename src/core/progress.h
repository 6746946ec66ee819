#pragma once
// A one-line progress bar on stderr: label, bar, done/total, rate, time left, and free-form status.
// Redraws at most ten times a second; prints plain lines when stderr is not a terminal.
//
// Front ends other than a terminal (the Python module: a tqdm bar, Ctrl-C in a notebook) install a
// ProgressHook for the calling thread: bars then report to it instead of drawing, and long work calls
// interruption_point() between units and batches, where the hook may throw to stop it. Work commits
// unit by unit (results/store.h), so a stop there loses nothing committed.
#include <chrono>
#include <cstdint>
#include <string>

namespace sanity {

class ProgressHook {
 public:
  virtual ~ProgressHook() = default;
  virtual void start(const std::string& label, int64_t total) {}
  virtual void update(int64_t done, int64_t total, const std::string& status) {}
  // completed: the work finished (false: it stopped on an error or an interruption).
  virtual void end(bool completed) {}
  // Called at every interruption point; throws (Interrupted, say) to stop the work.
  virtual void poll() {}
  // False: bars draw on stderr as without a hook (the hook only polls).
  virtual bool draws() const { return true; }
};

// Installs `hook` for the calling thread for its lifetime (the previous one is restored after).
// Work on other threads never sees it, so interruption points inside parallel regions do nothing.
class ScopedProgressHook {
 public:
  explicit ScopedProgressHook(ProgressHook* hook);
  ~ScopedProgressHook();
  ScopedProgressHook(const ScopedProgressHook&) = delete;
  ScopedProgressHook& operator=(const ScopedProgressHook&) = delete;

 private:
  ProgressHook* previous_;
};

// Where long work may stop: polls the calling thread's hook, if any (a no-op for the CLI).
void interruption_point();
// The calling thread's hook (null: none). A front end's own code called from inside the work (a
// Python method) hands it the reason to stop.
ProgressHook* current_progress_hook();

class Progress {
 public:
  Progress(std::string label, int64_t total, bool enabled = true);
  ~Progress();
  // Moves the bar, then is an interruption point.
  void advance(int64_t n = 1, const std::string& status = "");
  void set_status(const std::string& status);
  void finish(const std::string& status = "");

 private:
  void draw(bool force);
  std::string label_, status_;
  int64_t total_, done_ = 0;
  bool enabled_, tty_, finished_ = false;
  ProgressHook* hook_;  // the thread's hook when enabled; it draws instead
  std::chrono::steady_clock::time_point start_, last_draw_;
  int last_percent_logged_ = -1;
};

}  // namespace sanity
