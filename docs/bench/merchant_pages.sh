#!/bin/bash
# Times merchant pages /m/{uscc} over loopback with curl (server time plus loopback HTTP):
# 30 warm-up pages, then N pages of merchants drawn at random with a fixed seed.
# usage: merchant_pages.sh BASE_URL DATA_DIR [N]    (a SQLite data directory)
#        merchant_pages.sh BASE_URL postgres://…/DB [N]
BASE=$1; SRC=$2; N=${3:-120}
mkdir -p /tmp/bench
if [[ $SRC == postgres* ]]; then
  psql "$SRC" -Atc "select uscc from merchants order by md5(uscc) limit $((N + 30))" > /tmp/bench/sample.txt
else
  python3 -c "
import sqlite3, random
rows = [r[0] for r in sqlite3.connect('$SRC/fangxin.db').execute('select uscc from merchants')]
random.Random(7).shuffle(rows)
print('\n'.join(rows[:$((N + 30))]))" > /tmp/bench/sample.txt
fi
t() { curl -s -o /dev/null -w "%{time_total}\n" "$1"; }
head -30 /tmp/bench/sample.txt | while read u; do t "$BASE/m/$u" > /dev/null; done
tail -n +31 /tmp/bench/sample.txt | while read u; do t "$BASE/m/$u"; done | sort -n > /tmp/bench/merchant.times
awk '{a[NR]=$1} END {printf "merchant pages: n=%d p50=%.1f ms p90=%.1f ms p99=%.1f ms max=%.1f ms\n", NR, a[int(NR*0.5)]*1000, a[int(NR*0.9)]*1000, a[int(NR*0.99)]*1000, a[NR]*1000}' /tmp/bench/merchant.times
