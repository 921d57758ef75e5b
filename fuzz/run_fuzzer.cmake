# cmake -P script: runs one fuzz target for SECONDS from a scratch copy of its seed corpus, with
# its dictionary, crash artifacts saved in SCRATCH; fails if the fuzzer finds a crash or a
# disagreement with the reference model (its last lines say which input: replay it with
# `FUZZER <artifact>`). Prints the executions per second and coverage it reached.
file(REMOVE_RECURSE ${SCRATCH})
file(MAKE_DIRECTORY ${SCRATCH}/corpus ${SCRATCH}/artifacts)
file(GLOB seeds ${SEEDS}/*)
if(NOT seeds)
  message(FATAL_ERROR "no seed inputs in ${SEEDS}")
endif()
file(COPY ${seeds} DESTINATION ${SCRATCH}/corpus)
execute_process(COMMAND ${FUZZER} ${SCRATCH}/corpus -dict=${DICTIONARY} -max_total_time=${SECONDS} -seed=1
                        -artifact_prefix=${SCRATCH}/artifacts/ -print_final_stats=1
                RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE out)
string(REGEX MATCH "stat::number_of_executed_units: *[0-9]+" executions "${out}")
string(REGEX MATCH "stat::average_exec_per_sec: *[0-9]+" per_second "${out}")
string(REGEX MATCH "cov: [0-9]+ ft: [0-9]+" coverage "${out}")
string(REGEX MATCHALL "#[0-9]+[^\n]*DONE[^\n]*" done_line "${out}")
# The instrumented edges in all (libFuzzer's inline 8-bit counters), for coverage as a fraction.
string(REGEX MATCH "Loaded [0-9]+ modules +\\(([0-9]+) inline 8-bit counters" counters "${out}")
message(STATUS "${executions}; ${per_second}; last ${coverage} of ${CMAKE_MATCH_1} instrumented edges")
if(NOT result EQUAL 0)
  string(LENGTH "${out}" length)
  math(EXPR from "${length} - 4000")
  if(from LESS 0)
    set(from 0)
  endif()
  string(SUBSTRING "${out}" ${from} -1 tail)
  message(FATAL_ERROR "the fuzzer failed (${result}); artifacts in ${SCRATCH}/artifacts:\n${tail}")
endif()
