# bitcart_events_mbedtls.cmake: finds mbedTLS for bitcart_events' TLS option and defines
# bitcart_events::mbedtls, an interface target that links it. Read by CMakeLists.txt when
# BITCART_EVENTS_WITH_MBEDTLS is ON and, installed beside bitcart_eventsConfig.cmake, by
# find_package(bitcart_events) of a package installed with the option, so that the consuming
# project's mbedTLS is found the same way. In order:
#   1. mbedTLS's CMake package: MbedTLS::mbedtls (which brings mbedx509 and mbedcrypto) when
#      it is already a target (mbedTLS added with add_subdirectory, or found before), else
#      find_package(MbedTLS CONFIG) (mbedTLS 3.x installs MbedTLSConfig.cmake);
#   2. pkg-config: mbedtls, mbedx509 and mbedcrypto (mbedTLS 3.x installs .pc files);
#   3. mbedtls/ssl.h and the libraries mbedtls, mbedx509 and mbedcrypto (Debian 12's
#      libmbedtls-dev, mbedTLS 2.28, ships neither a CMake package nor .pc files).
# BITCART_EVENTS_MBEDTLS_FROM says which; when none is found the target is not defined.
if(NOT TARGET bitcart_events::mbedtls)
  set(BITCART_EVENTS_MBEDTLS_FROM "")
  if(NOT TARGET MbedTLS::mbedtls)
    find_package(MbedTLS CONFIG QUIET)
  endif()
  if(TARGET MbedTLS::mbedtls)
    add_library(bitcart_events::mbedtls INTERFACE IMPORTED)
    set_property(TARGET bitcart_events::mbedtls PROPERTY INTERFACE_LINK_LIBRARIES MbedTLS::mbedtls)
    set(BITCART_EVENTS_MBEDTLS_FROM "the MbedTLS CMake package (MbedTLS::mbedtls)")
  else()
    find_package(PkgConfig QUIET)
    if(PKG_CONFIG_FOUND)
      pkg_check_modules(BITCART_EVENTS_PC_MBEDTLS QUIET IMPORTED_TARGET mbedtls mbedx509 mbedcrypto)
    endif()
    if(TARGET PkgConfig::BITCART_EVENTS_PC_MBEDTLS)
      add_library(bitcart_events::mbedtls INTERFACE IMPORTED)
      set_property(TARGET bitcart_events::mbedtls PROPERTY
                   INTERFACE_LINK_LIBRARIES PkgConfig::BITCART_EVENTS_PC_MBEDTLS)
      set(BITCART_EVENTS_MBEDTLS_FROM "pkg-config (mbedtls mbedx509 mbedcrypto)")
    else()
      find_path(BITCART_EVENTS_MBEDTLS_INCLUDE_DIR mbedtls/ssl.h)
      find_library(BITCART_EVENTS_MBEDTLS_LIBRARY mbedtls)
      find_library(BITCART_EVENTS_MBEDX509_LIBRARY mbedx509)
      find_library(BITCART_EVENTS_MBEDCRYPTO_LIBRARY mbedcrypto)
      if(BITCART_EVENTS_MBEDTLS_INCLUDE_DIR AND BITCART_EVENTS_MBEDTLS_LIBRARY
         AND BITCART_EVENTS_MBEDX509_LIBRARY AND BITCART_EVENTS_MBEDCRYPTO_LIBRARY)
        add_library(bitcart_events::mbedtls INTERFACE IMPORTED)
        set_target_properties(bitcart_events::mbedtls PROPERTIES
          INTERFACE_INCLUDE_DIRECTORIES "${BITCART_EVENTS_MBEDTLS_INCLUDE_DIR}"
          INTERFACE_LINK_LIBRARIES "${BITCART_EVENTS_MBEDTLS_LIBRARY};\
${BITCART_EVENTS_MBEDX509_LIBRARY};${BITCART_EVENTS_MBEDCRYPTO_LIBRARY}")
        set(BITCART_EVENTS_MBEDTLS_FROM
            "the header and libraries (${BITCART_EVENTS_MBEDTLS_LIBRARY})")
      endif()
    endif()
  endif()
endif()
