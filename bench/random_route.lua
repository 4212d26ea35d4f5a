-- wrk script: every request asks for a random one of the LINKS seeded routes (r0, r1, ...).
math.randomseed(os.time() + math.floor(os.clock() * 1000000))
local links = tonumber(os.getenv("LINKS") or "100000")

request = function()
  return wrk.format("GET", "/r" .. math.random(0, links - 1))
end

-- The upper tail of the latency, for bench/redirect.sh to put rounds together into one
-- run's p99: "tail PERCENTILE MICROSECONDS" from the 95th to the 99.99th percentile.
done = function(summary, latency, requests)
  for tenth = 950, 999 do
    io.write(string.format("tail %.1f %d\n", tenth / 10, latency:percentile(tenth / 10)))
  end
  io.write(string.format("tail 99.99 %d\n", latency:percentile(99.99)))
end
