# The report (src/ledger/report*.c, src/export/): unit_report renders stats made in the test
# (hostile strings, malformed stats, a long history) and checks the capped tallies;
# cli_test_report (tests/cli/test_report.sh) renders a demo-like ledger's page with headless
# chromium and exits 77, skipped, when there is none (scripts/install-deps.sh installs it).
add_executable(test_report unit/test_report.c)
target_include_directories(test_report PRIVATE ${PROJECT_SOURCE_DIR}/src)
target_link_libraries(test_report PRIVATE exante)
add_test(NAME unit_report COMMAND test_report)
