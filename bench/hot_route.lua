-- wrk script: every request asks for the same route (r0), through a request function as
-- random_route.lua does, so that wrk's own cost per request is the same in both.
request = function()
  return wrk.format("GET", "/r" .. 0)
end
