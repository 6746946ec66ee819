# LibTorch from the torch wheel of a Python environment: the same library the user's `import torch`
# loads, so `import sanity` and `import torch` share one LibTorch in one process.
#
# Why not find_package(Torch): the wheel's TorchConfig.cmake is written for its CUDA build and fails
# without a CUDA toolkit (nvcc, CUDA::* targets), which CPU machines do not have. Compiling against
# LibTorch needs only its headers and shared libraries, which is all torch.utils.cpp_extension uses
# to build extensions: we ask the interpreter for the same paths and flags.
#
# In:  SANITY_PYTHON, the interpreter whose torch to build against.
# Out: the target sanity::torch (headers, libraries, the wheel's C++ ABI), and TORCH_VERSION,
#      TORCH_CUDA_VERSION ("" for a CPU wheel), TORCH_LIBRARY_DIR.

set(sanity_torch_query [=[
import torch, torch.utils.cpp_extension as ext
print(torch.__version__.split('+')[0])
print(torch.version.cuda or '')
print(int(torch._C._GLIBCXX_USE_CXX11_ABI))
print(','.join(ext.include_paths()))
print(ext.library_paths()[0])
]=])
execute_process(COMMAND ${SANITY_PYTHON} -c "${sanity_torch_query}"
                RESULT_VARIABLE sanity_torch_failed OUTPUT_VARIABLE sanity_torch_out ERROR_VARIABLE sanity_torch_err
                OUTPUT_STRIP_TRAILING_WHITESPACE)
if(sanity_torch_failed)
  message(FATAL_ERROR "sanity: ${SANITY_PYTHON} cannot import torch (bash scripts/setup.sh creates the "
                      "project's environment with the pinned torch):\n${sanity_torch_err}")
endif()
string(REPLACE "\n" ";" sanity_torch_lines "${sanity_torch_out}")
list(GET sanity_torch_lines 0 TORCH_VERSION)
list(GET sanity_torch_lines 1 TORCH_CUDA_VERSION)
list(GET sanity_torch_lines 2 sanity_torch_abi)
list(GET sanity_torch_lines 3 sanity_torch_includes)
list(GET sanity_torch_lines 4 TORCH_LIBRARY_DIR)
string(REPLACE "," ";" sanity_torch_includes "${sanity_torch_includes}")

# libtorch.so of a CUDA wheel depends on libtorch_cuda.so, whose static initializers register the
# CUDA backend: linked with --no-as-needed, the same binary runs on a GPU where a driver exists and
# on the CPU elsewhere (libcudart loads without a driver; the wheel's RUNPATH finds nvidia/*/lib).
set(sanity_torch_libs "${TORCH_LIBRARY_DIR}/libtorch.so" "${TORCH_LIBRARY_DIR}/libtorch_cpu.so"
                      "${TORCH_LIBRARY_DIR}/libc10.so")
if(TORCH_CUDA_VERSION)
  list(APPEND sanity_torch_libs "${TORCH_LIBRARY_DIR}/libtorch_cuda.so" "${TORCH_LIBRARY_DIR}/libc10_cuda.so")
endif()
# The wheel's include folder also holds the headers of the libraries it bundles, among them
# protobuf 3.13 (google/, linked into libtorch_cpu with hidden symbols and its own ONNX namespace
# onnx_torch) and pybind11. Found first, they would replace Debian's protobuf headers, which Debian's
# libonnx-dev needs, and the environment's pybind11: the build sees the wheel's folder through a
# folder of links to everything but those two.
list(GET sanity_torch_includes 0 sanity_torch_root)
set(sanity_torch_view ${CMAKE_BINARY_DIR}/torch_include)
file(GLOB sanity_torch_entries RELATIVE ${sanity_torch_root} ${sanity_torch_root}/*)
list(REMOVE_ITEM sanity_torch_entries google pybind11)
file(REMOVE_RECURSE ${sanity_torch_view})
file(MAKE_DIRECTORY ${sanity_torch_view})
foreach(entry ${sanity_torch_entries})
  file(CREATE_LINK ${sanity_torch_root}/${entry} ${sanity_torch_view}/${entry} SYMBOLIC)
endforeach()
list(TRANSFORM sanity_torch_includes REPLACE "^${sanity_torch_root}" ${sanity_torch_view})

add_library(sanity_torch INTERFACE)
add_library(sanity::torch ALIAS sanity_torch)
# SYSTEM: LibTorch's own warnings are not ours to fix.
target_include_directories(sanity_torch SYSTEM INTERFACE ${sanity_torch_includes})
# libstdc++ first: libtorch.so and libtorch_cpu.so export copies of std::filesystem functions, built
# with the wheel's newer GCC against libstdc++ internals that Debian 12's libstdc++ lacks (their
# remove_all calls recursive_directory_iterator::__erase, which resolves to address 0 here). The
# dynamic linker binds a symbol to the first library in NEEDED order that defines it: libstdc++
# before LibTorch, so our calls reach the system's own implementation.
target_link_libraries(sanity_torch INTERFACE "-Wl,--no-as-needed" stdc++ ${sanity_torch_libs})
# The wheel is built with the C++11 ABI of std::string (checked above, not assumed): a mismatch links
# but crashes at the first string crossing the boundary.
target_compile_definitions(sanity_torch INTERFACE _GLIBCXX_USE_CXX11_ABI=${sanity_torch_abi})
# Binaries in build/ find these libraries through the RUNPATH CMake derives from their full paths (the
# same files `import torch` loads); installed ones (pip install .) through INSTALL_RPATH, relative to
# site-packages (python/CMakeLists.txt).
message(STATUS "sanity: LibTorch ${TORCH_VERSION} from ${TORCH_LIBRARY_DIR} "
               "(CUDA ${TORCH_CUDA_VERSION}, C++11 ABI ${sanity_torch_abi})")
