#pragma once
// src/core: what every module uses (errors, threads and device, seeded RNG, progress, hashing) and the
// spec syntax, declared options and registry template of everything a user names.
//
// Errors the user can act on. The CLI prints what() as one line and exits non-zero;
// nothing in the library aborts the process on bad input.
#include <stdexcept>
#include <string>

namespace sanity {

// Bad input: a file, field or option that is not what we expect. Exit code 2.
class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The input is valid but asks for something we do not support (an ONNX operator, say). Exit code 3.
class UnsupportedError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A front end asked the work to stop (Ctrl-C in the Python module, through core/progress.h's hook).
// Everything committed stays; running the same work again resumes it.
class Interrupted : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace sanity
