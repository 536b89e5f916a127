# exante ingest --inputs LIST [--shard I/N]: four workers, one after the other, each ingest
# exactly their shard of a list (entry k to shard k mod 4) and together decide every content
# digest as one ingest of all the files does; a grown list adds only its new entries; the
# shard from Slurm's and Kubernetes' variables; usage errors exit 2.
. "$(dirname "$0")/lib.sh"
mk() { # mk DIR : a ledger in DIR with source "dump" and a policy
    EXANTE_DIR="$T/$1" $EXANTE -q init --origin shard.example/log >/dev/null || bad init
    EXANTE_DIR="$T/$1" $EXANTE -q source add dump --kind public-dataset >/dev/null || bad source
    EXANTE_DIR="$T/$1" $EXANTE -q policy adopt p.policy >/dev/null || bad policy
}
printf 'admit license MIT\nreject license CC-BY-NC-4.0\nreject * "no license"\n' > p.policy
mk whole; mk sharded

# f0..f8.jsonl: file i holds i + 1 records (MIT, CC-BY-NC-4.0 or no license); f7 repeats a
# record of f1, so a copy crosses shards
for i in $(seq 0 8); do
    for r in $(seq 0 $i); do
        case $(((i + r) % 3)) in 0) lic=MIT ;; 1) lic=CC-BY-NC-4.0 ;; *) lic= ;; esac
        printf '{"text":"file %d record %d","url":"https://s.example/%d/%d","license":"%s"}\n' $i $r $i $r "$lic"
    done > f$i.jsonl
done
head -n 1 f1.jsonl >> f7.jsonl
records() { wc -l < "$1" | tr -d ' '; }
# the list: comments, a blank line and a CRLF line are not entries (f8 comes later)
{ echo "# inputs of the run"; for i in 0 1 2; do echo f$i.jsonl; done; echo
  printf 'f3.jsonl\r\n'; echo "  "; for i in 4 5 6 7; do echo f$i.jsonl; done; } > list

# the files each ledger's items came from, by base name
files_of() { sql "$T/$1/ledger.db" "SELECT DISTINCT json_extract(record(record),'\$.file') FROM items" | sed 's|.*/||' | sort; }
# each worker records exactly its shard: files i and i + 4
: > seen
for i in 0 1 2 3; do
    EXANTE_DIR="$T/sharded" expect 0 $EXANTE --json ingest --source dump --inputs list --shard $i/4
    n=$(($(records f$i.jsonl) + $(records f$((i + 4)).jsonl)))
    for k in "\"shard\":\"$i/4\"" '"inputs_selected":2' '"inputs_listed":8' "\"items\":$n" '"ok":true'; do
        contains "$T/out" "$k"
    done
    printf 'f%d.jsonl\nf%d.jsonl\n' $i $((i + 4)) >> seen
    sort seen > want; files_of sharded > got
    cmp -s want got && ok || bad "after shard $i/4 the items came from $(tr '\n' ' ' < got), want $(tr '\n' ' ' < want)"
done
EXANTE_DIR="$T/whole" expect 0 $EXANTE --json ingest --source dump f0.jsonl f1.jsonl f2.jsonl f3.jsonl f4.jsonl f5.jsonl f6.jsonl f7.jsonl
contains "$T/out" '"items":37'
# the same verdicts for every content digest (one decision each, copies duplicates)
verdicts() {
    EXANTE_DIR="$T/$1" $EXANTE decisions | python3 -c '
import json, sys
for line in sys.stdin:
    d = json.loads(line)
    print(d["digest"], d["verdict"])' | sort
}
verdicts whole > v.whole; verdicts sharded > v.sharded
[ "$(wc -l < v.whole)" = 37 ] && ok || bad "the whole ingest made $(wc -l < v.whole) decisions, want 37"
cmp -s v.whole v.sharded && ok || bad "the shards decided otherwise than one ingest: $(diff v.whole v.sharded | head -5)"
grep -q ' admit$' v.whole && grep -q ' reject$' v.whole && grep -q ' duplicate$' v.whole && ok ||
    bad "the corpus lacks an admit, a reject or a duplicate"
