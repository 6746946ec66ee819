# One torchvision family end to end, as one CTest test: export it (tests/reference/torchvision_families.py),
# run its cases of test_models_families, then delete its ONNX files. The 20 families' files take 6 GB
# together; done one family at a time, a test run never holds more than two families' (with -j2).
# Called as: cmake -DPYTHON=... -DSCRIPT=... -DREF_DIR=... -DTEST=... -DFAMILY=... [-DKEEP=op20] -P run_family.cmake
# KEEP names exports that later tests read (the transformer tests read four families' _op20 files).
cmake_minimum_required(VERSION 3.20)  # IN_LIST
execute_process(COMMAND ${PYTHON} ${SCRIPT} ${REF_DIR} ${FAMILY} RESULT_VARIABLE exported)
if(NOT exported EQUAL 0)
  message(FATAL_ERROR "${FAMILY}: the reference export failed (${exported})")
endif()
execute_process(COMMAND ${TEST} --gtest_filter=Torchvision/TorchvisionFamily.*/${FAMILY}_* RESULT_VARIABLE tested)
set(dir ${REF_DIR}/families)
foreach(kind op14 op20 dynamo)
  if(NOT kind IN_LIST KEEP)
    file(REMOVE ${dir}/${FAMILY}_${kind}.onnx ${dir}/${FAMILY}_${kind}.onnx.data)
  endif()
endforeach()
if(NOT tested EQUAL 0)
  message(FATAL_ERROR "${FAMILY}: test_models_families failed (${tested})")
endif()
