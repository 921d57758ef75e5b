# cmake -P script: install the build tree into a scratch prefix, configure + build the consumer
# project against it with find_package (and see a later version than installed refused), build
# the same consumer with `pkg-config --cflags --libs tpl`, and run both. Any failing step fails
# the test.
file(REMOVE_RECURSE ${SCRATCH_DIR})
set(prefix ${SCRATCH_DIR}/prefix)

function(step)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "step failed (${result}): ${ARGN}\n${out}")
  endif()
  message(STATUS "ok: ${ARGN}")
endfunction()

step(${CMAKE_COMMAND} --install ${TPL_BUILD_DIR} --prefix ${prefix})
if(EXISTS ${prefix}/include/tpl/sync/relacy)
  message(FATAL_ERROR "the Relacy backend must not be installed")
endif()
step(${CMAKE_COMMAND} -S ${CONSUMER_SOURCE_DIR} -B ${SCRATCH_DIR}/build -G Ninja
     -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_CXX_COMPILER=${CXX_COMPILER} -DCMAKE_BUILD_TYPE=Release)
step(${CMAKE_COMMAND} --build ${SCRATCH_DIR}/build)
step(${SCRATCH_DIR}/build/tpl_consumer)

# The version check: asking for a later minor version than the installed one must fail.
execute_process(COMMAND ${CMAKE_COMMAND} -S ${CONSUMER_SOURCE_DIR} -B ${SCRATCH_DIR}/build-too-new -G Ninja
                        -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_CXX_COMPILER=${CXX_COMPILER} -DTPL_REQUIRED_VERSION=${TPL_NEXT_MINOR_VERSION}
                RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(result EQUAL 0 OR NOT out MATCHES "tpl")
  message(FATAL_ERROR "find_package(tpl ${TPL_NEXT_MINOR_VERSION}) accepted version ${TPL_VERSION}:\n${out}")
endif()
message(STATUS "ok: find_package(tpl ${TPL_NEXT_MINOR_VERSION}) refused version ${TPL_VERSION}")

# pkg-config, from the installed tpl.pc.
file(GLOB_RECURSE pc_files ${prefix}/*/tpl.pc)
list(LENGTH pc_files pc_count)
if(NOT pc_count EQUAL 1)
  message(FATAL_ERROR "expected one installed tpl.pc, found: ${pc_files}")
endif()
get_filename_component(pc_dir ${pc_files} DIRECTORY)
set(ENV{PKG_CONFIG_PATH} ${pc_dir})
execute_process(COMMAND pkg-config --modversion tpl OUTPUT_VARIABLE pc_version OUTPUT_STRIP_TRAILING_WHITESPACE
                RESULT_VARIABLE result)
if(NOT result EQUAL 0 OR NOT pc_version STREQUAL TPL_VERSION)
  message(FATAL_ERROR "pkg-config --modversion tpl gave '${pc_version}' (${result}), expected ${TPL_VERSION}")
endif()
execute_process(COMMAND pkg-config --cflags --libs tpl OUTPUT_VARIABLE pc_flags OUTPUT_STRIP_TRAILING_WHITESPACE
                RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "pkg-config --cflags --libs tpl failed")
endif()
# tpl.pc must not force a language standard: a user building with -std=c++23 placed before
# the pkg-config flags would be put back to C++20 (issue 28). The user names the standard.
if(pc_flags MATCHES "-std=")
  message(FATAL_ERROR "pkg-config --cflags tpl forces a language standard: ${pc_flags}")
endif()
# The installed CMake package must not carry the build machine's liburing path.
file(GLOB_RECURSE target_files ${prefix}/*/tplTargets*.cmake)
foreach(target_file IN LISTS target_files)
  file(READ ${target_file} target_text)
  if(target_text MATCHES "liburing\\.(so|a)")
    message(FATAL_ERROR "${target_file} names liburing by path instead of LibUring::LibUring")
  endif()
endforeach()
separate_arguments(pc_flags UNIX_COMMAND "${pc_flags}")
step(${CXX_COMPILER} -std=c++20 -O2 ${CONSUMER_SOURCE_DIR}/main.cpp ${pc_flags} -o ${SCRATCH_DIR}/tpl_consumer_pkg_config)
step(${SCRATCH_DIR}/tpl_consumer_pkg_config)
