-- wrk script: every request asks for a random one of the LINKS seeded routes (r0, r1, ...).
math.randomseed(os.time() + math.floor(os.clock() * 1000000))
local links = tonumber(os.getenv("LINKS") or "100000")

request = function()
  return wrk.format("GET", "/r" .. math.random(0, links - 1))
end
