# CPack: `cpack -G DEB` in a build directory makes meridian-ntp_VERSION_ARCH.deb,
# a drop-in for Debian's ntp/ntpsec packages (see docs/install.md).
set(deb_dir ${CMAKE_CURRENT_LIST_DIR})
set(MERIDIAN_DEB_REVISION 1)
set(MERIDIAN_DEB_VERSION ${PROJECT_VERSION}-${MERIDIAN_DEB_REVISION})

if(NOT CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  message(STATUS "CMAKE_INSTALL_PREFIX is ${CMAKE_INSTALL_PREFIX}: the .deb expects /usr")
endif()

# Files lintian requires in /usr/share/doc/<package>/.
set(doc_dir ${CMAKE_INSTALL_DATADIR}/doc/meridian-ntp)
configure_file(${deb_dir}/changelog ${CMAKE_CURRENT_BINARY_DIR}/changelog.Debian @ONLY)
add_custom_command(
  OUTPUT ${CMAKE_CURRENT_BINARY_DIR}/changelog.Debian.gz
  COMMAND gzip -9n -c ${CMAKE_CURRENT_BINARY_DIR}/changelog.Debian >
          ${CMAKE_CURRENT_BINARY_DIR}/changelog.Debian.gz
  DEPENDS ${CMAKE_CURRENT_BINARY_DIR}/changelog.Debian VERBATIM)
add_custom_target(deb_changelog ALL DEPENDS ${CMAKE_CURRENT_BINARY_DIR}/changelog.Debian.gz)
install(FILES ${deb_dir}/copyright ${CMAKE_CURRENT_BINARY_DIR}/changelog.Debian.gz
        DESTINATION ${doc_dir})

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME meridian-ntp)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "Meridian maintainers <maintainers@users.noreply.r-seed-14638661.example>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Network Time Protocol daemon and utilities (Meridian)")
set(CPACK_PACKAGE_DESCRIPTION
    "Meridian is an NTP suite written from scratch as a drop-in replacement for\n"
    "the classic ntp suite: ntpd keeps the system clock synchronised with NTP\n"
    "servers and serves time to the network, ntpdate sets the clock once, ntpq\n"
    "and ntpstat query a running daemon. It reads the classic /etc/ntp.conf and\n"
    "keeps the classic command lines and output formats.")
string(JOIN "" CPACK_PACKAGE_DESCRIPTION ${CPACK_PACKAGE_DESCRIPTION})
set(CPACK_STRIP_FILES ON)

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE ${MERIDIAN_DEB_REVISION})
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Library dependencies from dpkg-shlibdeps; adduser for the postinst.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
# The maintainer scripts use invoke-rc.d --skip-systemd-native.
set(CPACK_DEBIAN_PACKAGE_PREDEPENDS "init-system-helpers (>= 1.54~)")
# One NTP daemon per host: replace the classic suite and its relatives, which
# ship the same programs (ntpd, ntpdate, ntpq, ntpstat) or the same service.
set(conflicting "ntp, ntpsec, ntpdate, ntpsec-ntpdate, ntpstat, time-daemon")
set(CPACK_DEBIAN_PACKAGE_PROVIDES "ntp, ntpdate, ntpstat, time-daemon")
set(CPACK_DEBIAN_PACKAGE_CONFLICTS ${conflicting})
set(CPACK_DEBIAN_PACKAGE_REPLACES ${conflicting})
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${deb_dir}/conffiles ${deb_dir}/postinst ${deb_dir}/prerm ${deb_dir}/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

include(CPack)
