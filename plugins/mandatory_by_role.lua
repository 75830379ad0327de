-- mandatory_by_role.lua: mandatory training by role and unit.
--
-- Each rule below names roles and/or a unit (the unit and everything under
-- it) and the courses the people who match must take. A matching employee
-- gets an assignment for each course, due `due_days` after they start
-- (start_date) or after the change that made the course required, never in
-- the past. Once completed, the assignment's due date moves to the day the
-- completion expires (the course's valid_months: 12 for the bundled
-- catalogue), so the course comes back every year. Courses no longer
-- required are unassigned, and so is everything this plugin assigned to
-- someone who leaves; assignments made by hand or by other plugins are
-- never touched.
--
-- Report "reminders" ({days = N, all = true}) lists what people should be
-- reminded of: due soon, overdue, or completion expiring within N days
-- (default remind_days). The email reminders read it. Report "rules" shows
-- the rules.
--
-- With welcome_mail = true, someone who joins gets an email with a
-- one-click link to the first course the rules give them (in the order of
-- RULES), so the training starts on day one without a password.
--
-- Settings (config file):
--   plugin.mandatory_by_role.due_days = 30
--   plugin.mandatory_by_role.remind_days = 14
--   plugin.mandatory_by_role.welcome_mail = false

local NAME = "mandatory_by_role"

