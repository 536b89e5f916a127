# The license part (src/license/): SPDX expressions, license sets, the generated id table.
# unit_license reads the project's data/spdx/ (the generated table must hold exactly its ids);
# license_data_* check that data/spdx/ is the shared list; license_generated that
# src/license/spdx_list.c is what scripts/gen-spdx.sh makes of data/spdx/ (needs python3).
add_executable(test_license unit/test_license.c)
target_include_directories(test_license PRIVATE ${PROJECT_SOURCE_DIR}/src)
target_link_libraries(test_license PRIVATE exante)
add_test(NAME unit_license COMMAND test_license ${PROJECT_SOURCE_DIR}/data/spdx)

foreach(f licenses exceptions deprecated-ids)
  add_test(NAME license_data_${f}
           COMMAND ${CMAKE_COMMAND} -E compare_files ${PROJECT_SOURCE_DIR}/data/spdx/${f}.json
                   ${EXANTE_SHARED}/data/spdx/${f}.json)
endforeach()

# python3 is installed by scripts/install-deps.sh: a missing one fails here rather than
# silently dropping the drift test
find_program(PYTHON3 python3 REQUIRED)
add_test(NAME license_generated
         COMMAND ${BASH} ${PROJECT_SOURCE_DIR}/scripts/gen-spdx.sh --check)
