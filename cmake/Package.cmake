# The Debian package for virtual machines (deploy/vm/README.md): `cpack` in a build tree makes
# farrier_<version>-1_<arch>.deb from what is built there, with the hardened systemd unit, the
# default configuration (a conffile), the maintainer scripts of deploy/vm and the rules,
# dashboards and docs. tests/package/run.sh (ctest deb_package) builds it, reads it back and
# installs it in a clean Debian 12 container.
#
# Everything but the binary is the install component "vm", EXCLUDE_FROM_ALL: a plain
# `cmake --install` (the Dockerfile's, a developer's into /usr/local) still installs only
# bin/farrier and never writes to /etc or /lib/systemd; cpack asks for both components.

set(farrier_vm ${PROJECT_SOURCE_DIR}/deploy/vm)
# Debian 12 keeps units in /lib/systemd/system (the /usr-merge moves packages' files only later).
install(FILES ${farrier_vm}/farrier.service DESTINATION /lib/systemd/system COMPONENT vm EXCLUDE_FROM_ALL)
install(FILES ${farrier_vm}/farrier.json DESTINATION /etc/farrier COMPONENT vm EXCLUDE_FROM_ALL)
install(FILES ${farrier_vm}/README.md DESTINATION share/doc/farrier RENAME README.Debian
        COMPONENT vm EXCLUDE_FROM_ALL)
install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION share/doc/farrier COMPONENT vm EXCLUDE_FROM_ALL)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/ DESTINATION share/doc/farrier/docs COMPONENT vm EXCLUDE_FROM_ALL
        FILES_MATCHING PATTERN "*.md")
# Rules and dashboards are data a user loads, not documentation: /usr/share/farrier, since
# /usr/share/doc may be left out of an installation (dpkg path-exclude). Links from the doc
# directory keep the README's relative links (alerts/README.md, ...) working.
install(DIRECTORY ${PROJECT_SOURCE_DIR}/alerts ${PROJECT_SOURCE_DIR}/dashboards DESTINATION share/farrier COMPONENT vm EXCLUDE_FROM_ALL)
file(MAKE_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/package-links)
foreach(dir alerts dashboards)
  file(CREATE_LINK ../../farrier/${dir} ${CMAKE_CURRENT_BINARY_DIR}/package-links/${dir} SYMBOLIC)
  install(FILES ${CMAKE_CURRENT_BINARY_DIR}/package-links/${dir} DESTINATION share/doc/farrier
          COMPONENT vm EXCLUDE_FROM_ALL)
endforeach()

# dpkg keeps an administrator's edits of a conffile across upgrades and removes it on purge only.
file(WRITE ${CMAKE_CURRENT_BINARY_DIR}/package-control/conffiles "/etc/farrier/farrier.json\n")

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME farrier)
# CPACK_PACKAGE_VERSION defaults to the project's VERSION; the Debian revision is ours.
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Prometheus exporter and sidecar for NATS servers")
# The extended description, wrapped for dpkg (CPack indents each line).
string(JOIN "\n" CPACK_PACKAGE_DESCRIPTION
       "Farrier polls a nats-server's HTTP monitoring endpoints in the background and"
       "serves Prometheus metrics from the latest snapshot; it can also probe"
       "request/reply services over NATS and size the worker pools behind them."
       ""
       "This package runs it as a hardened systemd service next to a local"
       "nats-server and ships the alert rules and Grafana dashboards in"
       "/usr/share/farrier.")
set(FARRIER_PACKAGE_MAINTAINER "Farrier maintainers <maintainers@users.noreply.r-seed-b426a05a.example>"
    CACHE STRING "Maintainer field of the Debian package")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${FARRIER_PACKAGE_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Architecture: CPack asks `dpkg --print-architecture`. Depends: dpkg-shlibdeps reads the
# binary's NEEDED libraries (libnats3.4, libssl3, ...) and their minimum versions. adduser is
# what postinst calls, procps the unit's ExecReload=/bin/kill: both of Priority important, so
# on most machines already, but not in a minimal system (a debootstrap --variant=minbase).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser, procps")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${CMAKE_CURRENT_BINARY_DIR}/package-control/conffiles ${farrier_vm}/postinst ${farrier_vm}/prerm
    ${farrier_vm}/postrm)
# 0755 for the scripts, 0644 for conffiles, whatever the mode in the source tree.
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_STRIP_FILES ON)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
# Both components in the one package named farrier.
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_GROUPING ALL_COMPONENTS_IN_ONE)
set(CPACK_COMPONENTS_ALL Unspecified vm)

# A sanitizer or fuzzing build is no package: cpack refuses it (tests/package/run.sh then
# packages a plain build of its own).
if(FARRIER_SANITIZE OR FARRIER_FUZZ)
  file(WRITE ${CMAKE_CURRENT_BINARY_DIR}/package-control/refuse.cmake
       "message(FATAL_ERROR \"this build tree is built with -fsanitize=${FARRIER_SANITIZE}: \
package a plain build (scripts/build.sh with SANITIZE=none)\")\n")
  set(CPACK_PROJECT_CONFIG_FILE ${CMAKE_CURRENT_BINARY_DIR}/package-control/refuse.cmake)
endif()

include(CPack)
