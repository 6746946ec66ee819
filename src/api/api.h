#pragma once
// The library API: what every front end calls (the `sanity` CLI in src/cli, a Python module). Plain
// functions over models and data in memory that return results or hand them to a sink as they are
// computed; front ends parse arguments, write what they choose and print.
//   inputs.h        methods from specs, target classes, training images for pattern methods
//   explain.h       maps of every method (and explain_files.h: the .npy / PNG / explain.json writer)
//   faithfulness.h  pixel flipping, insertion/deletion and the method ranking (and their files)
//   csc.h           cosine similarity convergence of the sweep methods (and its files)
//   study.h         check, run and report: studies in a directory (study/, report/)
#include "api/csc.h"
#include "api/explain.h"
#include "api/explain_files.h"
#include "api/faithfulness.h"
#include "api/inputs.h"
#include "api/study.h"
