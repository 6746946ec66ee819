#include "core/progress.h"

#include <unistd.h>

#include <cstdio>

namespace sanity {
namespace {
thread_local ProgressHook* thread_hook = nullptr;
}

ScopedProgressHook::ScopedProgressHook(ProgressHook* hook) : previous_(thread_hook) { thread_hook = hook; }
ScopedProgressHook::~ScopedProgressHook() { thread_hook = previous_; }

ProgressHook* current_progress_hook() { return thread_hook; }

void interruption_point() {
  if (thread_hook) thread_hook->poll();
}

Progress::Progress(std::string label, int64_t total, bool enabled)
    : label_(std::move(label)), total_(std::max<int64_t>(total, 1)), enabled_(enabled),
      tty_(isatty(STDERR_FILENO)), hook_(enabled && thread_hook && thread_hook->draws() ? thread_hook : nullptr),
      start_(std::chrono::steady_clock::now()), last_draw_(start_) {
  if (hook_) hook_->start(label_, total_);
  draw(true);
}

// Not finished: the work stopped on an exception. A hook hears so (and must not throw here); the
// terminal bar is completed as before.
Progress::~Progress() {
  if (finished_) return;
  if (!hook_) {
    finish();
    return;
  }
  try {
    hook_->end(false);
  } catch (...) {
  }
}

void Progress::advance(int64_t n, const std::string& status) {
  done_ = std::min(total_, done_ + n);
  if (!status.empty()) status_ = status;
  draw(false);
  interruption_point();
}

void Progress::set_status(const std::string& status) {
  status_ = status;
  draw(false);
}

void Progress::finish(const std::string& status) {
  if (finished_) return;
  if (!status.empty()) status_ = status;
  done_ = total_;
  finished_ = true;
  if (hook_) {
    hook_->update(done_, total_, status_);
    hook_->end(true);
    return;
  }
  draw(true);
  if (enabled_ && tty_) std::fputc('\n', stderr);
}

static std::string format_seconds(double s) {
  char buf[32];
  if (s < 60) std::snprintf(buf, sizeof buf, "%.0fs", s);
  else if (s < 3600) std::snprintf(buf, sizeof buf, "%dm%02ds", int(s) / 60, int(s) % 60);
  else std::snprintf(buf, sizeof buf, "%dh%02dm", int(s) / 3600, (int(s) % 3600) / 60);
  return buf;
}

void Progress::draw(bool force) {
  if (!enabled_) return;
  if (hook_) {
    hook_->update(done_, total_, status_);
    return;
  }
  auto now = std::chrono::steady_clock::now();
  double elapsed = std::chrono::duration<double>(now - start_).count();
  double fraction = double(done_) / double(total_);
  int percent = int(fraction * 100);
  if (!tty_) {
    // Logs: one line per 10 %, so CI output stays short.
    if (!force && percent / 10 == last_percent_logged_ / 10) return;
    last_percent_logged_ = percent;
    std::fprintf(stderr, "%s: %3d%% (%lld/%lld) %s elapsed %s\n", label_.c_str(), percent, (long long)done_,
                 (long long)total_, status_.c_str(), format_seconds(elapsed).c_str());
    return;
  }
  if (!force && std::chrono::duration<double>(now - last_draw_).count() < 0.1) return;
  last_draw_ = now;
  const int width = 24;
  int filled = int(fraction * width);
  std::string bar(filled, '#');
  bar.resize(width, '.');
  std::string eta = done_ > 0 && done_ < total_ ? " left " + format_seconds(elapsed / fraction - elapsed) : "";
  std::fprintf(stderr, "\r\033[K%s [%s] %lld/%lld %s%s %s", label_.c_str(), bar.c_str(), (long long)done_,
               (long long)total_, format_seconds(elapsed).c_str(), eta.c_str(), status_.c_str());
  std::fflush(stderr);
}

}  // namespace sanity
