# sluice_add_plugin(NAME SOURCES src... [LIBRARIES lib...])
#
# Builds a plugin library named sluice_NAME.so (the loader picks up sluice_*.so files
# from its search folders) linked against the SDK, into the build's plugin folder.
function(sluice_add_plugin name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBRARIES" ${ARGN})
  set(target sluice_${name})
  add_library(${target} MODULE ${ARG_SOURCES})
  if(TARGET sluice::sdk)
    target_link_libraries(${target} PRIVATE sluice::sdk ${ARG_LIBRARIES})
  else()
    target_link_libraries(${target} PRIVATE sluice_sdk ${ARG_LIBRARIES})
  endif()
  set_target_properties(${target} PROPERTIES PREFIX "" OUTPUT_NAME ${target}
                        CXX_VISIBILITY_PRESET hidden VISIBILITY_INLINES_HIDDEN ON)
  if(DEFINED SLUICE_PLUGIN_OUTPUT_DIR)
    set_target_properties(${target} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${SLUICE_PLUGIN_OUTPUT_DIR})
  endif()
  if(DEFINED SLUICE_WARNINGS)
    target_compile_options(${target} PRIVATE ${SLUICE_WARNINGS})
  endif()
  target_link_options(${target} PRIVATE -Wl,--no-undefined)

  # The manifest (sluice_NAME.so.nodes) lists the library's node types, so that sluice loads
  # it only when a pipeline uses one of them. Writing it also loads the library once, so a
  # plugin that the loader would refuse (ABI, descriptor, contract) fails the build.
  if(TARGET sluice)
    set(sluice_cli $<TARGET_FILE:sluice>)
    add_dependencies(${target} sluice)
  elseif(DEFINED SLUICE_EXECUTABLE AND EXISTS "${SLUICE_EXECUTABLE}")
    set(sluice_cli ${SLUICE_EXECUTABLE})
  endif()
  if(DEFINED sluice_cli)
    add_custom_command(TARGET ${target} POST_BUILD
                       COMMAND ${sluice_cli} plugin-manifest $<TARGET_FILE:${target}>
                       COMMENT "Writing the node manifest of ${target}")
  endif()
  if(DEFINED SLUICE_PLUGIN_OUTPUT_DIR)  # in sluice's own tree: install with sluice
    install(TARGETS ${target} LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}/sluice/plugins)
    install(FILES $<TARGET_FILE:${target}>.nodes DESTINATION ${CMAKE_INSTALL_LIBDIR}/sluice/plugins)
  endif()
endfunction()