EXANTE_DIR="$T/sharded" expect 0 $EXANTE log verify

# text summary; a worker run again adds nothing
EXANTE_DIR="$T/sharded" expect 0 $EXANTE ingest --source dump --inputs list --shard 2/4
contains "$T/out" "shard 2/4: 2 of 8 inputs"
contains "$T/out" "0 items"
# the list grows at its end: entry 8 goes to shard 0, the other shards have nothing new
echo f8.jsonl >> list
for i in 0 1 2 3; do
    EXANTE_DIR="$T/sharded" expect 0 $EXANTE --json ingest --source dump --inputs list --shard $i/4
    n=0; sel=2; [ $i = 0 ] && n=$(records f8.jsonl) && sel=3
    for k in "\"items\":$n" "\"inputs_selected\":$sel" '"inputs_listed":9'; do contains "$T/out" "$k"; done
done

# the whole list: from a file, and from standard input
mk all
EXANTE_DIR="$T/all" expect 0 $EXANTE --json ingest --source dump --inputs list
for k in '"shard":"0/1"' '"inputs_selected":9' '"inputs_listed":9' '"items":46'; do contains "$T/out" "$k"; done
mk stdin
EXANTE_DIR="$T/stdin" expect 0 $EXANTE --json ingest --source dump --inputs - < list
for k in '"shard":"0/1"' '"inputs_selected":9' '"items":46'; do contains "$T/out" "$k"; done

# the shard from the environment (the list has 9 entries: shard 0 of 4 has 3)
mk env
sel() { contains "$T/out" "\"shard\":\"$1\""; contains "$T/out" "\"inputs_selected\":$2"; }
E() { EXANTE_DIR="$T/env" expect "$@"; }
# Slurm --array=1-4: task 3 is shard 2; --array=0-12:4 (ids 0, 4, 8, 12): task 4 is shard 1
E 0 env SLURM_ARRAY_TASK_ID=3 SLURM_ARRAY_TASK_MIN=1 SLURM_ARRAY_TASK_COUNT=4 $EXANTE --json ingest --source dump --inputs list
sel 2/4 2
E 0 env SLURM_ARRAY_TASK_ID=4 SLURM_ARRAY_TASK_MIN=0 SLURM_ARRAY_TASK_STEP=4 SLURM_ARRAY_TASK_COUNT=4 $EXANTE --json ingest --source dump --inputs list
sel 1/4 2
E 0 env SLURM_ARRAY_TASK_ID=0 SLURM_ARRAY_TASK_COUNT=4 $EXANTE --json ingest --source dump --inputs list --shards 4
sel 0/4 3
# an explicit --shard wins over the environment
E 0 env SLURM_ARRAY_TASK_ID=0 SLURM_ARRAY_TASK_COUNT=4 JOB_COMPLETION_INDEX=1 $EXANTE --json ingest --source dump --inputs list --shard 3/4
sel 3/4 2
# a Kubernetes Indexed Job: the index from JOB_COMPLETION_INDEX, the count from --shards
E 0 env JOB_COMPLETION_INDEX=1 $EXANTE --json ingest --source dump --inputs list --shards 2
sel 1/2 4
# ...and the shards together recorded each file once
n=$(EXANTE_DIR="$T/env" $EXANTE decisions | wc -l)
[ "$n" = 46 ] && ok || bad "the shards from the environment made $n decisions, want 46"
# the environment is not read without --inputs: PATHs are ingested whole
E 0 env SLURM_ARRAY_TASK_ID=1 SLURM_ARRAY_TASK_COUNT=4 $EXANTE --json ingest --source dump f0.jsonl f8.jsonl
contains "$T/out" '"skipped":10'
[ "$(grep -c '"shard"' "$T/out")" = 0 ] && ok || bad "a PATH ingest reports a shard"

