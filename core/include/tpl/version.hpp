/// \file
/// tpl's version, for code that must check it at compile time. The single source of the version:
/// CMakeLists.txt reads these three lines (the CMake package, tpl.pc and this header always agree).
#pragma once

#define TPL_VERSION_MAJOR 0
#define TPL_VERSION_MINOR 2
#define TPL_VERSION_PATCH 0

/// One number that compares as versions do: major * 10000 + minor * 100 + patch.
#define TPL_VERSION (TPL_VERSION_MAJOR * 10000 + TPL_VERSION_MINOR * 100 + TPL_VERSION_PATCH)

namespace tpl {
struct version_info {
  int major;
  int minor;
  int patch;
};
/// The version the headers in use belong to.
inline constexpr version_info version{TPL_VERSION_MAJOR, TPL_VERSION_MINOR, TPL_VERSION_PATCH};
}  // namespace tpl
