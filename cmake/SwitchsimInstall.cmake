# `cmake --install build --prefix PREFIX` puts the switchsim binary in PREFIX/bin and the
# shipped configs (models/, hardware/) in PREFIX/share/switchsim, where the binary looks for
# them (config/catalog.cpp: relative to its own path). `cpack -G DEB` (in the build directory)
# packages the same tree as a Debian package.
include(GNUInstallDirs)

install(TARGETS switchsim RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
# Libraries outside the system paths (CUDA's, when the CUDA reference is built) stay findable.
set_target_properties(switchsim PROPERTIES INSTALL_RPATH_USE_LINK_PATH TRUE)
install(DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}/models ${CMAKE_CURRENT_SOURCE_DIR}/hardware
        DESTINATION ${CMAKE_INSTALL_DATADIR}/switchsim)
# `validate --held-out` reads its grid from the data directory too.
install(FILES ${CMAKE_CURRENT_SOURCE_DIR}/traces/held-out/cpu-held-out.json
        DESTINATION ${CMAKE_INSTALL_DATADIR}/switchsim/traces/held-out)
install(FILES ${CMAKE_CURRENT_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}/docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR} OPTIONAL)

set(CPACK_PACKAGE_NAME switchsim)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Performance simulator for Mixture-of-Experts (Switch Transformer) training")
set(CPACK_PACKAGE_CONTACT "switchsim developers <switchsim@localhost>")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION science)
# Listed by hand: dpkg-shlibdeps stops at libraries no Debian package owns (CUDA's, under
# /usr/local/cuda, when the CUDA reference is built).
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libc6, libstdc++6, libfmt9, libopenmpi3, openmpi-bin, libopenblas0 | libblas3")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "gnuplot-nox | gnuplot")
set(CPACK_GENERATOR DEB)
include(CPack)
