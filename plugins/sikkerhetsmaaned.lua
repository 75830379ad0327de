-- sikkerhetsmaaned.lua: Sikkerhetsmåneden, the October security campaign.
--
-- While the campaign runs (start to end, October by default) every active
-- employee is assigned the campaign's lessons, due the last day; people who
-- join during the campaign get them too.
--
-- Report "agencies" ({year = Y, published = true}): per agency
-- (virksomhet), the headcount, and per lesson and in total how many are
-- assigned, have started and have completed, the completion rate (share of
-- the headcount who completed every lesson) and its change from last year's
-- campaign. Completions from the campaign's start to report_until count.
-- The published variant suppresses every group smaller than min_group
-- people (and, when that would leave one suppressed group readable from
-- the total, the next smallest as well).
--
-- Settings (config file):
--   plugin.sikkerhetsmaaned.courses = informasjonssikkerhet-grunnkurs,phishing,personvern-grunnkurs,avvik
--   plugin.sikkerhetsmaaned.start = 10-01          (MM-DD)
--   plugin.sikkerhetsmaaned.end = 10-31            (MM-DD, also the due date)
--   plugin.sikkerhetsmaaned.report_until = 12-31   (MM-DD)
--   plugin.sikkerhetsmaaned.min_group = 5

local NAME = "sikkerhetsmaaned"
local cfg = vern.config

local function month_day(key, default)
  local v = cfg[key] or default
  local m, d = v:match("^(%d%d)-(%d%d)$")
  if not m or tonumber(m) < 1 or tonumber(m) > 12 or tonumber(d) < 1 or tonumber(d) > 31 then
    error("plugin." .. NAME .. "." .. key .. " must be MM-DD, not " .. v)
  end
  return { month = tonumber(m), day = tonumber(d), text = v }
end

