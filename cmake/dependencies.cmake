# Every dependency is a Debian 12 package (scripts/setup installs them), except a librdkafka new
# enough, which scripts/setup builds from Debian's newer source package where the system's is old. Imported targets only;
# each folder's library links what it needs PRIVATE.
find_package(PkgConfig REQUIRED)
pkg_check_modules(libpq REQUIRED IMPORTED_TARGET libpq)
find_package(Threads REQUIRED)
include(${CMAKE_CURRENT_LIST_DIR}/librdkafka.cmake)
pkg_check_modules(libsystemd REQUIRED IMPORTED_TARGET libsystemd)

find_package(simdjson REQUIRED CONFIG)
find_package(CLI11 REQUIRED CONFIG)
find_package(prometheus-cpp REQUIRED CONFIG)
# The HTTP server prometheus-cpp's pull module is built on: /metrics, /healthz and /readyz share
# one listener, which prometheus-cpp's Exposer alone cannot give.
find_package(civetweb REQUIRED CONFIG)
find_package(yaml-cpp REQUIRED CONFIG)
# The relay's allocator (docs/memory.md): a record in flight costs several small allocations in
# librdkafka, freed in batches as delivery reports come, where jemalloc's size classes and thread
# caches cost a third less CPU per event than glibc's malloc (docs/benchmarks.md).
if(OUTBOX_RELAY_JEMALLOC AND NOT OUTBOX_RELAY_SANITIZE AND NOT OUTBOX_RELAY_FUZZ)
  pkg_check_modules(jemalloc REQUIRED IMPORTED_TARGET jemalloc)
endif()
# Makes jemalloc the executable's malloc when the build has it. Nothing calls jemalloc by name: it
# replaces malloc for the whole process (librdkafka's and libpq's allocations too), so it must be
# loaded even though --as-needed would drop it.
function(outbox_link_jemalloc target)
  if(TARGET PkgConfig::jemalloc)
    target_link_libraries(${target} PRIVATE "-Wl,--push-state,--no-as-needed"
                          PkgConfig::jemalloc "-Wl,--pop-state")
  endif()
endfunction()

if(OUTBOX_RELAY_TESTS)
  find_package(GTest REQUIRED CONFIG)
  include(GoogleTest)
endif()
if(OUTBOX_RELAY_BENCHMARKS)
  find_package(benchmark REQUIRED CONFIG)
endif()
