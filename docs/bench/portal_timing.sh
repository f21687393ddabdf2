# Times portal pages over loopback with curl (server-side time plus loopback HTTP).
# usage: portal_timing.sh BASE_URL DBNAME N
BASE=$1; DB=$2; N=${3:-300}
psql -h 127.0.0.1 -U postgres -d $DB -Atc "select uscc from merchants order by md5(uscc) limit $N" > /tmp/bench/sample.txt
t() { curl -s -o /dev/null -w "%{time_total}\n" "$1"; }
for u in $(cat /tmp/bench/sample.txt); do t "$BASE/m/$u"; done | sort -n > /tmp/bench/merchant.times
for q in mx %E7%B1%B3%E7%BA%BF %E5%BA%97 ldw %E9%A4%90%E9%A5%AE zj %E7%90%86%E5%8F%91 hs; do for i in $(seq 1 30); do t "$BASE/?q=$q"; done; done | sort -n > /tmp/bench/search.times
for i in $(seq 1 100); do t "$BASE/penalties?page=$((i % 20 + 1))"; done | sort -n > /tmp/bench/penalties.times
for f in merchant search penalties; do
  awk -v name=$f '{a[NR]=$1} END {printf "%s: n=%d p50=%.1f ms p95=%.1f ms p99=%.1f ms max=%.1f ms\n", name, NR, a[int(NR*0.5)]*1000, a[int(NR*0.95)]*1000, a[int(NR*0.99)]*1000, a[NR]*1000}' /tmp/bench/$f.times
done
