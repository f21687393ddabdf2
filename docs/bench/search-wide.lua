-- wrk -t2 -c32 -d20s -s docs/bench/search-wide.lua http://127.0.0.1:PORT/
-- A wide consumer mix that the answer cache cannot hold: one path per line from the file
-- named by WIDE_PATHS (default /tmp/wide-paths.txt), made by docs/bench/wide-paths.py from
-- the district's own names, each asked once before any repeats (20,000 distinct searches).
local paths = {}
init = function(args)
  local file = os.getenv("WIDE_PATHS") or "/tmp/wide-paths.txt"
  for line in io.lines(file) do
    paths[#paths + 1] = line
  end
end
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1])
end
