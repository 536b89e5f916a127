# robots.txt (src/signals/robots.c): Google's RFC 9309 test cases from ../shared/vectors/robots,
# line numbers, several agents, the 500 KiB limit, status captures, the matcher.
add_executable(test_robots unit/test_robots.c)
target_include_directories(test_robots PRIVATE ${PROJECT_SOURCE_DIR}/src)
target_link_libraries(test_robots PRIVATE exante)
add_test(NAME unit_robots COMMAND test_robots ${EXANTE_SHARED}/vectors/robots)
