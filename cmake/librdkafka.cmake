# librdkafka, as the target outbox::rdkafka: the one scripts/setup built from Debian's source into
# OUTBOX_RELAY_RDKAFKA_PREFIX (default .local/librdkafka) when it is there, linked statically (its
# own dependencies dynamically, as Debian packages, so the relay's package needs no newer
# librdkafka package), else the system's. Either must be at least OUTBOX_RELAY_RDKAFKA_MINIMUM:
# older clients cannot log in with SASL/SCRAM to Kafka 4 (and lack two years of producer fixes).
set(OUTBOX_RELAY_RDKAFKA_MINIMUM 2.6.1)
set(OUTBOX_RELAY_RDKAFKA_PREFIX ${PROJECT_SOURCE_DIR}/.local/librdkafka
    CACHE PATH "where scripts/setup builds librdkafka when the system's is too old")

set(built_pc ${OUTBOX_RELAY_RDKAFKA_PREFIX}/lib/pkgconfig/rdkafka-static.pc)
add_library(outbox_rdkafka INTERFACE)
add_library(outbox::rdkafka ALIAS outbox_rdkafka)
if(EXISTS ${built_pc})
  # The static library itself, and the packages its pkg-config file requires (zlib, OpenSSL,
  # libsasl2, zstd, libcurl, lz4) as their shared libraries.
  file(STRINGS ${built_pc} version_line REGEX "^Version:")
  string(REGEX REPLACE "^Version: *" "" rdkafka_version "${version_line}")
  file(STRINGS ${built_pc} requires_line REGEX "^Requires:")
  string(REGEX REPLACE "^Requires: *" "" requires "${requires_line}")
  separate_arguments(requires)
  pkg_check_modules(rdkafka_requires REQUIRED IMPORTED_TARGET ${requires})
  add_library(rdkafka_static STATIC IMPORTED)
  set_target_properties(rdkafka_static PROPERTIES
    IMPORTED_LOCATION ${OUTBOX_RELAY_RDKAFKA_PREFIX}/lib/librdkafka.a
    INTERFACE_INCLUDE_DIRECTORIES ${OUTBOX_RELAY_RDKAFKA_PREFIX}/include)
  target_link_libraries(rdkafka_static INTERFACE PkgConfig::rdkafka_requires m dl rt
                                                 Threads::Threads)
  target_link_libraries(outbox_rdkafka INTERFACE rdkafka_static)
  set(rdkafka_origin "built from Debian's source in ${OUTBOX_RELAY_RDKAFKA_PREFIX}, static")
else()
  pkg_check_modules(rdkafka REQUIRED IMPORTED_TARGET rdkafka)
  set(rdkafka_version ${rdkafka_VERSION})
  target_link_libraries(outbox_rdkafka INTERFACE PkgConfig::rdkafka)
  set(rdkafka_origin "the system's")
endif()

if(rdkafka_version VERSION_LESS OUTBOX_RELAY_RDKAFKA_MINIMUM)
  message(FATAL_ERROR
    "librdkafka ${rdkafka_version} (${rdkafka_origin}) is older than "
    "${OUTBOX_RELAY_RDKAFKA_MINIMUM}, the least the relay supports. Run scripts/setup: it builds "
    "librdkafka from Debian's newer source package into ${OUTBOX_RELAY_RDKAFKA_PREFIX} "
    "(or set OUTBOX_RELAY_RDKAFKA_PREFIX to a librdkafka of your own).")
endif()
message(STATUS "librdkafka ${rdkafka_version}: ${rdkafka_origin}")
