-- tests/bench/lrs_statements.lua: wrk script for the LRS section. POSTs
-- distinct statements (BATCH per request, 1 = a single statement object)
-- with Basic auth; every request body is different (random learner,
-- activity and a fresh id-free statement), so nothing is deduplicated.
-- Environment: LRS_AUTH ("Basic ..."), LRS_BATCH (default 1).
local auth = os.getenv("LRS_AUTH") or ""
local batch = tonumber(os.getenv("LRS_BATCH") or "1")

function setup(thread)
  thread:set("seed", math.random(1, 1e9))
end

function init(args)
  math.randomseed(seed or os.time())
end

local function statement()
  return string.format(
    '{"actor":{"objectType":"Agent","account":{"homePage":"https://vern.example","name":"e-%d"}},' ..
    '"verb":{"id":"https://vern.example/verbs/v%d","display":{"nb-NO":"gjorde"}},' ..
    '"object":{"objectType":"Activity","id":"https://vern.example/activities/a%d",' ..
    '"definition":{"name":{"nb-NO":"Leksjon"}}},' ..
    '"result":{"score":{"scaled":%.2f},"completion":true,"duration":"PT%dS"},' ..
    '"context":{"registration":"%08x-0000-4000-8000-%012x","contextActivities":{"parent":[{"id":"https://vern.example/courses/c%d"}]}}}',
    math.random(1, 20000), math.random(1, 50), math.random(1, 2000), math.random(), math.random(30, 600),
    math.random(0, 0x7fffffff), math.random(0, 0x7fffffff), math.random(1, 40))
end

request = function()
  local body
  if batch <= 1 then
    body = statement()
  else
    local parts = {}
    for i = 1, batch do parts[i] = statement() end
    body = "[" .. table.concat(parts, ",") .. "]"
  end
  return wrk.format("POST", "/xapi/statements", {
    ["Authorization"] = auth,
    ["X-Experience-API-Version"] = "1.0.3",
    ["Content-Type"] = "application/json",
  }, body)
end
