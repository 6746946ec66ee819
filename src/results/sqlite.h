#pragma once
// A small RAII layer over libsqlite3 for the results store: a connection, prepared statements and
// a transaction guard. Every SQLite failure becomes an exception whose message names the database
// file (InputError where the file is at fault: not a database, corrupt, read-only, locked).
#include <cstdint>
#include <optional>
#include <string>

struct sqlite3;
struct sqlite3_stmt;

namespace sanity::sql {

class Database;

class Statement {
 public:
  Statement(const Database& db, const std::string& sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Parameters are 1-based, as in SQLite. A NaN double binds as NULL (SQLite has no NaN).
  Statement& bind(int i, int64_t v);
  Statement& bind(int i, double v);
  Statement& bind(int i, const std::string& v);
  // True while a row is available; false when done.
  bool step();
  // Steps once, expecting no result row; then resets for reuse.
  void run();
  void reset();

  bool is_null(int col) const;
  int64_t int64(int col) const;
  double real(int col) const;  // NULL reads as NaN
  std::string text(int col) const;

 private:
  const Database& db_;
  sqlite3_stmt* stmt_ = nullptr;
};

class Database {
 public:
  // Opens (read_only: must exist; else creates if missing) with a busy timeout, so concurrent
  // writers wait for each other instead of failing.
  Database(std::string path, bool read_only, int busy_timeout_ms = 30000);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  void exec(const std::string& sql) const;
  // First column of the first row of a query, if any row.
  std::optional<int64_t> query_int(const std::string& sql) const;
  int64_t last_insert_id() const;
  const std::string& path() const { return path_; }
  sqlite3* handle() const { return db_; }
  // Throws the exception for SQLite result code `rc`, with context and SQLite's message.
  [[noreturn]] void fail(int rc, const std::string& context) const;

 private:
  std::string path_;
  sqlite3* db_ = nullptr;
};

// BEGIN IMMEDIATE on construction (takes the write lock up front, so two writers never deadlock
// upgrading a read lock); ROLLBACK on destruction unless commit() ran, also during an exception.
class Transaction {
 public:
  explicit Transaction(const Database& db);
  ~Transaction();
  void commit();

 private:
  const Database& db_;
  bool done_ = false;
};

}  // namespace sanity::sql
