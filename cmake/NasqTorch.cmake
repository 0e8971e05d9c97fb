# NasqTorch: the one LibTorch target, `nasq_torch`, that every LibTorch user links.
#
# NASQ_TORCH_DIR empty (default): Debian's LibTorch through find_package(Torch).
# NASQ_TORCH_DIR set: the `torch` folder of a PyPI torch wheel (scripts/torch-wheel.sh prints
# one; on a machine with torch installed, python3 -c 'import torch,os;
# print(os.path.dirname(torch.__file__))'). The wheel's TorchConfig.cmake wants a CUDA toolkit,
# so its libraries are linked directly: torch_cpu and c10, with include/ and
# include/torch/csrc/api/include, an rpath to its lib/ and the wheel's _GLIBCXX_USE_CXX11_ABI
# (read from libc10.so's exported names; a mismatch with Debian's gRPC/protobuf/abseil would not
# link).
# NASQ_TORCH_CUDA (wheel only): ON links torch_cuda and c10_cuda as well (--no-as-needed, since
# nothing refers to them by name: loading them registers the CUDA kernels); AUTO (default) does
# so when libtorch_cuda.so exists and its libraries resolve (ldd); OFF never. Configure errors
# name the missing file.
#
# nasq_torch_precompiled_headers([TESTS] target ...): the targets compile <torch/torch.h> once, as
# one precompiled header shared through PRECOMPILE_HEADERS_REUSE_FROM (parsing LibTorch's headers
# is most of a LibTorch translation unit's compile time). The targets must compile with the
# project's common flags (their own -D macros are fine when LibTorch's headers do not use them);
# TESTS: nasq_test executables, which add NASQ_TEST_COMPILE_OPTIONS (a PCH is only valid with the
# optimisation level it was made with), share a second PCH made with those options.
# NASQ_TORCH_PCH=OFF makes it a no-op.
include_guard(GLOBAL)
set(NASQ_TORCH_DIR "" CACHE PATH
    "torch folder of a PyPI torch wheel (scripts/torch-wheel.sh); empty: Debian's LibTorch")
set(NASQ_TORCH_CUDA AUTO CACHE STRING "Link the wheel's CUDA libraries: ON, OFF or AUTO")
set_property(CACHE NASQ_TORCH_CUDA PROPERTY STRINGS AUTO ON OFF)

option(NASQ_TORCH_PCH "Share one precompiled <torch/torch.h> among the LibTorch targets" ON)

add_library(nasq_torch INTERFACE)
function(nasq_torch_precompiled_headers)
  cmake_parse_arguments(P "TESTS" "" "" ${ARGN})
  if(NOT NASQ_TORCH_PCH)
    return()
  endif()
  set(owner nasq_torch_pch)
  set(owner_options "")
  if(P_TESTS)
    set(owner nasq_torch_test_pch)
    set(owner_options ${NASQ_TEST_COMPILE_OPTIONS})
  endif()
  if(NOT TARGET ${owner})
    file(WRITE ${CMAKE_BINARY_DIR}/${owner}.cc "// The owner of a shared <torch/torch.h> PCH.\n")
    add_library(${owner} OBJECT ${CMAKE_BINARY_DIR}/${owner}.cc)
    target_link_libraries(${owner} PRIVATE nasq_torch)
    target_precompile_headers(${owner} PRIVATE <torch/torch.h>)
    # -pthread (it defines _REENTRANT) in the PCH and all its users keeps the PCH valid in
    # targets that get it from elsewhere (RE2's pkg-config flags); LibTorch is threaded anyway.
    target_compile_options(${owner} PRIVATE -pthread ${owner_options})
  endif()
  foreach(target ${P_UNPARSED_ARGUMENTS})
    set_target_properties(${target} PROPERTIES PRECOMPILE_HEADERS_REUSE_FROM ${owner})
    target_compile_options(${target} PRIVATE -pthread)
  endforeach()
endfunction()

if(NASQ_TORCH_DIR STREQUAL "")
  find_package(Torch REQUIRED)
  target_link_libraries(nasq_torch INTERFACE ${TORCH_LIBRARIES})
  set(NASQ_TORCH_VERSION ${Torch_VERSION})
  message(STATUS "LibTorch: Debian's ${Torch_VERSION} (${Torch_DIR})")
  return()
endif()

set(lib_dir ${NASQ_TORCH_DIR}/lib)
foreach(required include/torch/csrc/api/include/torch/torch.h lib/libtorch_cpu.so lib/libc10.so)
  if(NOT EXISTS ${NASQ_TORCH_DIR}/${required})
    message(FATAL_ERROR "NASQ_TORCH_DIR=${NASQ_TORCH_DIR} has no ${required}: expected the "
                        "torch folder of a torch wheel (scripts/torch-wheel.sh prints one)")
  endif()
endforeach()

# New-ABI libraries export names of std::__cxx11::basic_string.
file(STRINGS ${lib_dir}/libc10.so cxx11_names REGEX "NSt7__cxx1112basic_string" LIMIT_COUNT 1)
if(cxx11_names)
  set(abi 1)
else()
  set(abi 0)
endif()
set(NASQ_TORCH_VERSION unknown)
if(EXISTS ${NASQ_TORCH_DIR}/version.py)
  file(STRINGS ${NASQ_TORCH_DIR}/version.py version_line REGEX "^__version__")
  string(REGEX REPLACE "^__version__ = '([^']*)'.*" "\\1" NASQ_TORCH_VERSION "${version_line}")
endif()

target_include_directories(nasq_torch SYSTEM INTERFACE
  ${NASQ_TORCH_DIR}/include ${NASQ_TORCH_DIR}/include/torch/csrc/api/include)
target_compile_definitions(nasq_torch INTERFACE _GLIBCXX_USE_CXX11_ABI=${abi})
target_link_libraries(nasq_torch INTERFACE ${lib_dir}/libtorch_cpu.so ${lib_dir}/libc10.so)
target_link_options(nasq_torch INTERFACE "LINKER:-rpath,${lib_dir}")

set(cuda_libs ${lib_dir}/libtorch_cuda.so ${lib_dir}/libc10_cuda.so)
set(use_cuda OFF)
if(NASQ_TORCH_CUDA STREQUAL "ON")
  foreach(lib ${cuda_libs})
    if(NOT EXISTS ${lib})
      message(FATAL_ERROR "NASQ_TORCH_CUDA=ON but ${lib} does not exist")
    endif()
  endforeach()
  set(use_cuda ON)
elseif(NASQ_TORCH_CUDA STREQUAL "AUTO" AND EXISTS ${lib_dir}/libtorch_cuda.so)
  execute_process(COMMAND ldd ${lib_dir}/libtorch_cuda.so OUTPUT_VARIABLE ldd_out
                  RESULT_VARIABLE ldd_rc ERROR_QUIET)
  if(ldd_rc EQUAL 0 AND NOT ldd_out MATCHES "not found")
    set(use_cuda ON)
  endif()
elseif(NOT NASQ_TORCH_CUDA MATCHES "^(AUTO|ON|OFF)$")
  message(FATAL_ERROR "NASQ_TORCH_CUDA=${NASQ_TORCH_CUDA}: expected ON, OFF or AUTO")
endif()
if(use_cuda)
  target_link_libraries(nasq_torch INTERFACE
    "-Wl,--push-state,--no-as-needed" ${cuda_libs} "-Wl,--pop-state")
endif()
message(STATUS "LibTorch: wheel ${NASQ_TORCH_VERSION} (${NASQ_TORCH_DIR}), "
               "_GLIBCXX_USE_CXX11_ABI=${abi}, CUDA ${use_cuda}")
