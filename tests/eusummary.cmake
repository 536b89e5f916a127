# The EU summary (src/ledger/eufacts.c, src/export/eu*.c, provider.c): unit_eusummary checks the
# domain cut at edge sizes, the ranking, registrable domains (the built-in approximation and
# the Public Suffix List), the provider file's errors and a summary of facts made in the test
# in its three forms; cli_test_eusummary (tests/cli/test_eusummary.sh) checks every number of
# a real ledger's summary against an independent recomputation.
add_executable(test_eusummary unit/test_eusummary.c)
target_include_directories(test_eusummary PRIVATE ${PROJECT_SOURCE_DIR}/src)
target_link_libraries(test_eusummary PRIVATE exante)
add_test(NAME unit_eusummary COMMAND test_eusummary)
