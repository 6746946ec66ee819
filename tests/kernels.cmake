# Two GEMM kernel choices this CPU supports, for the tests of our determinism promise (docs/
# DETERMINISM.md): the same results whatever the schedule (alone, beside other stages sharing passes,
# resumed, on another rank, in a shard). A schedule that fed a matrix product other rows beside a row
# would give that row other last bits under some kernels and not others (bench/gemm_rows.py), so
# those tests run once under each choice, and a machine whose BLAS picks kernels unlike ours (an AMD
# EPYC where the environment sets OPENBLAS_CORETYPE=Haswell) fails nothing that ours passed.
#
# Each choice sets every library's switch: OpenBLAS's OPENBLAS_CORETYPE (Debian's LibTorch), oneDNN's
# ONEDNN_MAX_CPU_ISA (LibTorch's convolutions) and MKL's MKL_ENABLE_INSTRUCTIONS (the torch wheel's
# BLAS); a library ignores the others. MKL honours its switch on Intel CPUs only: on an AMD EPYC it
# runs its generic path either way (its verbose line says so; test_determinism.cpp), and the two
# choices differ in oneDNN's kernels. Only instruction sets the CPU has are named: a kernel it lacks
# would stop the test with SIGILL.
#
# Sets SANITY_KERNEL_NAMES (two short names, test name suffixes) and SANITY_KERNEL_ENV_<name> (a
# CTest ENVIRONMENT list) for each.
set(SANITY_KERNEL_NAMES "")
if(EXISTS /proc/cpuinfo)
  file(STRINGS /proc/cpuinfo _cpu_flags REGEX "^flags" LIMIT_COUNT 1)
endif()
set(_cpu_flags " ${_cpu_flags} ")
function(_sanity_has_flags out)
  set(${out} TRUE PARENT_SCOPE)
  foreach(f ${ARGN})
    if(NOT _cpu_flags MATCHES " ${f} ")
      set(${out} FALSE PARENT_SCOPE)
    endif()
  endforeach()
endfunction()
_sanity_has_flags(_avx512 avx512f avx512cd avx512bw avx512dq avx512vl)
_sanity_has_flags(_avx2 avx2 fma)
_sanity_has_flags(_avx avx)
_sanity_has_flags(_sse42 sse4_2)

if(_avx2)
  list(APPEND SANITY_KERNEL_NAMES avx2)
  set(SANITY_KERNEL_ENV_avx2 "OPENBLAS_CORETYPE=Haswell;ONEDNN_MAX_CPU_ISA=AVX2;MKL_ENABLE_INSTRUCTIONS=AVX2")
endif()
# A machine whose environment pins OPENBLAS_CORETYPE does so because this OpenBLAS's own pick
# misbehaves on its CPU: there the second choice is the long-tested AVX kernel, not AVX-512.
if(_avx512 AND NOT DEFINED ENV{OPENBLAS_CORETYPE})
  list(APPEND SANITY_KERNEL_NAMES avx512)
  set(SANITY_KERNEL_ENV_avx512 "OPENBLAS_CORETYPE=SkylakeX;ONEDNN_MAX_CPU_ISA=AVX512_CORE;MKL_ENABLE_INSTRUCTIONS=AVX512")
elseif(_avx)
  list(APPEND SANITY_KERNEL_NAMES avx)
  set(SANITY_KERNEL_ENV_avx "OPENBLAS_CORETYPE=Sandybridge;ONEDNN_MAX_CPU_ISA=AVX;MKL_ENABLE_INSTRUCTIONS=AVX")
endif()
if(NOT _avx2 AND _sse42)
  list(APPEND SANITY_KERNEL_NAMES sse42)
  set(SANITY_KERNEL_ENV_sse42 "OPENBLAS_CORETYPE=Nehalem;ONEDNN_MAX_CPU_ISA=SSE41")
endif()
list(LENGTH SANITY_KERNEL_NAMES _n)
if(_n LESS 2)
  message(WARNING "sanity: fewer than two GEMM kernel choices known for this CPU (${SANITY_KERNEL_NAMES}); "
                  "the determinism tests run once, under the library's own choice")
endif()

# The tests that compare results bit for bit across schedules (gtest filter patterns, by program).
set(SANITY_SCHEDULE_TESTS_test_distributed "Distributed.*")
set(SANITY_SCHEDULE_TESTS_test_study "CheckRunner.KilledRunResumes*:SanityRun.TrainsChecksAndResumes*")
set(SANITY_SCHEDULE_TESTS_test_randomization "Randomization.StagesExplainedTogether*")
set(SANITY_SCHEDULE_TESTS_test_models_graph "Graph.ActivationReuse*")
set(SANITY_SCHEDULE_TESTS_test_hardening "Hardening.DamagedStoreOrMap*")
set(SANITY_SCHEDULE_TESTS_test_faithfulness_study "FaithfulnessStudy.CheckRunnerRecordsOneResumable*")
set(SANITY_SCHEDULE_TESTS_test_cli_explain "CliExplain.WritesOneArrayPerMethod*")
set(SANITY_SCHEDULE_TESTS_test_determinism "Determinism.*")
# Not a schedule test, but one whose kernels differ most between the choices: bf16's (oneDNN's
# AVX-512 kernels take a bfloat16 signal with float32 weights, the others refuse mixed dtypes, as a
# GPU's may), so every method's bf16 pass runs under both.
set(SANITY_SCHEDULE_TESTS_test_precision "Precision.EveryMethodRunsInBf16NearFloat32")
