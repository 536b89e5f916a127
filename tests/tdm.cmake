# Acquisition-time signals (src/signals): the HTML meta scanner, TDMRep (headers, meta,
# tdmrep.json, processing priority) and noai / noimageai. Self-contained: no vector files.
add_executable(test_tdm unit/test_tdm.c)
target_include_directories(test_tdm PRIVATE ${PROJECT_SOURCE_DIR}/src)
target_link_libraries(test_tdm PRIVATE exante)
add_test(NAME unit_tdm COMMAND test_tdm)
