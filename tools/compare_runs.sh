# Sourced by tools/check_threads.sh and tools/check_ranks.sh: compares two run directories.
# stats.json is compared without what depends on the machine or the split (times, memory,
# threads, ranks).
strip_stats() {
    python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
for k in list(d):
    if k.endswith("_s") or k in ("real_time_factor", "peak_rss_bytes", "threads", "ranks", "memory"):
        del d[k]
print(json.dumps(d, sort_keys=True))' "$1"
}

# compare_runs REF OUT LABEL: prints "DIFFER: LABEL FILE" for every file of REF that OUT has
# otherwise; returns 1 if any.
compare_runs() {
    local ref="$1" out="$2" label="$3" differ=0 f b
    for f in "$ref"/*; do
        b="$(basename "$f")"
        if [ "$b" = stats.json ]; then
            if [ "$(strip_stats "$f")" != "$(strip_stats "$out/$b")" ]; then
                echo "DIFFER: $label stats.json"; differ=1
            fi
        elif ! cmp -s "$f" "$out/$b"; then
            echo "DIFFER: $label $b"; differ=1
        fi
    done
    return "$differ"
}
