#!/bin/sh
# The container command of the Kubernetes Indexed Job in k8s-ingest.yaml (mounted from its
# ConfigMap): pod JOB_COMPLETION_INDEX stages shard JOB_COMPLETION_INDEX of EXANTE_SHARDS
# (the Job's completions) into the shared ledger. exante reads JOB_COMPLETION_INDEX itself.
set -eu
: "${EXANTE_DB:?EXANTE_DB must name the shared ledger (postgresql://...)}"
: "${EXANTE_SHARDS:?EXANTE_SHARDS must be the Job's completions}"
export EXANTE_DIR="${EXANTE_DIR:-/tmp/exante-worker}"
exec exante ingest --source "${EXANTE_SOURCE:-crawl}" --inputs "${EXANTE_INPUTS:-/data/inputs.list}" \
    --shards "$EXANTE_SHARDS" --lease "${EXANTE_LEASE:-300}" \
    --worker "k8s-${HOSTNAME:-pod}-${JOB_COMPLETION_INDEX:-0}"
