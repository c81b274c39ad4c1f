# Builds the web UI (webui/, Vite) into <build>/webui/dist and embeds it into hearth_webui as a
# generated asset table. Needs webui/node_modules (installed by `make setup`, which runs npm ci);
# without them the table holds a placeholder page saying the UI was not built, so the rest of
# hearth still builds offline. The glob below re-runs CMake when node_modules appear or go.
set(webui_root ${CMAKE_SOURCE_DIR}/webui)
set(webui_dist ${CMAKE_BINARY_DIR}/webui/dist)
set(webui_table ${CMAKE_BINARY_DIR}/generated/webui/asset_table.cpp)
set(webui_embed ${CMAKE_SOURCE_DIR}/src/webui/embed_assets.cmake)
option(HEARTH_WEBUI "Build the web UI from webui/ (OFF: embed the placeholder page)" ON)
find_program(HEARTH_NODE node)
file(GLOB webui_installed CONFIGURE_DEPENDS ${webui_root}/node_modules/.package-lock.jso?)

if(HEARTH_WEBUI AND webui_installed AND HEARTH_NODE AND EXISTS ${webui_root}/node_modules/vite/bin/vite.js)
  file(GLOB_RECURSE webui_inputs CONFIGURE_DEPENDS ${webui_root}/src/* ${webui_root}/public/*)
  list(APPEND webui_inputs ${webui_root}/index.html ${webui_root}/vite.config.ts
       ${webui_root}/tsconfig.json ${webui_root}/package-lock.json ${webui_installed} ${webui_embed})
  add_custom_command(OUTPUT ${webui_table}
    COMMAND ${HEARTH_NODE} ${webui_root}/node_modules/vite/bin/vite.js build --logLevel warn --configLoader runner
            --outDir ${webui_dist} --emptyOutDir
    COMMAND ${CMAKE_COMMAND} -DASSET_DIR=${webui_dist} -DOUTPUT=${webui_table} -DPLACEHOLDER=OFF
            -P ${webui_embed}
    DEPENDS ${webui_inputs}
    WORKING_DIRECTORY ${webui_root}
    COMMENT "Building the web UI (Vite) and embedding it"
    VERBATIM)
else()
  if(HEARTH_WEBUI)
    message(WARNING "webui: webui/node_modules (or node) is missing, so hearth embeds a placeholder page "
                    "instead of the web UI. Run `make setup` (npm ci in webui/) and rebuild.")
  endif()
  set(webui_placeholder ${CMAKE_SOURCE_DIR}/src/webui/placeholder)
  add_custom_command(OUTPUT ${webui_table}
    COMMAND ${CMAKE_COMMAND} -DASSET_DIR=${webui_placeholder} -DOUTPUT=${webui_table} -DPLACEHOLDER=ON
            -P ${webui_embed}
    DEPENDS ${webui_placeholder}/index.html ${webui_embed}
    COMMENT "Embedding the web UI placeholder page"
    VERBATIM)
endif()
target_sources(hearth_webui PRIVATE ${webui_table})
