#pragma once
// Files written safely: under a temporary name unique to this process and write, then renamed into
// place (a killed process never leaves a half-written file under the real name, and two processes
// never write through the same temporary); output directories checked before any work; one
// writer per study directory.
#include <memory>
#include <string>

namespace sanity {

// "<path>.tmp.<host>.<pid>.<n>": unique per process and call, also across machines.
std::string temporary_name(const std::string& path);

// Writes `content` to path through a temporary file; InputError naming the path if it cannot.
void write_file_atomically(const std::string& path, const std::string& content);
// The whole file as bytes; InputError "'<path>': cannot be read" if it cannot.
std::string read_file_bytes(const std::string& path);

// Creates `dir` (and parents) if missing; InputError naming `option` when it exists and is not a
// directory, or cannot be created.
void ensure_directory(const std::string& dir, const std::string& option);

// An exclusive lock on a study directory (DIR/.sanity.lock, flock), held while it lives. A second
// process gets InputError naming the directory and the holder's pid at once, or with `wait` waits
// for it (shards of one study training a model they share). Nested locks of one directory in one
// process share the first.
class DirectoryLock {
 public:
  explicit DirectoryLock(const std::string& dir, bool wait = false);
  ~DirectoryLock();
  DirectoryLock(const DirectoryLock&) = delete;
  DirectoryLock& operator=(const DirectoryLock&) = delete;

 private:
  std::string key_;
};

}  // namespace sanity
