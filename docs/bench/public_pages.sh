#!/bin/bash
# Times the public pages issue #19 names, over loopback with curl (server time plus loopback
# HTTP), against a running `fangxin serve` (start it with FANGXIN__LIMITS__PUBLIC_PER_MINUTE=0):
#   /stats, /, the penalty list at page 1 and page 50 (numbered, ?page=50) and page 50 by key
#   (?after=, the cursor the API's page 49 gives: only where the build pages by key), each N
#   times after 5 warm-ups; then the whole penalty CSV: first byte, total, rows a second.
# usage: public_pages.sh BASE_URL [N]
BASE=$1; N=${2:-40}
mkdir -p /tmp/bench
t() { curl -s -o /dev/null -w "%{time_total}\n" "$1"; }
timed() {
  local name=$1 url=$2
  for _ in 1 2 3 4 5; do t "$url" > /dev/null; done
  for _ in $(seq 1 "$N"); do t "$url"; done | sort -n > /tmp/bench/page.times
  awk -v name="$name" '{a[NR]=$1} END {printf "%-28s n=%d p50=%.1f ms p99=%.1f ms max=%.1f ms\n", name, NR, a[int(NR*0.5)]*1000, a[int(NR*0.99)]*1000, a[NR]*1000}' /tmp/bench/page.times
}
timed "/stats" "$BASE/stats"
timed "/" "$BASE/"
timed "/penalties" "$BASE/penalties"
timed "/penalties?page=50" "$BASE/penalties?page=50"
cursor=$(curl -s "$BASE/api/v1/penalties?page=49" | python3 -c "import json,sys; print(json.load(sys.stdin).get('next_cursor',''))")
if [ -n "$cursor" ]; then
  timed "/penalties?after=(page 49)" "$BASE/penalties?after=$cursor"
  timed "API page 50 by key" "$BASE/api/v1/penalties?after=$cursor"
fi
timed "API ?page=50" "$BASE/api/v1/penalties?page=50"
curl -s -o /tmp/bench/penalties.csv -w "%{time_starttransfer} %{time_total} %{size_download}\n" \
  "$BASE/api/v1/penalties?format=csv" > /tmp/bench/csv.times
rows=$(($(python3 -c "import csv; print(sum(1 for _ in csv.reader(open('/tmp/bench/penalties.csv', encoding='utf-8-sig'))))") - 1))
awk -v rows="$rows" '{printf "%-28s rows=%d first byte=%.1f ms total=%.2f s %.1f MB %.0f rows/s\n", "penalties CSV", rows, $1*1000, $2, $3/1e6, rows/$2}' /tmp/bench/csv.times