local function course_list(text)
  local list = {}
  for id in text:gmatch("[^,%s]+") do list[#list + 1] = id end
  if #list == 0 or #list > 32 then
    error("plugin." .. NAME .. ".courses must name 1 to 32 courses")
  end
  return list
end

local COURSES = course_list(cfg.courses or
  "informasjonssikkerhet-grunnkurs,phishing,personvern-grunnkurs,avvik")
local START = month_day("start", "10-01")
local STOP = month_day("end", "10-31")
local UNTIL = month_day("report_until", "12-31")
local MIN_GROUP = tonumber(cfg.min_group or "5")
if not MIN_GROUP or MIN_GROUP < 1 then
  error("plugin." .. NAME .. ".min_group must be a whole number from 1")
end

-- Midnight (local time) starting the day md of year, or ending it.
local function at(year, md, end_of_day)
  return os.time { year = year, month = md.month, day = md.day + (end_of_day and 1 or 0),
                   hour = 0, min = 0, sec = 0 }
end

local function year_of(t) return tonumber(os.date("%Y", t)) end

local function running(now)
  local y = year_of(now)
  return now >= at(y, START) and now < at(y, STOP, true), y
end

-- The year of the latest campaign that has started by now.
local function latest_year(now)
  local y = year_of(now)
  if now < at(y, START) then return y - 1 end
  return y
end

-- The campaign's courses that exist in the catalogue.
local function campaign_courses()
  local known = {}
  for _, c in ipairs(vern.courses()) do known[c.id] = true end
  local list = {}
  for _, id in ipairs(COURSES) do
    if known[id] then list[#list + 1] = id end
  end
  return list
end

local function assign_all(courses, year, target)
  local due = string.format("%04d-%s", year, STOP.text)
  for _, course in ipairs(courses) do
    local a = { course = course, due = due, reason = "Sikkerhetsmåneden " .. year }
    for k, v in pairs(target) do a[k] = v end
    vern.assign(a)
  end
end

local function rate(done, of)
  if not of or of == 0 then return nil end
  return math.floor(done / of * 1000 + 0.5) / 1000
end

local function blank_counts() return { assigned = 0, started = 0, completed = 0 } end

local function add_counts(into, from)
  into.assigned = into.assigned + from.assigned
  into.started = into.started + from.started
  into.completed = into.completed + from.completed
end

-- One report row from a vern.stats group (and last year's, if any).
local function row_of(g, last, courses)
  local row = { agency = g.id, name = g.name or "Uten virksomhet", headcount = g.headcount,
                modules = {}, total = blank_counts(), completed_all = g.completed_all }
  for _, c in ipairs(courses) do
    local m = g.courses[c]
    row.modules[c] = { assigned = m.assigned, started = m.started, completed = m.completed }
    add_counts(row.total, m)
  end
  row.completion_rate = rate(g.completed_all, g.headcount)
  if last then
    row.last_year_headcount = last.headcount
    row.last_year_rate = rate(last.completed_all, last.headcount)
  end
  if row.completion_rate and row.last_year_rate then
    row.change = math.floor((row.completion_rate - row.last_year_rate) * 1000 + 0.5) / 1000
  end
  return row
end

-- The published variant: rows under MIN_GROUP people keep only their name.
local function suppress(rows)
  local hidden, shown = 0, {}
  for _, r in ipairs(rows) do
    if r.headcount < MIN_GROUP then
      r.hide = true
      if r.headcount > 0 then hidden = hidden + 1 end
    else
      shown[#shown + 1] = r
    end
  end
  -- One hidden group could be read off as total minus the others.
  if hidden == 1 and #shown > 0 then
    table.sort(shown, function(a, b) return a.headcount < b.headcount end)
    shown[1].hide = true
  end
  local out = {}
  for _, r in ipairs(rows) do
    if r.hide then
      out[#out + 1] = { agency = r.agency, name = r.name, suppressed = true }
    else
      out[#out + 1] = r
    end
  end
  return out
end

local function agencies(params)
  local now = vern.now()
  local year = tonumber(params.year) or latest_year(now)
  if year ~= math.floor(year) or year < 2000 or year > 2100 then
    error("year must be a year such as 2025")
  end
  local published = params.published == true or params.published == "true"
                    or params.published == "1"
  local courses = campaign_courses()
  if #courses == 0 then
    error("none of the campaign's courses are in the catalogue: " .. table.concat(COURSES, ", "))
  end
  local since, before = at(year, START), at(year, UNTIL, true)
  local this = vern.stats { courses = courses, since = since, before = before,
                            present_at = math.max(math.min(now, before - 1), since) }
  local last_since, last_before = at(year - 1, START), at(year - 1, UNTIL, true)
  local last = vern.stats { courses = courses, since = last_since, before = last_before,
                            present_at = last_before - 1 }
  local last_by = {}
  for _, g in ipairs(last) do last_by[g.id or ""] = g end

  local rows = {}
  local sum = { id = nil, name = "Hele kommunen", headcount = 0, completed_all = 0, courses = {} }
  local last_sum = { headcount = 0, completed_all = 0 }
  for _, c in ipairs(courses) do sum.courses[c] = blank_counts() end
  for _, g in ipairs(this) do
    rows[#rows + 1] = row_of(g, last_by[g.id or ""], courses)
    sum.headcount = sum.headcount + g.headcount
    sum.completed_all = sum.completed_all + g.completed_all
    for _, c in ipairs(courses) do add_counts(sum.courses[c], g.courses[c]) end
  end
  for _, g in ipairs(last) do
    last_sum.headcount = last_sum.headcount + g.headcount
    last_sum.completed_all = last_sum.completed_all + g.completed_all
  end
  local total = row_of(sum, last_sum, courses)
  total.agency = nil
  if published then
    rows = suppress(rows)
    if total.headcount < MIN_GROUP then
      total = { name = total.name, suppressed = true }
    end
  end
  return {
    campaign = "Sikkerhetsmåneden " .. year,
    year = year,
    from = os.date("%Y-%m-%d", since),
    to = os.date("%Y-%m-%d", before - 1),
    courses = courses,
    published = published,
    min_group = MIN_GROUP,
    agencies = rows,
    total = total,
  }
end

return {
  name = NAME,
  version = "1.0.0",
  description = "Sikkerhetsmåneden: oktoberkampanjen, med rapport per virksomhet",

  daily = function(now)
    local on, year = running(now)
    if on then assign_all(campaign_courses(), year, { everyone = true }) end
  end,

  on_employee = function(e, change)
    local on, year = running(vern.now())
    if on and e.active then assign_all(campaign_courses(), year, { employee = e.id }) end
  end,

  reports = { agencies = agencies },
}
