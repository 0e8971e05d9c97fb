# nasq_test(NAME SOURCES a_test.cc ... LIBS lib ...): one GoogleTest executable registered with
# ctest, one ctest entry per TEST (gtest_discover_tests).
function(nasq_test name)
  cmake_parse_arguments(T "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_LIBS} GTest::gtest_main GTest::gmock)
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 120 PROPERTIES TIMEOUT 900)
endfunction()
