# docs/SCALE.md's recipes, run here as their schedulers would run them: the Slurm job array
# (docs/scale/slurm-worker.sbatch, 4 tasks numbered from 1, as background processes with
# Slurm's variables) with the sequencer job (slurm-sequencer.sbatch), and the Kubernetes
# Indexed Job (k8s-worker.sh with JOB_COMPLETION_INDEX, its completions and parallelism read
# from k8s-ingest.yaml) with the sequencer Deployment's command and environment (an empty
# ledger directory, the key from EXANTE_KEY). Every item is logged once; log verify passes.
. "$(dirname "$0")/lib.sh"
R="$SRC/docs/scale"
mkdir bin && ln -s "$EXANTE" bin/exante && export PATH="$T/bin:$PATH"
printf 'admit license MIT\nreject * "not MIT"\n' > p.policy
mkdir in
for f in $(seq 0 9); do
    for r in $(seq 1 60); do
        printf '{"text":"scale %d %d","url":"https://s%d.example/%d","license":"%s"}\n' \
            $f $r $f $r "$([ $((r % 2)) = 0 ] && echo MIT)"
    done > in/f$f.jsonl
done
ls "$T"/in/*.jsonl > list

setup() { # setup DIR URL : the shared ledger, made once in DIR
    EXANTE_DIR="$1" exante -q init --origin scale.example/log --db "$2" >/dev/null &&
        EXANTE_DIR="$1" exante -q source add crawl --kind crawl >/dev/null &&
        EXANTE_DIR="$1" exante -q policy adopt p.policy >/dev/null || bad "setup $1"
}
drain() { # drain URL PID : every staged batch logged, then the sequencer stopped (SIGTERM)
    for i in $(seq 1 150); do
        [ "$(psql -X -At "$1" -c 'SELECT count(*) FROM exante.staged')" = 0 ] && break
        sleep 0.2
    done
    kill -TERM "$2"
    wait "$2" && ok || bad "the sequencer did not end cleanly"
}
check() { # check DIR URL : 600 items, each decided once; the log verifies
    export EXANTE_DB="$2"
    EXANTE_DIR="$1" expect 0 exante decisions
    [ "$(wc -l < "$T/out")" = 600 ] && ok || bad "$1: $(wc -l < "$T/out") decisions, want 600"
    [ "$(grep -c '"verdict":"admit"' "$T/out")" = 300 ] && ok || bad "$1: admitted"
    EXANTE_DIR="$1" expect 0 exante log verify
    unset EXANTE_DB
}

# ---- Slurm ----
URL=$(pg_url slurm)
setup "$T/slurm" "$URL"
EXANTE_DIR="$T/slurm" bash "$R/slurm-sequencer.sbatch" > seq1.out 2>&1 &
SEQ=$!
pids=
for task in 1 2 3 4; do
    SLURM_ARRAY_TASK_ID=$task SLURM_ARRAY_TASK_MIN=1 SLURM_ARRAY_TASK_COUNT=4 SLURM_ARRAY_JOB_ID=77 \
        SLURM_JOB_ID=$((700 + task)) EXANTE_DB="$URL" EXANTE_INPUTS=list EXANTE_LEASE=5 \
        bash "$R/slurm-worker.sbatch" > slurm$task.out 2>&1 &
    pids="$pids $!"
done
for p in $pids; do wait $p && ok || bad "a Slurm task failed: $(cat slurm*.out)"; done
# each task staged its shard: 10 inputs over 4 tasks, 3 3 2 2
for task in 1 2 3 4; do contains slurm$task.out "shard $((task - 1))/4"; done
drain "$URL" $SEQ
check "$T/slurm" "$URL"

# ---- Kubernetes ----
COMPLETIONS=$(sed -n 's/^ *completions: *\([0-9]*\).*/\1/p' "$R/k8s-ingest.yaml")
PARALLEL=$(sed -n 's/^ *parallelism: *\([0-9]*\).*/\1/p' "$R/k8s-ingest.yaml")
SHARDS=$(grep -A1 'name: EXANTE_SHARDS' "$R/k8s-ingest.yaml" | sed -n 's/.*value: *"\([0-9]*\)".*/\1/p')
[ -n "$COMPLETIONS" ] && [ "$COMPLETIONS" = "$SHARDS" ] && [ "$PARALLEL" -ge 1 ] && ok ||
    bad "k8s-ingest.yaml: completions '$COMPLETIONS', EXANTE_SHARDS '$SHARDS', parallelism '$PARALLEL'"
URL=$(pg_url k8s)
setup "$T/k8s-admin" "$URL"
# the Deployment: an empty ledger directory, the key mounted apart
mkdir "$T/k8s-ledger" "$T/keys" && cp "$T/k8s-admin/key.pem" "$T/keys/key.pem"
EXANTE_DIR="$T/k8s-ledger" EXANTE_KEY="$T/keys/key.pem" EXANTE_DB="$URL" \
    exante log sequence --follow > seq2.out 2>&1 &
SEQ=$!
# the Job: indexes 0..COMPLETIONS-1, PARALLEL pods at a time
idx=0
while [ $idx -lt "$COMPLETIONS" ]; do
    pids=
    for k in $(seq 1 "$PARALLEL"); do
        [ $idx -lt "$COMPLETIONS" ] || break
        JOB_COMPLETION_INDEX=$idx HOSTNAME=pod$idx EXANTE_SHARDS=$SHARDS EXANTE_DB="$URL" \
            EXANTE_INPUTS="$T/list" EXANTE_DIR="$T/pod$idx" sh "$R/k8s-worker.sh" > pod$idx.out 2>&1 &
        pids="$pids $!"
        idx=$((idx + 1))
    done
    for p in $pids; do wait $p && ok || bad "a pod failed: $(cat pod*.out)"; done
done
contains pod7.out "shard 7/8"
drain "$URL" $SEQ
check "$T/k8s-ledger" "$URL"
finish
