# cmake -P script: install the build tree into a scratch prefix, configure + build the consumer
# project against it, and run the consumer. Any failing step fails the test.
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
