# DSSE interoperability with an independent implementation (tests/node: @sigstore/core's PAE and
# Node's Ed25519), both ways. node_modules is installed by scripts/install-deps.sh (npm ci).
add_test(NAME interop_dsse_node COMMAND ${BASH} ${CMAKE_CURRENT_SOURCE_DIR}/node/run.sh)
set_tests_properties(interop_dsse_node PROPERTIES
  ENVIRONMENT "TEST_ATTEST=$<TARGET_FILE:test_attest>;SHARED=${EXANTE_SHARED}" TIMEOUT 120)