# usage errors: exit 2, nothing ingested
mk bad
X() { EXANTE_DIR="$T/bad" expect 2 $EXANTE ingest --source dump "$@"; }
X --inputs list --shard 4/4
contains "$T/err" "ingest: --shard: '4/4': the index must be below the count (0-based)"
X --inputs list --shard 1/0
contains "$T/err" "'1/0': the count must be at least 1"
for s in 1 1/x -1/4 /4 1/4/8 ' 1/4' ''; do
    X --inputs list --shard "$s"
    contains "$T/err" "'$s': expected I/N"
done
X --inputs list --shards 0
contains "$T/err" "--shards takes a count of at least 1"
X --inputs list --shard 1/4 --shards 3
contains "$T/err" "--shard 1/4 and --shards 3 disagree"
X --inputs list --shards 4
contains "$T/err" "--shards 4 gives a count but no index"
EXANTE_DIR="$T/bad" expect 2 env JOB_COMPLETION_INDEX=1 $EXANTE ingest --source dump --inputs list
contains "$T/err" "JOB_COMPLETION_INDEX is set but the shard count is not: pass --shards N (the Job's completions)"
EXANTE_DIR="$T/bad" expect 2 env JOB_COMPLETION_INDEX=4 $EXANTE ingest --source dump --inputs list --shards 4
contains "$T/err" "JOB_COMPLETION_INDEX=4 is not below --shards 4"
EXANTE_DIR="$T/bad" expect 2 env SLURM_ARRAY_TASK_ID=5 SLURM_ARRAY_TASK_MIN=1 SLURM_ARRAY_TASK_COUNT=4 $EXANTE ingest --source dump --inputs list
contains "$T/err" "SLURM_ARRAY_TASK_ID=5 is task 4"
EXANTE_DIR="$T/bad" expect 2 env SLURM_ARRAY_TASK_ID=1 SLURM_ARRAY_TASK_COUNT=4 $EXANTE ingest --source dump --inputs list --shards 3
contains "$T/err" "--shards 3 disagrees with SLURM_ARRAY_TASK_COUNT=4"
EXANTE_DIR="$T/bad" expect 2 env SLURM_ARRAY_TASK_ID=x SLURM_ARRAY_TASK_COUNT=4 $EXANTE ingest --source dump --inputs list
contains "$T/err" "SLURM_ARRAY_TASK_ID='x' is not a decimal number"
X --shard 1/4 f0.jsonl
contains "$T/err" "ingest: --shard needs --inputs LIST_FILE"
X --shards 4 f0.jsonl
contains "$T/err" "ingest: --shards needs --inputs LIST_FILE"
X --inputs list f0.jsonl
contains "$T/err" "give PATHs or --inputs LIST_FILE, not both"
# a list that is not text names its line, whatever the shard
printf 'f0.jsonl\n# x\nf1\000.jsonl\n' > nul.list
X --inputs nul.list --shard 0/2
contains "$T/err" "nul.list: line 3: a NUL byte"
printf 'f0.jsonl\n\nf\37741.jsonl\n' > utf.list
X --inputs utf.list
contains "$T/err" "utf.list: line 3: not valid UTF-8"
EXANTE_DIR="$T/bad" expect 0 $EXANTE decisions
[ -s "$T/out" ] && bad "a usage error ingested something" || ok
# a missing list, and a list naming a missing file: as a missing PATH, exit 3; only the shard
# holding it fails
EXANTE_DIR="$T/bad" expect 3 $EXANTE ingest --source dump --inputs nolist
contains "$T/err" "cannot open 'nolist'"
printf 'f0.jsonl\nnothere.jsonl\n' > missing.list
EXANTE_DIR="$T/bad" expect 3 $EXANTE ingest --source dump --inputs missing.list
contains "$T/err" "cannot open 'nothere.jsonl'"
EXANTE_DIR="$T/bad" expect 3 $EXANTE ingest --source dump --inputs missing.list --shard 1/2
contains "$T/err" "cannot open 'nothere.jsonl'"
EXANTE_DIR="$T/bad" expect 0 $EXANTE --json ingest --source dump --inputs missing.list --shard 0/2
contains "$T/out" '"items":1'
finish
