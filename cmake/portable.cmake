# The portable build (`make build PORTABLE=1` -> build/portable/sluice; README "Packages"): every library linked
# statically except glibc, so that the binary (the `sluice --drain URL -- app` wrapper, above all) can be copied
# into another Debian- or Ubuntu-based image. Defines the same targets as the shared build, on static archives.
#
# Left out, because Debian ships no static archive of a library they need (`dpkg -L` lists only .so files):
#   journald (libsystemd), kafka (librdkafka.a needs libsasl2, and libsasl2-dev ships no libsasl2.a).
set(SLUICE_PORTABLE_LEAVE_OUT journald kafka)
set(SLUICE_PORTABLE_NOTE
    "portable build: without the journald source (no static libsystemd in Debian) and the kafka sink and source (no static libsasl2)")

find_package(Threads REQUIRED)

# libuv: Debian names its archive libuv_a.a (pkg-config libuv-static).
find_library(SLUICE_LIBUV_A NAMES libuv_a.a libuv.a REQUIRED)
add_library(PkgConfig::LIBUV INTERFACE IMPORTED)
target_link_libraries(PkgConfig::LIBUV INTERFACE ${SLUICE_LIBUV_A} Threads::Threads ${CMAKE_DL_LIBS} rt)

find_library(SLUICE_RE2_A NAMES libre2.a REQUIRED)
add_library(PkgConfig::RE2 INTERFACE IMPORTED)
target_link_libraries(PkgConfig::RE2 INTERFACE ${SLUICE_RE2_A} Threads::Threads)

find_library(SLUICE_YAML_CPP_A NAMES libyaml-cpp.a REQUIRED)
add_library(yaml-cpp INTERFACE IMPORTED)
target_link_libraries(yaml-cpp INTERFACE ${SLUICE_YAML_CPP_A})

set(OPENSSL_USE_STATIC_LIBS TRUE)
find_package(OpenSSL 3.0 REQUIRED)

# spdlog and fmt have no archive in Debian: both header-only.
add_library(sluice_spdlog_header_only INTERFACE)
target_compile_definitions(sluice_spdlog_header_only INTERFACE SPDLOG_HEADER_ONLY FMT_HEADER_ONLY)
target_link_libraries(sluice_spdlog_header_only INTERFACE Threads::Threads)
set(SLUICE_SPDLOG sluice_spdlog_header_only)

# The C++ runtime too; glibc (libc, libm, libpthread, libdl, ld-linux) stays shared: NSS and getaddrinfo need it.
add_link_options(-static-libstdc++ -static-libgcc)
