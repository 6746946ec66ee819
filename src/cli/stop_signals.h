#pragma once
// SIGINT (Ctrl-C) and SIGTERM (what Slurm and other schedulers send before SIGKILL when a job is
// preempted or out of time) stop the work at its next interruption point (core/progress.h): the unit
// in flight is dropped, every committed unit stays, and main() exits 130 or 143 with one line. A
// second signal ends the process at once (the default action).
#include "core/progress.h"

namespace sanity::cli {

class StopSignals : public ProgressHook {
 public:
  StopSignals();   // installs the handlers and this hook for the calling (main) thread
  ~StopSignals() override;
  void poll() override;  // throws Interrupted once a signal came
  bool draws() const override { return false; }
  // The signal that stopped the work (SIGINT or SIGTERM), 0 if none came.
  static int received();

 private:
  ScopedProgressHook scope_;
};

}  // namespace sanity::cli
