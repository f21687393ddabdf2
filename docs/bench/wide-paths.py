#!/usr/bin/env python3
"""Writes /tmp/wide-paths.txt for search-wide.lua: 20,000 distinct searches drawn from a
SQLite demo district (sign names, parts of legal names, sign names within a street,
sort by score), shuffled with a fixed seed. Usage: wide-paths.py DATA_DIR"""
import random, sqlite3, sys, urllib.parse

db = sqlite3.connect(f"{sys.argv[1]}/fangxin.db")
rows = db.execute(
    "SELECT sign_name, name, street FROM merchants WHERE sign_name IS NOT NULL "
    "ORDER BY id LIMIT 400000").fetchall()
rng = random.Random(7)
rng.shuffle(rows)
paths, seen = [], set()
for sign, name, street in rows:
    kind = rng.randrange(4)
    if kind == 0:
        q = {"q": sign}
    elif kind == 1:
        start = rng.randrange(max(1, len(name) - 3))
        q = {"q": name[start:start + 4]}
    elif kind == 2:
        q = {"q": sign[:3], "street": street}
    else:
        q = {"q": sign[-2:], "sort": "score"}
    path = "/api/v1/merchants/search?" + urllib.parse.urlencode(q)
    if path not in seen:
        seen.add(path)
        paths.append(path)
    if len(paths) == 20000:
        break
with open("/tmp/wide-paths.txt", "w") as f:
    f.write("\n".join(paths) + "\n")
print(len(paths), "paths")
