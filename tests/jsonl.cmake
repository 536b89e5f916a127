# The JSONL reader (src/ingest/jsonl.c, jsonscan.c): crafted files, gzip/zstd, quarantine
# reasons, and a differential check against jansson. Needs the gzip and zstd programs.
add_executable(test_jsonl unit/test_jsonl.c)
target_include_directories(test_jsonl PRIVATE ${PROJECT_SOURCE_DIR}/src)
target_link_libraries(test_jsonl PRIVATE exante)
add_test(NAME unit_jsonl COMMAND test_jsonl)
set_tests_properties(unit_jsonl PROPERTIES TIMEOUT 600)