local RULES = {
  { roles = { "ansatt" },
    courses = { "personvern-grunnkurs", "informasjonssikkerhet-grunnkurs", "taushetsplikt",
                "phishing", "avvik" } },
  { roles = { "leder", "virksomhetsleder", "kommunaldirektor" },
    courses = { "personvern-for-ledere" } },
  { roles = { "personvernkoordinator" }, courses = { "pko-opplaering" } },
  { roles = { "informasjonssikkerhetskoordinator", "systemeier" },
    courses = { "isk-opplaering" } },
  -- A unit rule (the unit's external id; roles may be left out):
  -- { unit = "HELSE", roles = { "ansatt" }, courses = { "taushetsplikt" },
  --   reason = "Påkrevd i helse og omsorg" },
}

local function setting(key, default)
  local v = vern.config[key]
  if v == nil then return default end
  local n = tonumber(v)
  if n == nil or n < 0 or n ~= math.floor(n) then
    error("plugin." .. NAME .. "." .. key .. " must be a whole number of days, not " .. v)
  end
  return n
end

local DUE_DAYS = setting("due_days", 30)
local REMIND_DAYS = setting("remind_days", 14)
local WELCOME_MAIL = vern.config.welcome_mail == "true"
if vern.config.welcome_mail ~= nil and vern.config.welcome_mail ~= "true"
   and vern.config.welcome_mail ~= "false" then
  error("plugin." .. NAME .. ".welcome_mail must be true or false, not " .. vern.config.welcome_mail)
end
local DAY = 86400

local function date_of(t) return os.date("%Y-%m-%d", t) end

local function add_days(date, n)
  local y, m, d = date:match("^(%d%d%d%d)-(%d%d)-(%d%d)$")
  return date_of(os.time { year = tonumber(y), month = tonumber(m), day = tonumber(d) + n, hour = 12 })
end

-- Per call: the unit paths the rules name. The catalogue is kept for a
-- minute (this state may serve many calls).
local cache
local known = { at = nil, courses = nil }

local function catalogue()
  local now = vern.now()
  if not known.courses or math.abs(now - known.at) > 60 then
    known.courses, known.at = {}, now
    for _, c in ipairs(vern.courses()) do known.courses[c.id] = c end
  end
  return known.courses
end

local function unit_path(unit)
  cache.units = cache.units or {}
  if cache.units[unit] == nil then
    local rows = vern.units { id = unit }
    cache.units[unit] = rows[1] and rows[1].path or false
  end
  return cache.units[unit]
end

local function has_role(e, role)
  for _, r in ipairs(e.roles) do
    if r == role then return true end
  end
  return false
end

-- The reason a rule requires its courses of e, or nil when it does not.
local function rule_reason(rule, e)
  local matched
  if rule.roles then
    for _, r in ipairs(rule.roles) do
      if has_role(e, r) then matched = r break end
    end
    if not matched then return nil end
  end
  if rule.unit then
    local p = unit_path(rule.unit)
    if not p or not e.unit_path or e.unit_path:sub(1, #p) ~= p then return nil end
  end
  if rule.reason then return rule.reason end
  if rule.unit then return "Påkrevd i enheten " .. rule.unit end
  return "Påkrevd for rollen " .. matched
end

-- course id -> reason, for every course some rule requires of e.
local function required(e)
  local need = {}
  for _, rule in ipairs(RULES) do
    local reason = rule_reason(rule, e)
    if reason then
      for _, course in ipairs(rule.courses) do
        need[course] = need[course] or reason
      end
    end
  end
  return need
end

-- Brings e's assignments in line with the rules; returns the set of
-- courses newly assigned.
local function sync(e, now)
  local added = {}
  local existing = {}
  for _, a in ipairs(vern.assignments { employee = e.id, limit = 10000 }) do
    existing[a.course] = a
  end
  if not e.active then
    for course, a in pairs(existing) do
      if a.plugin == NAME then
        vern.unassign { employee = e.id, course = course, reason = "Ikke lenger aktiv" }
      end
    end
    return added
  end
  local today = date_of(now)
  local base = today
  if e.start_date and e.start_date > today then base = e.start_date end
  local done = {}
  for _, c in ipairs(vern.completions { employee = e.id, limit = 10000 }) do
    done[c.course] = c
  end
  local courses = catalogue()
  local need = required(e)
  for course, reason in pairs(need) do
    if courses[course] then
      local a, c = existing[course], done[course]
      local due
      if c and c.expires and date_of(c.expires) >= today then
        due = date_of(c.expires)          -- renewal when the completion runs out
      elseif a and a.due then
        due = a.due                       -- keep the deadline already given
      else
        due = add_days(base, DUE_DAYS)
      end
      if not a or (a.plugin == NAME and (a.due ~= due or a.reason ~= reason)) then
        vern.assign { employee = e.id, course = course, due = due, reason = reason }
        if not a then added[course] = true end
      end
    end
  end
  for course, a in pairs(existing) do
    if a.plugin == NAME and not need[course] then
      vern.unassign { employee = e.id, course = course, reason = "Ikke lenger påkrevd" }
    end
  end
  return added
end

-- Emails a newcomer a link to the first course they were given.
local function welcome(e, added)
  for _, rule in ipairs(RULES) do
    for _, course in ipairs(rule.courses) do
      if added[course] then
        local ok, why = vern.mail { employee = e.id, course = course, template = "leksjon" }
        if not ok then vern.log("info", "no welcome email for " .. e.external_id .. ": " .. why) end
        return
      end
    end
  end
end

-- Moves each completed assignment's due date to its renewal date.
local function renew(now)
  local cursor
  repeat
    local rows
    rows, cursor = vern.assignments { plugin = NAME, after = cursor, limit = 5000 }
    for _, a in ipairs(rows) do
      if a.expires then
        local renewal = date_of(a.expires)
        if renewal > (a.due or "") then
          vern.assign { employee = a.employee_id, course = a.course, due = renewal,
                        reason = a.reason }
        end
      end
    end
  until not cursor
end

local function reminders(params)
  local days = tonumber(params.days) or REMIND_DAYS
  local all = params.all == true or params.all == "true"
  local now = vern.now()
  local soon = date_of(now + days * DAY)
  local out = {}
  local cursor
  repeat
    local rows
    rows, cursor = vern.assignments { plugin = (not all) and NAME or nil,
                                      status = { "open", "overdue", "expiring" },
                                      within_days = days, active = true,
                                      after = cursor, limit = 5000 }
    for _, a in ipairs(rows) do
      local kind
      if a.status == "overdue" then kind = "overdue"
      elseif a.status == "expiring" then kind = "expiring"
      elseif a.due and a.due <= soon then kind = "due_soon" end
      if kind then
        out[#out + 1] = { employee_id = a.employee_id, employee = a.employee, course = a.course,
                          due = a.due, kind = kind,
                          expires = a.expires and date_of(a.expires) or nil }
      end
    end
  until not cursor
  return out
end

return {
  name = NAME,
  version = "1.0.0",
  description = "Obligatorisk opplæring etter rolle og enhet, med årlig fornyelse",

  on_employee = function(e, change)
    cache = {}
    local added = sync(e, vern.now())
    if WELCOME_MAIL and change == "created" and e.active then welcome(e, added) end
  end,

  daily = function(now)
    cache = {}
    renew(now)
  end,

  reports = {
    reminders = function(params)
      cache = {}
      return reminders(params)
    end,
    rules = function()
      return { rules = RULES, due_days = DUE_DAYS, remind_days = REMIND_DAYS,
               welcome_mail = WELCOME_MAIL }
    end,
  },
}
