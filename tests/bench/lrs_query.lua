-- tests/bench/lrs_query.lua: wrk script for the LRS section. GET
-- /xapi/statements?verb=V&activity=A&limit=50 with V and A drawn from the
-- same distributions the preload used (50 verbs, 2,000 activities).
-- Environment: LRS_AUTH ("Basic ...").
local auth = os.getenv("LRS_AUTH") or ""

function setup(thread)
  thread:set("seed", math.random(1, 1e9))
end

function init(args)
  math.randomseed(seed or os.time())
end

request = function()
  local path = string.format(
    "/xapi/statements?verb=https%%3A%%2F%%2Fvern.example%%2Fverbs%%2Fv%d&activity=https%%3A%%2F%%2Fvern.example%%2Factivities%%2Fa%d&limit=50",
    math.random(1, 50), math.random(1, 2000))
  return wrk.format("GET", path, { ["Authorization"] = auth, ["X-Experience-API-Version"] = "1.0.3" })
end
