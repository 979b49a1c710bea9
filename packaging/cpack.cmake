# CPack: two Debian packages from the install() rules' components.
#   socagent      socagent, socctl, log rules, deadline tables, /etc/socagent, unit
#   soccollector  soccollector, /etc/soccollector, unit
# Build them with scripts/build-deb.sh (a release build with prefix /usr,
# so that the compiled-in paths are /etc/socagent and /usr/share/socagent).
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME socagent)
set(CPACK_PACKAGE_VENDOR "socagent")
set(CPACK_PACKAGE_CONTACT "socagent maintainers <maintainers@socagent.example>")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_STRIP_FILES ON)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL socagent soccollector)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SOURCE socagent)
# Depends: the shared libraries found by dpkg-shlibdeps, plus adduser, which
# the maintainer scripts use where systemd-sysusers is missing
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

set(CPACK_DEBIAN_SOCAGENT_PACKAGE_NAME socagent)
set(CPACK_DEBIAN_SOCAGENT_DESCRIPTION
  "SOC agent for Taiwan's government agencies
socagent tails system logs and network syslog, keeps them in a durable local
journal, matches log rules, drafts security incidents with the level that the
national incident notification and response guideline gives them, and
forwards monitoring data to the technical center over Kafka. socctl is the
analysts' and operators' command line.")
set(CPACK_DEBIAN_SOCCOLLECTOR_PACKAGE_NAME soccollector)
set(CPACK_DEBIAN_SOCCOLLECTOR_DESCRIPTION
  "Technical center consumer of socagent monitoring feeds
soccollector joins a Kafka consumer group on the socagent topics and keeps
every agent's events, heartbeats and messages in its own store, exactly
once, with hostile or broken messages quarantined.")
foreach(pkg socagent soccollector)
  string(TOUPPER ${pkg} PKG)
  set(dir ${PROJECT_BINARY_DIR}/packaging/${pkg})
  set(CPACK_DEBIAN_${PKG}_PACKAGE_CONTROL_EXTRA
      "${dir}/conffiles;${dir}/postinst;${dir}/prerm;${dir}/postrm")
endforeach()

include(CPack)
