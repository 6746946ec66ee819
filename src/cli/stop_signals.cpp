#include "cli/stop_signals.h"

#include <csignal>
#include <string>

#include "core/error.h"

namespace sanity::cli {
namespace {

volatile std::sig_atomic_t stop_signal = 0;

void on_stop(int signal) { stop_signal = signal; }

void install(int signal) {
  struct sigaction action {};
  action.sa_handler = on_stop;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESETHAND;  // the second signal takes the default action
  sigaction(signal, &action, nullptr);
}

}  // namespace

StopSignals::StopSignals() : scope_(this) {
  install(SIGINT);
  install(SIGTERM);
}

StopSignals::~StopSignals() = default;

void StopSignals::poll() {
  if (stop_signal == 0) return;
  throw Interrupted(std::string("interrupted by ") + (stop_signal == SIGTERM ? "SIGTERM" : "SIGINT") +
                    ": every unit already committed is kept; run the same command again to compute the rest");
}

int StopSignals::received() { return stop_signal; }

}  // namespace sanity::cli
