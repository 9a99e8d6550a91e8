-- wrk script of the benchmark: logs every request, one file per wrk thread.
-- Run wrk with as many threads as connections (-t N -c N), so that each thread has one
-- connection and request() and response() strictly alternate on it.
--
--   wrk -t 8 -c 8 -d 600s -s bench/wrk-log.lua http://127.0.0.1:8080/ -- <prefix> [pace-ms]
--
-- <prefix>.<thread> gets one line per request:
--   <start, µs since the epoch> <latency, µs> <status> <X-Generation>   for a response
--   <start, µs since the epoch> -1 0 -                                  for a request written
--                                                                        that got no response
-- and done() prints wrk's error counters on one line for the benchmark to parse.
local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } zdbench_timespec;
int clock_gettime(int clock, zdbench_timespec *tp);
]]
local ts = ffi.new("zdbench_timespec")
local function now_us()
  ffi.C.clock_gettime(0, ts) -- CLOCK_REALTIME, to line up with the triggers' timestamps
  return tonumber(ts.tv_sec) * 1000000 + math.floor(tonumber(ts.tv_nsec) / 1000)
end

local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
  table.insert(threads, thread)
end

function init(args)
  local prefix = args[1] or "wrk-log"
  pace = tonumber(args[2]) or 0
  out = assert(io.open(prefix .. "." .. id, "w"))
  out:setvbuf("full", 1024 * 1024)
  req = wrk.format()
  started = nil
  written = 0
end

function request()
  if id == 1 and not verified then
    -- wrk calls request() once in the first thread before the load starts, to check it
    verified = true
    return req
  end
  local t = now_us()
  if started ~= nil then
    -- the previous request on this connection never got a response
    out:write(string.format("%d -1 0 -\n", started))
  end
  started = t
  return req
end

function delay()
  return pace
end

function response(status, headers, body)
  local t = now_us()
  if started ~= nil then
    out:write(string.format("%d %d %d %s\n", started, t - started, status, headers["X-Generation"] or "-"))
    started = nil
  end
  written = written + 1
  if written % 2000 == 0 then
    out:flush()
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("zdbench requests=%d connect=%d read=%d write=%d status=%d timeout=%d\n",
    summary.requests, e.connect, e.read, e.write, e.status, e.timeout))
end
