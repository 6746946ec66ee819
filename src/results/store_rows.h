#pragma once
// Inside src/results: how a unit's rows are written to and removed from the schema's `series` and
// `points` tables (store.cpp), shared by the store and its repair (store_repair.cpp). Callers hold the
// transaction.
#include <vector>

#include "results/sqlite.h"
#include "results/store.h"

namespace sanity {

void insert_measurements(const sql::Database& db, const WorkUnit& unit, const std::vector<Measurement>& rows);
void delete_measurements(const sql::Database& db, const WorkUnit& unit);

}  // namespace sanity
