# switchsim_module(NAME [DEPS ...]): a static library built from src/NAME/*.cpp.
# One library per src/ directory keeps the layering visible in the link graph:
# engine links nothing of model, net links nothing of model, and so on.
function(switchsim_module name)
  cmake_parse_arguments(ARG "" "" "DEPS" ${ARGN})
  file(GLOB sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cpp)
  if(sources)
    add_library(switchsim_${name} STATIC ${sources})
    target_include_directories(switchsim_${name} PUBLIC ${SWITCHSIM_SOURCE_ROOT}/src)
    target_link_libraries(switchsim_${name} PUBLIC ${ARG_DEPS} PRIVATE switchsim_warnings)
  else()
    add_library(switchsim_${name} INTERFACE)
    target_include_directories(switchsim_${name} INTERFACE ${SWITCHSIM_SOURCE_ROOT}/src)
    target_link_libraries(switchsim_${name} INTERFACE ${ARG_DEPS})
  endif()
endfunction()
