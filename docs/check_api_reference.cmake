# The API reference builds without a warning (Doxygen's WARN_AS_ERROR = FAIL_ON_WARNINGS), opens
# on the README, and shows no internal member: no member's name-and-parameters column names a
# detail:: type (an internal constructor or accessor, which belongs in \cond TPL_INTERNALS).
# Return types may name detail:: types (an awaiter a member returns is what it returns).
#
#   cmake -DDOXYGEN=<doxygen> -DDOXYFILE=<Doxyfile> -DHTML_DIR=<output>/api -P check_api_reference.cmake
execute_process(COMMAND ${DOXYGEN} ${DOXYFILE} RESULT_VARIABLE result OUTPUT_VARIABLE output ERROR_VARIABLE output)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "Doxygen reported warnings (as errors):\n${output}")
endif()

file(READ ${HTML_DIR}/index.html front_page)
if(NOT front_page MATCHES "The two commands")
  message(FATAL_ERROR "${HTML_DIR}/index.html is not the README (no \"The two commands\" section)")
endif()

file(GLOB member_pages ${HTML_DIR}/class*.html ${HTML_DIR}/struct*.html ${HTML_DIR}/namespace*.html
     ${HTML_DIR}/union*.html)
list(FILTER member_pages EXCLUDE REGEX "(-members|_source)\\.html$")
list(LENGTH member_pages page_count)
if(page_count LESS 20)
  message(FATAL_ERROR "only ${page_count} class and namespace pages in ${HTML_DIR}: wrong HTML_DIR?")
endif()
set(internal_members)
foreach(page IN LISTS member_pages)
  file(READ ${page} content)
  string(REPLACE ";" "," content "${content}")  # HTML entities end in ';', a CMake list separator
  string(REGEX MATCHALL "class=\"memItemRight\"[^\n]*detail::[^\n]*" rows "${content}")
  foreach(row IN LISTS rows)
    string(REGEX REPLACE "<[^>]*>" "" row "${row}")
    get_filename_component(name ${page} NAME)
    list(APPEND internal_members "${name}: ${row}")
  endforeach()
endforeach()
if(internal_members)
  list(JOIN internal_members "\n  " listed)
  message(FATAL_ERROR "internal members in the API reference (wrap them in \\cond TPL_INTERNALS):\n  ${listed}")
endif()
message("the API reference builds without warnings, opens on the README, and lists ${page_count} pages with no internal member")
