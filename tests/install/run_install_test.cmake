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

# The installed package carries the documentation: README (the front page), docs/ beside it.
foreach(document README.md CHANGELOG.md LICENSE docs/tasks.md docs/porting.md)
  if(NOT EXISTS ${prefix}/share/doc/tpl/${document})
    message(FATAL_ERROR "the installed package lacks share/doc/tpl/${document}")
  endif()
endforeach()
message(STATUS "ok: the package carries README.md, CHANGELOG.md, LICENSE and docs/")

# The front door without make or presets (README.md, "Installing without make"): a plain
# configure, build and install of the sources builds the library only, with the default
# generator and build type, and a project finds what it installed.
set(plain_prefix ${SCRATCH_DIR}/plain-prefix)
step(${CMAKE_COMMAND} -S ${TPL_SOURCE_DIR} -B ${SCRATCH_DIR}/plain -DCMAKE_CXX_COMPILER=${CXX_COMPILER})
step(${CMAKE_COMMAND} --build ${SCRATCH_DIR}/plain --parallel 2)
step(${CMAKE_COMMAND} --install ${SCRATCH_DIR}/plain --prefix ${plain_prefix})
if(EXISTS ${SCRATCH_DIR}/plain/tests OR EXISTS ${SCRATCH_DIR}/plain/models)
  message(FATAL_ERROR "a plain configure built tpl's own tests or models (TPL_DEVELOPER must default to OFF)")
endif()
step(${CMAKE_COMMAND} -S ${CONSUMER_SOURCE_DIR} -B ${SCRATCH_DIR}/build-plain -G Ninja
     -DCMAKE_PREFIX_PATH=${plain_prefix} -DCMAKE_CXX_COMPILER=${CXX_COMPILER})
step(${CMAKE_COMMAND} --build ${SCRATCH_DIR}/build-plain)
step(${SCRATCH_DIR}/build-plain/tpl_consumer)

# add_subdirectory (README.md's snippet), from the source tree.
step(${CMAKE_COMMAND} -S ${CONSUMER_SOURCE_DIR}/../subproject -B ${SCRATCH_DIR}/build-subproject -G Ninja
     -DTPL_SOURCE_DIR=${TPL_SOURCE_DIR} -DCMAKE_CXX_COMPILER=${CXX_COMPILER})
step(${CMAKE_COMMAND} --build ${SCRATCH_DIR}/build-subproject)
step(${SCRATCH_DIR}/build-subproject/tpl_consumer)

# FetchContent (README.md's snippet), from a source archive holding what a release ships.
set(archive ${SCRATCH_DIR}/tpl-${TPL_VERSION}.tar.gz)
execute_process(COMMAND ${CMAKE_COMMAND} -E tar czf ${archive} CMakeLists.txt cmake core docs README.md CHANGELOG.md LICENSE
                WORKING_DIRECTORY ${TPL_SOURCE_DIR} RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "could not make ${archive}")
endif()
step(${CMAKE_COMMAND} -S ${CONSUMER_SOURCE_DIR}/../fetchcontent -B ${SCRATCH_DIR}/build-fetchcontent -G Ninja
     -DTPL_ARCHIVE=${archive} -DCMAKE_CXX_COMPILER=${CXX_COMPILER})
step(${CMAKE_COMMAND} --build ${SCRATCH_DIR}/build-fetchcontent)
step(${SCRATCH_DIR}/build-fetchcontent/tpl_consumer)
