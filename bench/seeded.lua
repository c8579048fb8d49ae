-- Shared by the scenarios that ask at random (register_search.lua, fresh_membership.lua): each wrk
-- thread seeds its own random numbers, so that the threads do not ask the same sequence.
local threads = 0

setup = function(thread)
  threads = threads + 1
  thread:set("seed", threads)
end

init = function()
  math.randomseed(os.time() * 31 + seed)
end
