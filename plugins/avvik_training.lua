-- avvik_training.lua: training driven by incidents (avvik).
--
-- When an incident is registered for a unit (POST /api/incidents with a
-- category and a unit, nothing about any person; Vern stores it as an xAPI
-- statement whose actor is the unit), the course matching the category is
-- assigned to the active staff of that unit and every unit under it, due
-- due_days later. People who completed that course within recent_days are
-- left alone, and so are assignments made by hand or by other plugins.
--
-- Report "rules" lists the categories and their courses.
--
-- Settings (config file):
--   plugin.avvik_training.due_days = 30
--   plugin.avvik_training.recent_days = 90

local NAME = "avvik_training"
local INCIDENT_VERB = "urn:vern:verb:avvik-meldt"
local PREFIX = "urn:vern:avvik:"

-- Incident category -> course.
local RULES = {
  ["taushetsbrudd"] = "taushetsplikt",
  ["uautorisert-innsyn"] = "taushetsplikt",
  ["personopplysninger-pa-avveie"] = "personvern-grunnkurs",
  ["feilsendt-post"] = "personvern-grunnkurs",
  ["phishing"] = "phishing",
  ["svindel"] = "phishing",
  ["tilgangsstyring"] = "informasjonssikkerhet-grunnkurs",
  ["tapt-utstyr"] = "informasjonssikkerhet-grunnkurs",
  ["sen-avviksmelding"] = "avvik",
}

local function days(key, default)
  local v = tonumber(vern.config[key] or default)
  if not v or v < 0 or v ~= math.floor(v) then
    error("plugin." .. NAME .. "." .. key .. " must be a whole number of days")
  end
  return v
end

local DUE_DAYS = days("due_days", 30)
local RECENT_DAYS = days("recent_days", 90)

local function incident(s)
  if not (s.verb and s.verb.id == INCIDENT_VERB) then return nil end
  local id = s.object and s.object.id or ""
  if id:sub(1, #PREFIX) ~= PREFIX then return nil end
  local unit = s.actor and s.actor.account and s.actor.account.name
  if not unit then return nil end
  return id:sub(#PREFIX + 1), unit
end

local function assign_for(category, unit_id)
  local course = RULES[category]
  if not course then
    vern.log("warn", "ukjent avvikskategori " .. category .. ": ingen opplæring tildelt")
    return
  end
  local unit = vern.units { id = unit_id }[1]
  if not unit then
    vern.log("warn", "avvik for ukjent enhet " .. unit_id)
    return
  end
  if not vern.courses { id = course }[1] then
    vern.log("warn", "kurset " .. course .. " for avvikskategori " .. category .. " finnes ikke")
    return
  end
  local now = vern.now()
  local recent = {}
  local cursor
  repeat
    local rows
    rows, cursor = vern.completions { unit = unit_id, course = course,
                                      since = now - RECENT_DAYS * 86400,
                                      after = cursor, limit = 5000 }
    for _, c in ipairs(rows) do recent[c.employee_id] = true end
  until not cursor
  local due = os.date("%Y-%m-%d", now + DUE_DAYS * 86400)
  local reason = "Avvik (" .. category .. ") meldt for " .. unit.name
  local count = 0
  repeat
    local rows
    rows, cursor = vern.employees { unit = unit_id, active = true, after = cursor, limit = 5000 }
    for _, e in ipairs(rows) do
      if not recent[e.id] then
        vern.assign { employee = e.id, course = course, due = due, reason = reason }
        count = count + 1
      end
    end
  until not cursor
  vern.log("info", string.format("avvik %s i %s: %s tildelt %d ansatte", category, unit_id,
                                 course, count))
end

return {
  name = NAME,
  version = "1.0.0",
  description = "Opplæring utløst av avvik: kurs til enheten der avviket skjedde",
  statement_verbs = { INCIDENT_VERB },

  on_statement = function(s)
    local category, unit = incident(s)
    if category then assign_for(category, unit) end
  end,

  reports = {
    rules = function()
      local list = {}
      for category, course in pairs(RULES) do
        list[#list + 1] = { category = category, course = course }
      end
      table.sort(list, function(a, b) return a.category < b.category end)
      return { rules = list, due_days = DUE_DAYS, recent_days = RECENT_DAYS }
    end,
  },
}
