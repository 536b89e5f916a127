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

find_program(PYTHON3 python3)
if(PYTHON3)
  add_test(NAME license_generated
           COMMAND ${BASH} ${PROJECT_SOURCE_DIR}/scripts/gen-spdx.sh --check)
else()
  message(WARNING "python3 not found: the test license_generated (spdx_list.c is up to date) is not registered")
endif()
