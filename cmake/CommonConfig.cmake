# The compile policy every target links (PRIVATE): C++17 without extensions,
# strict warnings, and Qt keywords off (Qt's `slots` macro breaks LibTorch headers).
set(CMAKE_CXX_STANDARD 17)
set(CMAKE_CXX_STANDARD_REQUIRED ON)
set(CMAKE_CXX_EXTENSIONS OFF)
if(NOT CMAKE_BUILD_TYPE AND NOT CMAKE_CONFIGURATION_TYPES)
  set(CMAKE_BUILD_TYPE RelWithDebInfo CACHE STRING "Build type" FORCE)
endif()

add_library(annotrain_policy INTERFACE)
target_compile_features(annotrain_policy INTERFACE cxx_std_17)
target_compile_options(annotrain_policy INTERFACE
  -Wall -Wextra -Wpedantic -Wnon-virtual-dtor)
target_compile_definitions(annotrain_policy INTERFACE
  QT_NO_KEYWORDS QT_NO_CAST_FROM_ASCII QT_NO_CAST_TO_ASCII)

if(ANNOTRAIN_SANITIZE)
  target_compile_options(annotrain_policy INTERFACE -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  target_link_options(annotrain_policy INTERFACE -fsanitize=address,undefined)
endif()
if(ANNOTRAIN_FUZZ)
  target_compile_options(annotrain_policy INTERFACE -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer)
  target_link_options(annotrain_policy INTERFACE -fsanitize=address,undefined)
endif()
