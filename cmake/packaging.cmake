# Install rules and the Debian package (CPack DEB). Included by the root CMakeLists.txt.
#
#   cmake --preset package && cmake --build --preset package && cpack --preset package
#
# The package lays files out as Debian does: /usr/bin, /lib/systemd/system, /etc/outbox-relay,
# /usr/share/{outbox-relay,doc/outbox-relay,man}. /etc and the unit directory are absolute
# destinations, so `cmake --install` with another prefix still writes them there; use DESTDIR.
# docs/packaging.md describes the package.

# A sanitized or fuzzing build is for tests only: nothing of it is installed or packaged.
if(OUTBOX_RELAY_SANITIZE OR OUTBOX_RELAY_FUZZ)
  return()
endif()

include(GNUInstallDirs)

set(OUTBOX_RELAY_SYSTEMD_UNIT_DIR "/lib/systemd/system"
    CACHE PATH "Where the systemd unit is installed (absolute)")
set(OUTBOX_RELAY_CONFIG_DIR "/etc/outbox-relay"
    CACHE PATH "Where the default configuration is installed (absolute)")
set(outbox_relay_share_dir ${CMAKE_INSTALL_DATADIR}/outbox-relay)
set(outbox_relay_doc_dir ${CMAKE_INSTALL_DATADIR}/doc/outbox-relay)

install(TARGETS outbox-relay RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

install(FILES ${PROJECT_SOURCE_DIR}/packaging/systemd/outbox-relay.service
        DESTINATION ${OUTBOX_RELAY_SYSTEMD_UNIT_DIR})
install(FILES ${PROJECT_SOURCE_DIR}/packaging/systemd/outbox-relay.sysusers
        DESTINATION lib/sysusers.d RENAME outbox-relay.conf)

# Conffiles (packaging/deb/conffiles). postinst gives relay.yaml to root:outbox-relay 0640; the
# environment file holds secrets and is read by systemd as root only.
install(FILES ${PROJECT_SOURCE_DIR}/packaging/deb/relay.yaml
        DESTINATION ${OUTBOX_RELAY_CONFIG_DIR}
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ)
install(FILES ${PROJECT_SOURCE_DIR}/packaging/deb/default
        DESTINATION /etc/default RENAME outbox-relay
        PERMISSIONS OWNER_READ OWNER_WRITE)

# The binary embeds the migrations; the files are there for review and for DBAs who apply
# them by hand.
file(GLOB outbox_relay_migrations CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/migrations/*.sql)
install(FILES ${outbox_relay_migrations} DESTINATION ${outbox_relay_share_dir}/migrations)

# Monitoring files: the alert rules and the Grafana dashboard (docs/monitoring.md).
install(FILES ${PROJECT_SOURCE_DIR}/packaging/prometheus/outbox-relay.rules.yml
        DESTINATION ${outbox_relay_share_dir}/prometheus)
install(FILES ${PROJECT_SOURCE_DIR}/packaging/grafana/outbox-relay.json
        DESTINATION ${outbox_relay_share_dir}/grafana)

# The manual page, compressed as Debian wants it (gzip -9n: no name, no time stamp).
find_program(OUTBOX_RELAY_GZIP gzip REQUIRED)
set(outbox_relay_man_gz ${CMAKE_CURRENT_BINARY_DIR}/outbox-relay.1.gz)
add_custom_command(
  OUTPUT ${outbox_relay_man_gz}
  COMMAND ${OUTBOX_RELAY_GZIP} -9nc ${PROJECT_SOURCE_DIR}/docs/outbox-relay.1 > ${outbox_relay_man_gz}
  DEPENDS ${PROJECT_SOURCE_DIR}/docs/outbox-relay.1
  COMMENT "Compressing the manual page"
  VERBATIM)
add_custom_target(outbox_relay_man ALL DEPENDS ${outbox_relay_man_gz})
install(FILES ${outbox_relay_man_gz} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)

install(FILES ${PROJECT_SOURCE_DIR}/README.md
              ${PROJECT_SOURCE_DIR}/docs/operations.md
              ${PROJECT_SOURCE_DIR}/docs/configuration.md
              ${PROJECT_SOURCE_DIR}/docs/packaging.md
              ${PROJECT_SOURCE_DIR}/docs/monitoring.md
        DESTINATION ${outbox_relay_doc_dir})
install(FILES ${PROJECT_SOURCE_DIR}/config/outbox-relay.example.yaml
        DESTINATION ${outbox_relay_doc_dir}/examples)
install(FILES ${PROJECT_SOURCE_DIR}/packaging/container/Containerfile
              ${PROJECT_SOURCE_DIR}/packaging/kubernetes/sidecar-example.yaml
        DESTINATION ${outbox_relay_doc_dir}/examples)

# CPack: one Debian package.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME outbox-relay)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "outbox-relay maintainers")
set(CPACK_PACKAGE_CONTACT "outbox-relay maintainers <maintainers@users.noreply.b-seed-47f3be7b.example>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "transactional outbox relay: PostgreSQL logical replication to Kafka")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION database)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# The long description; CPack puts the summary first and formats it for the control file.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "outbox-relay streams committed rows of a transactional outbox table from
PostgreSQL to Kafka. It reads the write-ahead log through logical replication
(pgoutput), publishes each outbox INSERT as one Kafka record with an
idempotent acks=all producer, and confirms a replication position only after
Kafka acknowledged every event before it: nothing is lost on a crash and
nothing from a rolled-back transaction is ever published.

This package ships the daemon, a hardened systemd unit (Type=notify,
watchdog), a commented configuration in /etc/outbox-relay, the SQL migrations
and the manual page.")
# Library dependencies come from dpkg-shlibdeps (dpkg-dev) reading the binary's DT_NEEDED.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# postinst creates the user with systemd-sysusers, else useradd (passwd, always present).
set(CPACK_DEBIAN_PACKAGE_DEPENDS "passwd")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "postgresql-client, kcat")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    "${PROJECT_SOURCE_DIR}/packaging/deb/conffiles;${PROJECT_SOURCE_DIR}/packaging/deb/postinst;${PROJECT_SOURCE_DIR}/packaging/deb/prerm;${PROJECT_SOURCE_DIR}/packaging/deb/postrm")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

include(CPack)
