# The policy parser (src/policy/parse.c): the POLICY.md example, canonical form and digest,
# bad policies with line and column, warnings, limits.
add_executable(test_policy unit/test_policy.c)
target_include_directories(test_policy PRIVATE ${PROJECT_SOURCE_DIR}/src)
target_link_libraries(test_policy PRIVATE exante)
add_test(NAME unit_policy COMMAND test_policy ${EXANTE_SHARED}/POLICY.md)
