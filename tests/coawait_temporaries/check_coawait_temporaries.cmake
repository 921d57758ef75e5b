# Runs each form of coawait_temporaries (built with AddressSanitizer) in a process of its own.
# The forms tpl makes safe must pass on every compiler. The others must pass too, except on g++
# before 13 (GCC PRs 99576, 100611, 101367, 101976, fixed in 13.1), where the run says which of
# them this compiler gets wrong: that is the detection `make test` promises (docs/tasks.md).
#
#   cmake -DPROGRAM=<coawait_temporaries> -DCOMPILER_ID=<GNU|Clang> -DCOMPILER_VERSION=<x.y.z>
#         -P check_coawait_temporaries.cmake
set(safe_forms braced_endpoint named_lambda)
set(compiler_forms run_capturing_string when_all_of_runs when_any_with_delay immediately_invoked)
set(affected_compiler FALSE)
if(COMPILER_ID STREQUAL "GNU" AND COMPILER_VERSION VERSION_LESS 13)
  set(affected_compiler TRUE)
endif()
cmake_policy(SET CMP0057 NEW)  # if(IN_LIST)
set(ENV{ASAN_OPTIONS} "detect_leaks=0:halt_on_error=1:exitcode=66")
set(failed)
set(wrong_here)
foreach(form IN LISTS safe_forms compiler_forms)
  execute_process(COMMAND ${PROGRAM} ${form} RESULT_VARIABLE result OUTPUT_VARIABLE output ERROR_VARIABLE output
                  TIMEOUT 60)
  if(result EQUAL 0)
    message("${form}: clean")
    continue()
  endif()
  if(affected_compiler AND form IN_LIST compiler_forms)
    string(REGEX MATCH "ERROR: AddressSanitizer: [^\n]*" asan_line "${output}")
    message("${form}: wrong on this compiler (${asan_line})")
    list(APPEND wrong_here ${form})
  else()
    message("${form}: FAILED (exit ${result}):\n${output}")
    list(APPEND failed ${form})
  endif()
endforeach()
if(failed)
  message(FATAL_ERROR "forms that must be clean on ${COMPILER_ID} ${COMPILER_VERSION} failed: ${failed}")
endif()
if(wrong_here)
  message(WARNING "${COMPILER_ID} ${COMPILER_VERSION} destroys temporaries of a co_await expression twice "
          "(GCC PRs 99576, 100611, 101367, 101976; fixed in GCC 13.1): ${wrong_here}. Code built with it must "
          "name a capturing lambda before the co_await (docs/tasks.md, \"g++ 12 and temporaries in co_await\").")
elseif(affected_compiler)
  message("${COMPILER_ID} ${COMPILER_VERSION} is older than 13 but got every form right")
else()
  message("${COMPILER_ID} ${COMPILER_VERSION}: every form clean")
endif()
