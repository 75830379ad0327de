-- appraisal.lua: the input for the appraisal talk (medarbeidersamtale).
--
-- Report "employee" ({employee = EXTERNAL_ID} or {employee_id = ID}): the
-- employee's roles, every course required of them (their assignments, with
-- who required it and why) against their completions: completed, expiring
-- within expiring_days, overdue, or still open; and courses completed
-- without being required.
-- Report "unit" ({unit = UNIT_ID}): the same counts for each active
-- employee of the unit and the units under it, for the leader.
--
-- Settings (config file):
--   plugin.appraisal.expiring_days = 60

local NAME = "appraisal"

local EXPIRING_DAYS = tonumber(vern.config.expiring_days or "60")
if not EXPIRING_DAYS or EXPIRING_DAYS < 0 or EXPIRING_DAYS ~= math.floor(EXPIRING_DAYS) then
  error("plugin." .. NAME .. ".expiring_days must be a whole number of days")
end

local function date_of(t) return t and os.date("%Y-%m-%d", t) or nil end

local function titles()
  local t = {}
  for _, c in ipairs(vern.courses()) do t[c.id] = c.title end
  return t
end

local function find_employee(params)
  local e
  if params.employee_id then
    local id = tonumber(params.employee_id)
    if not id then error("employee_id must be a number") end
    e = vern.employee(math.floor(id))
  elseif type(params.employee) == "string" then
    e = vern.employee(params.employee)
  else
    error("give employee (external id) or employee_id")
  end
  if not e then error("no such employee") end
  return e
end

local function employee_report(params)
  local e = find_employee(params)
  local title = titles()
  local report = {
    employee = { id = e.id, external_id = e.external_id, name = e.name, unit = e.unit,
                 unit_name = e.unit_name, roles = e.roles, start_date = e.start_date,
                 active = e.active },
    date = os.date("%Y-%m-%d", vern.now()),
    requirements = {}, completed = {}, expiring = {}, overdue = {}, open = {},
    other_completions = {},
  }
  local required = {}
  local rows = vern.assignments { employee = e.id, within_days = EXPIRING_DAYS, limit = 10000 }
  table.sort(rows, function(a, b) return a.course < b.course end)
  for _, a in ipairs(rows) do
    required[a.course] = true
    local item = { course = a.course, title = title[a.course] or a.course, reason = a.reason,
                   required_by = a.plugin ~= "" and a.plugin or "manuelt", due = a.due,
                   status = a.status, completed = date_of(a.completed),
                   expires = date_of(a.expires) }
    table.insert(report.requirements, item)
    local list = report[a.status]
    if a.status == "expiring" then table.insert(report.completed, item) end
    table.insert(list, item)
  end
  for _, c in ipairs(vern.completions { employee = e.id, limit = 10000 }) do
    if not required[c.course] then
      table.insert(report.other_completions, { course = c.course,
        title = title[c.course] or c.course, completed = date_of(c.completed),
        expires = date_of(c.expires) })
    end
  end
  report.summary = { required = #report.requirements, completed = #report.completed,
                     expiring = #report.expiring, overdue = #report.overdue,
                     open = #report.open }
  return report
end

local function unit_report(params)
  local unit = params.unit
  if type(unit) ~= "string" then error("give unit (the unit's id)") end
  local people, order = {}, {}
  local cursor
  repeat
    local rows
    rows, cursor = vern.employees { unit = unit, active = true, after = cursor, limit = 5000 }
    for _, e in ipairs(rows) do
      people[e.id] = { employee_id = e.id, external_id = e.external_id, name = e.name,
                       unit = e.unit, required = 0, completed = 0, expiring = 0,
                       overdue = 0, open = 0 }
      order[#order + 1] = people[e.id]
    end
  until not cursor
  repeat
    local rows
    rows, cursor = vern.assignments { unit = unit, active = true, within_days = EXPIRING_DAYS,
                                      after = cursor, limit = 5000 }
    for _, a in ipairs(rows) do
      local p = people[a.employee_id]
      if p then
        p.required = p.required + 1
        p[a.status] = p[a.status] + 1
        if a.status == "expiring" then p.completed = p.completed + 1 end
      end
    end
  until not cursor
  table.sort(order, function(a, b) return a.name < b.name end)
  return { unit = unit, date = os.date("%Y-%m-%d", vern.now()), employees = order }
end

return {
  name = NAME,
  version = "1.0.0",
  description = "Grunnlag for medarbeidersamtalen: krav, gjennomføringer, utløp og forsinkelser",
  reports = { employee = employee_report, unit = unit_report },
}
