#include "results/sqlite.h"

#include <sqlite3.h>

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <stdexcept>

#include "core/error.h"

namespace sanity::sql {

namespace {

// A file: URI for the path ('?', '#' and '%' escaped).
std::string file_uri(const std::string& path, const char* query) {
  std::string uri = "file:";
  for (char c : path) {
    if (c == '?' || c == '#' || c == '%') {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", static_cast<unsigned char>(c));
      uri += buf;
    } else {
      uri += c;
    }
  }
  return uri + query;
}

}  // namespace

Database::Database(std::string path, bool read_only, int busy_timeout_ms) : path_(std::move(path)) {
  if (std::filesystem::is_directory(path_))
    throw InputError("results database '" + path_ + "': is a directory, expected a results.sqlite file");
  int flags = read_only ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  std::string name = path_;
  if (read_only) {
    // Reading a WAL database needs its -shm file; where the study may be read but not written, open
    // it immutable (no locks, no -shm): nobody can be writing there.
    const std::string dir = std::filesystem::path(path_).parent_path().string();
    const bool writable = access(path_.c_str(), W_OK) == 0 && access(dir.empty() ? "." : dir.c_str(), W_OK) == 0;
    name = file_uri(path_, writable ? "?mode=ro" : "?mode=ro&immutable=1");
    flags |= SQLITE_OPEN_URI;
  }
  const int rc = sqlite3_open_v2(name.c_str(), &db_, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    const std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close(db_);
    db_ = nullptr;
    throw InputError("results database '" + path_ + "': cannot open (" + msg + ")" +
                     (read_only ? "; expected an existing results.sqlite" : ""));
  }
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_busy_timeout(db_, busy_timeout_ms);
}

Database::~Database() { sqlite3_close(db_); }

void Database::fail(int rc, const std::string& context) const {
  const std::string what = "results database '" + path_ + "': " + context + ": " + sqlite3_errmsg(db_);
  switch (rc & 0xff) {
    case SQLITE_NOTADB:
      throw InputError("results database '" + path_ + "': not an SQLite database (" + sqlite3_errmsg(db_) +
                       "); expected a results.sqlite written by sanity");
    case SQLITE_CORRUPT:
      throw InputError("results database '" + path_ + "': the file is corrupt (" + sqlite3_errmsg(db_) + ")");
    case SQLITE_READONLY:
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_FULL:
    case SQLITE_IOERR:
      throw InputError(what);
    default:
      throw std::runtime_error(what);
  }
}

void Database::exec(const std::string& sql) const {
  char* err = nullptr;
  const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
  sqlite3_free(err);
  if (rc != SQLITE_OK) fail(rc, sql.substr(0, sql.find_first_of("(\n")));
}

std::optional<int64_t> Database::query_int(const std::string& sql) const {
  Statement s(*this, sql);
  if (!s.step()) return std::nullopt;
  return s.int64(0);
}

int64_t Database::last_insert_id() const { return sqlite3_last_insert_rowid(db_); }

Statement::Statement(const Database& db, const std::string& sql) : db_(db) {
  const int rc = sqlite3_prepare_v2(db.handle(), sql.c_str(), -1, &stmt_, nullptr);
  if (rc != SQLITE_OK) db.fail(rc, "preparing '" + sql.substr(0, 60) + "'");
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement& Statement::bind(int i, int64_t v) {
  const int rc = sqlite3_bind_int64(stmt_, i, v);
  if (rc != SQLITE_OK) db_.fail(rc, "binding parameter " + std::to_string(i));
  return *this;
}

Statement& Statement::bind(int i, double v) {
  const int rc = std::isnan(v) ? sqlite3_bind_null(stmt_, i) : sqlite3_bind_double(stmt_, i, v);
  if (rc != SQLITE_OK) db_.fail(rc, "binding parameter " + std::to_string(i));
  return *this;
}

Statement& Statement::bind(int i, const std::string& v) {
  const int rc = sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  if (rc != SQLITE_OK) db_.fail(rc, "binding parameter " + std::to_string(i));
  return *this;
}

bool Statement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  const std::string sql = sqlite3_sql(stmt_);
  sqlite3_reset(stmt_);
  db_.fail(rc, "running '" + sql.substr(0, 60) + "'");
}

void Statement::run() {
  step();
  reset();
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

bool Statement::is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
int64_t Statement::int64(int col) const { return sqlite3_column_int64(stmt_, col); }
double Statement::real(int col) const {
  return is_null(col) ? std::numeric_limits<double>::quiet_NaN() : sqlite3_column_double(stmt_, col);
}
std::string Statement::text(int col) const {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
  return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(stmt_, col))) : std::string();
}

Transaction::Transaction(const Database& db) : db_(db) { db_.exec("BEGIN IMMEDIATE"); }

Transaction::~Transaction() {
  if (!done_) sqlite3_exec(db_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void Transaction::commit() {
  db_.exec("COMMIT");
  done_ = true;
}

}  // namespace sanity::sql
