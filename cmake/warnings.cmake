# Warnings for our own targets only: third-party headers come in as SYSTEM includes.
add_compile_options(-Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wcast-align
                    -Wimplicit-fallthrough -Wformat=2)
if(OUTBOX_RELAY_WERROR)
  add_compile_options(-Werror)
endif()
# GCC 12 at -O2/-O3 reports false -Wrestrict overlaps inside std::string concatenation
# (GCC bug 105651); the warning is off there rather than worked around at every call site.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  add_compile_options(-Wno-restrict)
endif()
