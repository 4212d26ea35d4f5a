-- wrk script for the warm-up: the threads split the seeded routes (r0, r1, ...) between
-- them and ask for each in turn, so that the link cache holds them all before the
-- measured run.
local links = tonumber(os.getenv("LINKS") or "100000")
local threads = 0

function setup(thread)
  thread:set("id", threads)
  threads = threads + 1
  thread:set("threads", 0)
end

function init(args)
  next_route = math.floor(id * links / 2)
end

request = function()
  local path = "/r" .. next_route
  next_route = (next_route + 1) % links
  return wrk.format("GET", path)
end
