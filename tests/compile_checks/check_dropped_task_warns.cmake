# Dropping a task<T> returned by a coroutine is a warning (task is [[nodiscard]] as a type, as C#
# warns with CS4014): dropped_task.cpp must fail to compile with -Werror, and for that reason
# only. Then the same file with the task kept, `(void)compute();`, must compile.
#   cmake -DCXX=<compiler> -DINCLUDE_DIR=<core/include> -DSOURCE=<dropped_task.cpp> -DSCRATCH_DIR=<dir> -P ...
execute_process(COMMAND ${CXX} -std=c++20 -Wall -Wextra -Werror -I${INCLUDE_DIR} -fsyntax-only ${SOURCE}
                RESULT_VARIABLE result OUTPUT_VARIABLE output ERROR_VARIABLE output)
if(result EQUAL 0)
  message(FATAL_ERROR "dropping a coroutine's task<T> compiled without a warning")
endif()
if(NOT output MATCHES "nodiscard|ignoring return value")
  message(FATAL_ERROR "dropped_task.cpp failed for another reason:\n${output}")
endif()
file(READ ${SOURCE} text)
string(REPLACE "  compute();" "  (void)compute();" text "${text}")
file(MAKE_DIRECTORY ${SCRATCH_DIR})
file(WRITE ${SCRATCH_DIR}/kept_task.cpp "${text}")
execute_process(COMMAND ${CXX} -std=c++20 -Wall -Wextra -Werror -I${INCLUDE_DIR} -fsyntax-only ${SCRATCH_DIR}/kept_task.cpp
                RESULT_VARIABLE result OUTPUT_VARIABLE output ERROR_VARIABLE output)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "the same file with the task kept does not compile:\n${output}")
endif()
message("a dropped task<T> warns; a (void) cast does not")
