#include "core/files.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>

#include "core/error.h"

namespace fs = std::filesystem;

namespace sanity {

std::string temporary_name(const std::string& path) {
  static std::atomic<uint64_t> counter{0};
  // The host too: processes of one distributed run on several machines may share the directory.
  static const std::string host = [] {
    char name[256] = {0};
    return gethostname(name, sizeof name - 1) == 0 ? std::string(name) + "." : std::string();
  }();
  return path + ".tmp." + host + std::to_string(getpid()) + "." + std::to_string(counter++);
}

std::string read_file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError("'" + path + "': cannot be read");
  std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (in.bad()) throw InputError("'" + path + "': cannot be read");
  return bytes;
}

void write_file_atomically(const std::string& path, const std::string& content) {
  const std::string tmp = temporary_name(path);
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw InputError(path + ": cannot write file");
    out << content;
    if (!out.flush()) {
      std::remove(tmp.c_str());
      throw InputError(path + ": write failed (disk full?)");
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw InputError(path + ": cannot write file");
  }
}

void ensure_directory(const std::string& dir, const std::string& option) {
  std::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_directory(dir, ec))
    throw InputError(option + " " + dir + ": is a file, expected a directory");
  fs::create_directories(dir, ec);
  if (ec) throw InputError(option + " " + dir + ": cannot create the directory (" + ec.message() + ")");
}

namespace {

struct HeldLock {
  int fd = -1;
  int count = 0;
};
std::mutex& locks_mutex() {
  static std::mutex m;
  return m;
}
std::map<std::string, HeldLock>& held_locks() {
  static std::map<std::string, HeldLock> m;
  return m;
}

}  // namespace

DirectoryLock::DirectoryLock(const std::string& dir, bool wait) {
  ensure_directory(dir, "study directory");
  key_ = fs::weakly_canonical(dir).string();
  std::lock_guard<std::mutex> guard(locks_mutex());
  HeldLock& held = held_locks()[key_];
  if (held.count++ > 0) return;
  const std::string path = key_ + "/.sanity.lock";
  held.fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (held.fd < 0) {
    held_locks().erase(key_);
    throw InputError("study directory " + dir + ": cannot create its lock file " + path);
  }
  if (flock(held.fd, LOCK_EX | (wait ? 0 : LOCK_NB)) != 0) {
    char pid[32] = {0};
    if (pread(held.fd, pid, sizeof pid - 1, 0) < 0) pid[0] = '\0';
    ::close(held.fd);
    held_locks().erase(key_);
    std::string holder(pid);
    while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' ')) holder.pop_back();
    throw InputError("study directory " + dir + ": in use by another sanity process" +
                     (holder.empty() ? "" : " (pid " + holder + ")") +
                     "; wait for it to finish, or give another --out");
  }
  const std::string me = std::to_string(getpid()) + "\n";
  if (ftruncate(held.fd, 0) == 0 && pwrite(held.fd, me.data(), me.size(), 0) < 0) {
    // The pid is for the message above only; the lock works without it.
  }
}

DirectoryLock::~DirectoryLock() {
  std::lock_guard<std::mutex> guard(locks_mutex());
  auto it = held_locks().find(key_);
  if (it == held_locks().end() || --it->second.count > 0) return;
  ::close(it->second.fd);  // releases the flock
  held_locks().erase(it);
}

}  // namespace sanity
