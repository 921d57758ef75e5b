# Small helpers so every test, model, benchmark and example target is built the same way.

# Warnings are errors for tpl's own targets only, never imposed on consumers of tpl::tpl.
function(tpl_strict_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Werror)
endfunction()

# Sanitizer flags for this build (TPL_SANITIZER). ASan always comes with UBSan, and both stop at
# the first report so a report fails the test instead of scrolling past.
if(TPL_SANITIZER STREQUAL "thread")
  set(TPL_SANITIZER_FLAGS -fsanitize=thread -fno-omit-frame-pointer)
elseif(TPL_SANITIZER STREQUAL "address")
  # UBSan adds float-cast-overflow (NaN or out-of-range floating values converted to integers)
  # and clang's integer checks: unsigned wrap-around and implicit narrowing or sign changes,
  # which are not undefined but are almost always bugs in tpl's code. The ignorelist exempts
  # only code that wraps by design (libstdc++, GoogleTest, RapidCheck) and says why.
  set(TPL_SANITIZER_FLAGS -fsanitize=address,undefined,float-cast-overflow,integer,implicit-conversion
                          -fsanitize-ignorelist=${PROJECT_SOURCE_DIR}/sanitizers/ubsan-integer-ignorelist.txt
                          -fno-sanitize-recover=all -fno-omit-frame-pointer)
elseif(NOT TPL_SANITIZER STREQUAL "")
  message(FATAL_ERROR "TPL_SANITIZER must be empty, thread or address, not '${TPL_SANITIZER}'")
endif()
# Sanitizer reports need a symbolizer to name functions and lines; llvm-19's is not on PATH.
if(NOT TPL_SANITIZER STREQUAL "")
  find_program(TPL_LLVM_SYMBOLIZER NAMES llvm-symbolizer PATHS /usr/lib/llvm-19/bin NO_DEFAULT_PATH)
endif()

# Labels: every test carries its kind (unit, prop, model, stress, install); in a sanitizer
# build every test also carries `sanitizer` and the sanitizer's name, so `ctest -L sanitizer`
# selects exactly the sanitizer runs.
function(tpl_add_test name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "LABEL;TIMEOUT" "COMMAND;ENVIRONMENT")
  add_test(NAME ${name} COMMAND ${arg_COMMAND})
  set(labels ${arg_LABEL})
  if(NOT TPL_SANITIZER STREQUAL "")
    list(APPEND labels sanitizer ${TPL_SANITIZER})
  endif()
  if(NOT arg_TIMEOUT)
    set(arg_TIMEOUT 600)
  endif()
  set_tests_properties(${name} PROPERTIES LABELS "${labels}" TIMEOUT ${arg_TIMEOUT})
  # Any sanitizer report fails the test: halt on the first one, exit non-zero.
  set(symbolizer "")
  if(TPL_LLVM_SYMBOLIZER)
    set(symbolizer ":external_symbolizer_path=${TPL_LLVM_SYMBOLIZER}")
  endif()
  if(TPL_SANITIZER STREQUAL "thread")
    list(APPEND arg_ENVIRONMENT "TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1:exitcode=66${symbolizer}")
  elseif(TPL_SANITIZER STREQUAL "address")
    list(APPEND arg_ENVIRONMENT "ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:exitcode=66${symbolizer}"
                                "UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1${symbolizer}")
  endif()
  if(arg_ENVIRONMENT)
    set_tests_properties(${name} PROPERTIES ENVIRONMENT "${arg_ENVIRONMENT}")
  endif()
endfunction()

# An executable with tpl's warnings and this build's sanitizer (not linked to tpl).
function(tpl_add_plain_executable target)
  add_executable(${target} ${ARGN})
  target_compile_features(${target} PRIVATE cxx_std_20)
  tpl_strict_warnings(${target})
  if(TPL_SANITIZER_FLAGS)
    target_compile_options(${target} PRIVATE ${TPL_SANITIZER_FLAGS})
    target_link_options(${target} PRIVATE ${TPL_SANITIZER_FLAGS})
  endif()
endfunction()

# An executable built from tpl's public API with tpl's warnings and this build's sanitizer.
function(tpl_add_executable target)
  tpl_add_plain_executable(${target} ${ARGN})
  target_link_libraries(${target} PRIVATE tpl::tpl)
endfunction()
