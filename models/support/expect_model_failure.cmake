# Runs a model binary that contains a planted bug and passes only if the model caught it: the
# binary exits non-zero *and* Relacy printed a failure report (so a crash or a missing binary
# does not count as "caught").
# Usage: cmake -DMODEL=<binary> [-DSCENARIO=<name>] -P expect_model_failure.cmake
execute_process(COMMAND ${MODEL} ${SCENARIO} RESULT_VARIABLE exit_code OUTPUT_VARIABLE output ERROR_VARIABLE output)
string(REGEX MATCH "(DATA RACE|USER ASSERT FAILED|[A-Z ]+ FAILED|failed)" report "${output}")
if(exit_code EQUAL 0)
  message(FATAL_ERROR "the planted bug was NOT caught: ${MODEL} exited 0\n${output}")
endif()
if(NOT exit_code MATCHES "^[0-9]+$" OR report STREQUAL "")
  message(FATAL_ERROR "${MODEL} did not fail through a model report (exit '${exit_code}')\n${output}")
endif()
string(LENGTH "${output}" output_length)
if(output_length GREATER 3000)
  string(SUBSTRING "${output}" 0 3000 output)
endif()
message(STATUS "planted bug caught (exit ${exit_code}, report '${report}'):\n${output}")
