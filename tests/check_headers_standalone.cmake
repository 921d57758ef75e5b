# Every header under core/include/tpl compiles on its own (-fsyntax-only, the project's
# warnings as errors): a header that leans on what another header happened to include first, or
# an include cycle that breaks when entered from the other side, fails here rather than in a
# user's file. The backend pieces of tpl::sync (sync/std, sync/relacy) are meant to be reached
# through sync/sync.hpp only and are skipped; the Relacy one needs the model build.
#
#   cmake -DCXX=<compiler> -DINCLUDE_DIR=<core/include> -DSCRATCH_DIR=<dir> [-DSHARD=i -DSHARDS=n]
#         -P check_headers_standalone.cmake
# With a shard, only every n-th header from the i-th (ctest runs the shards side by side).
file(GLOB_RECURSE headers RELATIVE ${INCLUDE_DIR} ${INCLUDE_DIR}/tpl/*.hpp)
list(FILTER headers EXCLUDE REGEX "^tpl/sync/(std|relacy)/")
list(LENGTH headers count)
if(count LESS 40)
  message(FATAL_ERROR "found only ${count} headers under ${INCLUDE_DIR}/tpl: wrong INCLUDE_DIR?")
endif()
if(NOT DEFINED SHARDS)
  set(SHARD 0)
  set(SHARDS 1)
endif()
set(shard_headers)
set(position 0)
foreach(header IN LISTS headers)
  math(EXPR remainder "${position} % ${SHARDS}")
  if(remainder EQUAL SHARD)
    list(APPEND shard_headers ${header})
  endif()
  math(EXPR position "${position} + 1")
endforeach()
set(headers ${shard_headers})
list(LENGTH headers count)
file(MAKE_DIRECTORY ${SCRATCH_DIR})
set(failed)
foreach(header IN LISTS headers)
  string(MAKE_C_IDENTIFIER ${header} stem)
  set(source ${SCRATCH_DIR}/${stem}.cpp)
  file(WRITE ${source} "#include \"${header}\"\n")
  execute_process(COMMAND ${CXX} -std=c++20 -Wall -Wextra -Werror -I${INCLUDE_DIR} -fsyntax-only ${source}
                  RESULT_VARIABLE result OUTPUT_VARIABLE output ERROR_VARIABLE output)
  if(NOT result EQUAL 0)
    list(APPEND failed ${header})
    message("${header} does not compile on its own:\n${output}")
  endif()
endforeach()
if(failed)
  list(LENGTH failed failed_count)
  message(FATAL_ERROR "${failed_count} of ${count} headers do not compile on their own: ${failed}")
endif()
message("all ${count} headers compile on their own")
