# Finds liburing (Debian: liburing-dev) and defines the imported target LibUring::LibUring.
# Used by tpl's own build and, installed next to tplConfig.cmake, by find_dependency(LibUring)
# in a consumer's find_package(tpl): the installed package names the library by target, not by
# the path it had on the machine that built tpl.
include(FindPackageHandleStandardArgs)
find_path(LibUring_INCLUDE_DIR liburing.h)
find_library(LibUring_LIBRARY uring)
find_package_handle_standard_args(LibUring REQUIRED_VARS LibUring_LIBRARY LibUring_INCLUDE_DIR)
if(LibUring_FOUND AND NOT TARGET LibUring::LibUring)
  add_library(LibUring::LibUring UNKNOWN IMPORTED)
  set_target_properties(LibUring::LibUring PROPERTIES IMPORTED_LOCATION "${LibUring_LIBRARY}"
                        INTERFACE_INCLUDE_DIRECTORIES "${LibUring_INCLUDE_DIR}")
endif()
mark_as_advanced(LibUring_INCLUDE_DIR LibUring_LIBRARY)
