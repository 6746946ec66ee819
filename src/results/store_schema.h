#pragma once
// Inside src/results: the results store's schema (store.h, docs/RESULTS_SCHEMA.md), created in a new
// file and migrated from the versions before it (store_schema.cpp).
#include "results/sqlite.h"

namespace sanity {

// Creates the schema in a new file, or checks that an existing file is a results store we can read;
// unless read_only, an older version is migrated to the current one.
void open_schema(const sql::Database& db, bool read_only);

}  // namespace sanity
