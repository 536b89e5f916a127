# The WARC reader: shared samples, crafted files, HTTP head and chunked decoder.
add_executable(test_warc unit/test_warc.c)
target_include_directories(test_warc PRIVATE ${PROJECT_SOURCE_DIR}/src)
target_link_libraries(test_warc PRIVATE exante)
add_test(NAME unit_warc COMMAND test_warc ${EXANTE_SHARED}/samples/warc)
