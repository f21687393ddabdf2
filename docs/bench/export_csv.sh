#!/bin/bash
# The penalty CSV of a district, timed with two builds in turn (issue #19): each build serves
# the district, settles, then the whole CSV is downloaded 6 times; the median of the last 5
# is printed with the rows a second, and the CPU the server spent on the 5 (user + system,
# from /proc). Rounds alternate the builds, so that both meet the same machine.
# usage: export_csv.sh DATA_DIR ROUNDS BUILD... (FANGXIN__DATABASE__URL for PostgreSQL)
DIR=$1; ROUNDS=$2; shift 2
PORT=18090; BASE=http://127.0.0.1:$PORT
URL="$BASE/api/v1/penalties?format=csv"
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
for round in $(seq 1 "$ROUNDS"); do
  for bin in "$@"; do
    FANGXIN__LIMITS__PUBLIC_PER_MINUTE=0 "$bin" serve --data-dir "$DIR" --bind 127.0.0.1:$PORT \
      > /tmp/export_csv.serve.log 2>&1 &
    pid=$!
    until curl -sf "$BASE/healthz" > /dev/null; do sleep 0.5; done
    sleep 20   # start-up's background work settles
    curl -s -o /tmp/export_csv.csv "$URL"
    rows=$(($(python3 -c "import csv; print(sum(1 for _ in csv.reader(open('/tmp/export_csv.csv', encoding='utf-8-sig'))))") - 1))
    before=$(ticks $pid)
    for _ in 1 2 3 4 5; do
      curl -s -o /dev/null -w "%{time_starttransfer} %{time_total}\n" "$URL"
    done | sort -k2 -n > /tmp/export_csv.times
    cpu=$(( $(ticks $pid) - before ))
    kill $pid; wait $pid 2> /dev/null
    while ss -ltn | grep -q ":$PORT "; do sleep 0.2; done
    awk -v b="$(basename "$bin")" -v r="$round" -v rows="$rows" -v cpu="$cpu" \
      'NR==3 {printf "round %d %-22s rows=%d first byte=%.1f ms total=%.3f s %.0f rows/s  server CPU %.2f s a download\n", r, b, rows, $1*1000, $2, rows/$2, cpu/100/5}' \
      /tmp/export_csv.times
  done
done
