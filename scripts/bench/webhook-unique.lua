-- wrk script: POST a different signed LINE webhook on every request, from BODIES_FILE (lines of
-- "<x-line-signature>\t<body>", written by make-bodies.py). Each wrk thread takes its own share
-- of the lines (WRK_THREADS must equal wrk's -t), so no two requests of a run carry the same
-- event.
local threads = {}
local counter = 0

function setup(thread)
  thread:set("thread_id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  local nthreads = tonumber(os.getenv("WRK_THREADS") or "1")
  sigs, bodies = {}, {}
  local i = 0
  for line in io.lines(os.getenv("BODIES_FILE")) do
    if i % nthreads == thread_id then
      local tab = line:find("\t", 1, true)
      table.insert(sigs, line:sub(1, tab - 1))
      table.insert(bodies, line:sub(tab + 1))
    end
    i = i + 1
  end
  next_index = 1
  wrapped = 0
end

function request()
  local n = next_index
  next_index = next_index + 1
  if next_index > #bodies then
    next_index = 1
    wrapped = wrapped + 1
  end
  return wrk.format("POST", nil, {
    ["Content-Type"] = "application/json; charset=utf-8",
    ["x-line-signature"] = sigs[n],
  }, bodies[n])
end

function done(summary, latency, requests)
  for _, t in ipairs(threads) do
    if t:get("wrapped") > 0 then
      io.write("note: bodies ran out and were reused (duplicates); make more with BENCH_BODIES\n")
    end
  end
end
