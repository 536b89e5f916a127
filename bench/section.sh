# section.sh - sourced by the bench scripts: put_section writes one script's section of
# bench/RESULTS.md.
#
#   put_section OUT HEADING FILE
#
# Replaces the section of OUT that starts with the line HEADING (e.g. "## Ingest") and runs up
# to the next "## " heading with the contents of FILE, or appends FILE when OUT has no such
# section (or does not exist yet). The other sections are kept as they are. OUT is replaced
# in one step (written next to FILE first), so an interrupted run leaves the old file.
put_section() {
    local out=$1 heading=$2 file=$3 new
    new="$file.results.new"
    if [ -f "$out" ] && grep -qxF -- "$heading" "$out"; then
        awk -v sec="$file" -v h="$heading" '
            $0 == h { while ((getline l < sec) > 0) print l; print ""; skip = 1; next }
            skip && /^## / { skip = 0 }
            !skip { print }' "$out" >"$new"
    else
        { [ -f "$out" ] && cat "$out" && printf '\n'; cat "$file"; } >"$new"
    fi
    cp "$new" "$out"
    rm -f "$new"
}
