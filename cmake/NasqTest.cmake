# nasq_test(NAME [ONE_ENTRY] [COST seconds] SOURCES a_test.cc ... LIBS lib ...): one GoogleTest
# executable registered with ctest, one ctest entry per TEST (gtest_discover_tests), or with
# ONE_ENTRY one entry that runs the whole executable: for LibTorch unit tests, whose process start
# (about 1 s of LibTorch's static initialisation) costs more than the tests (101 quantiser tests:
# 89 s as entries, 1.4 s as one process). COST, the expected seconds of the slowest entry, makes a
# parallel ctest start it first rather than last. The executable compiles with
# NASQ_TEST_COMPILE_OPTIONS after the build type's flags.
#
# NASQ_TEST_COMPILE_OPTIONS defaults to -O0: the tests' own code (assertions, fixtures, gRPC and
# GoogleTest templates) is half of the build's compile time and runs for microseconds, while the
# code under test is compiled optimised in its libraries. -O0 halves a test target's compile time
# (server_test: 57 s at -O3, 29 s at -O0; the LibTorch quantiser tests 49 s and 22 s).
set(NASQ_TEST_COMPILE_OPTIONS -O0 CACHE STRING
    "Compile options of the test executables, after the build type's (empty: the build type's)")
function(nasq_test name)
  cmake_parse_arguments(T "ONE_ENTRY" "COST" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_LIBS} GTest::gtest_main GTest::gmock)
  target_compile_options(${name} PRIVATE ${NASQ_TEST_COMPILE_OPTIONS})
  set(properties TIMEOUT 900)
  if(T_COST)
    list(APPEND properties COST ${T_COST})
  endif()
  if(T_ONE_ENTRY)
    add_test(NAME ${name} COMMAND ${name})
    set_tests_properties(${name} PROPERTIES ${properties})
  else()
    gtest_discover_tests(${name} DISCOVERY_TIMEOUT 120 PROPERTIES ${properties})
  endif()
endfunction()

# nasq_pytest(NAME PATHS file_or_dir ... [TIMEOUT seconds] [COST seconds] [LABELS label ...]
# [ENV VAR=value ...]):
# one ctest entry that runs pytest on PATHS with the Python of NASQ_VENV (scripts/python-env.sh
# makes it; default <build>/venv), tests/python/conftest.py's fixtures, the built binaries in
# NASQ_SERVER_BIN, NASQ_CLI_BIN and NASQ_WORKER_BIN, and the ENV variables.
set(NASQ_VENV "${CMAKE_BINARY_DIR}/venv" CACHE PATH
    "Python venv of the pytest suites (scripts/python-env.sh)")
function(nasq_pytest name)
  cmake_parse_arguments(T "" "TIMEOUT;COST" "PATHS;LABELS;ENV" ${ARGN})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 600)
  endif()
  set(env "NASQ_SERVER_BIN=$<TARGET_FILE:nasq-server>" "NASQ_CLI_BIN=$<TARGET_FILE:nasq>" ${T_ENV})
  if(TARGET nasq-worker)
    list(APPEND env "NASQ_WORKER_BIN=$<TARGET_FILE:nasq-worker>")
  endif()
  add_test(NAME ${name}
           COMMAND ${NASQ_VENV}/bin/python3 -m pytest -q -p no:cacheprovider
                   --rootdir ${CMAKE_SOURCE_DIR}/tests/python
                   -c ${CMAKE_SOURCE_DIR}/tests/python/pytest.ini ${T_PATHS}
           WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
  set_tests_properties(${name} PROPERTIES TIMEOUT ${T_TIMEOUT} ENVIRONMENT "${env}")
  if(T_COST)
    set_tests_properties(${name} PROPERTIES COST ${T_COST})
  endif()
  if(T_LABELS)
    set_tests_properties(${name} PROPERTIES LABELS "${T_LABELS}")
  endif()
endfunction()
