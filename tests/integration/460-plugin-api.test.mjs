// 460-plugin-api: the `vern` API a plugin sees: reads with their filters
// and paging, option checking, bulk assign/unassign by unit, role and
// everyone, only a plugin's own assignments touched, a failing call
// writing nothing, plugin settings, and the daily schedule (once a day).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertNoSanitizerFindings } from './lib/server.mjs';
import { localSeconds, sql, startWithPlugins, UNITS_CSV } from './lib/plugins.mjs';

const PROBE = `
return {
  name = "probe",
  version = "1",
  on_employee = function(e, change)
    if e.external_id == "bulk" and change == "created" then
      vern.assign { unit = "HO", role = "leder", course = "personvern-for-ledere", due = "2030-01-01",
                    reason = "ledere i helse" }
      vern.assign { everyone = true, course = "phishing", reason = "alle" }
      vern.assign { unit = "SK", course = "avvik", reason = "skole" }
    elseif e.external_id == "unbulk" and change == "created" then
      vern.unassign { unit = "SK", course = "avvik" }
      vern.unassign { everyone = true, role = "leder", course = "phishing" }
      vern.unassign { employee = "hr1" }
    elseif e.external_id == "fail" then
      vern.assign { everyone = true, course = "taushetsplikt" }
      error("after assign: nothing of this call may be written")
    end
  end,
  daily = function(now)
    vern.log("daily ran for " .. os.date("%Y-%m-%d", now))
  end,
  reports = {
    q = function()
      local out = {}
      out.all = #vern.employees {}
      out.active = #vern.employees { active = true }
      out.inactive = #vern.employees { active = false }
      out.leder = #vern.employees { role = "leder" }
      out.ho = #vern.employees { unit = "HO" }
      out.hj = #vern.employees { unit = "HJ" }
      out.ho_leder = #vern.employees { unit = "HO", role = "leder" }
      local one = vern.employee("l1")
      out.one = { unit = one.unit, unit_name = one.unit_name, unit_path = one.unit_path,
                  roles = one.roles, manager = one.manager, email = one.email, active = one.active,
                  start_date = one.start_date }
      out.by_id = vern.employee(one.id).external_id
      out.missing = vern.employee("nobody") == nil
      local page, cursor = vern.employees { limit = 2 }
      out.page = #page
      out.rest = #vern.employees { after = cursor }
      out.last_cursor = select(2, vern.employees { after = cursor }) == nil
      out.units = #vern.units {}
      out.agencies = #vern.units { agency = true }
      out.under_ho = #vern.units { under = "HO" }
      out.parent = vern.units { id = "HJ" }[1].parent
      out.roles = #vern.roles()
      out.courses = #vern.courses()
      out.course = vern.courses { id = "avvik" }[1].activity_id
      out.assignments_ho = #vern.assignments { unit = "HO" }
      out.assignments_phishing = #vern.assignments { course = "phishing" }
      out.assignments_probe = #vern.assignments { plugin = "probe" }
      out.assignments_hr1 = #vern.assignments { employee = "hr1" }
      out.open = #vern.assignments { status = { "open", "overdue" } }
      out.completions = #vern.completions {}
      out.completions_l1 = #vern.completions { employee = "l1" }
      out.history = #vern.completions { history = true }
      out.config = vern.config.greeting
      out.plugin = vern.plugin
      out.now_close = math.abs(vern.now() - os.time()) < 5
      local errs = {}
      for name, f in pairs {
        unknown_option = function() return vern.employees { nme = "x" } end,
        bad_type = function() return vern.employees { active = "yes" } end,
        bad_limit = function() return vern.employees { limit = 0 } end,
        unknown_unit = function() return vern.employees { unit = "NOPE" } end,
        bad_status = function() return vern.assignments { status = "done" } end,
        unknown_employee = function() return vern.assignments { employee = "nobody" } end,
        stats_no_courses = function() return vern.stats {} end,
        stats_unknown_course = function() return vern.stats { courses = { "nope" } } end,
        write_in_report = function() return vern.unassign { employee = "l1" } end,
      } do
        local ok, err = pcall(f)
        errs[name] = ok and "no error" or err
      end
      out.errors = errs
      out.stats_units = #vern.stats { courses = { "phishing" }, group = "unit" }
      out.stats_ho = vern.stats { courses = { "phishing" }, unit = "HO" }
      return out
    end,
  },
}
`;

test('the vern API: reads, filters, bulk writes, failures and the daily schedule', async (t) => {
  const h = await startWithPlugins(t, {
    files: { probe: PROBE }, settings: { 'probe.greeting': 'hei' }, args: ['--plugins-daily-hour', '2'],
  });
  await h.importCsv(UNITS_CSV);
  await h.importCsv(`employee_id,name,email,unit_id,manager_id,roles,active,start_date
l1,Liv Leder,liv@k.no,HJ,,leder,ja,2019-05-01
h2,Hans,,HO,l1,,ja,
s1,Siri,,SK,,,ja,
s2,Sven Leder,,SK,,leder,ja,
hr1,Helle HR,,K,,hr,ja,
x1,Xander,,HJ,,,nei,
`);
  await h.events();
  sql(h.srv, "INSERT INTO assignments(employee_id, course_id, reason, plugin, created_ms) SELECT id, 'avvik', 'for hånd', '', 0 FROM employees WHERE external_id = 's1'");

  await h.importCsv('employee_id,name,unit_id\nbulk,Bulk,K\n', ['--partial']);
  await h.events();
  const probe = () => h.assignments("a.plugin = 'probe'").map((a) => `${a.employee}:${a.course}`);
  assert.deepEqual(probe(), [
    'bulk:phishing', 'h2:phishing', 'hr1:phishing', 'l1:personvern-for-ledere', 'l1:phishing',
    's1:phishing', 's2:avvik', 's2:phishing',
  ]);
  assert.deepEqual(h.assignments("e.external_id = 's1' AND a.course_id = 'avvik'")[0].plugin, '', 'hand-made kept');

  const r = await h.report('probe', 'q');
  assert.equal(r.status, 200, r.text);
  const q = r.json;
  assert.deepEqual(q.errors && Object.keys(q.errors).filter((k) => q.errors[k] === 'no error'), []);
  assert.match(q.errors.unknown_option, /vern.employees: unknown option 'nme'/);
  assert.match(q.errors.bad_type, /active must be true or false/);
  assert.match(q.errors.bad_limit, /limit must be 1 to 10000/);
  assert.match(q.errors.unknown_unit, /unknown unit NOPE/);
  assert.match(q.errors.bad_status, /status must be/);
  assert.match(q.errors.unknown_employee, /unknown employee nobody/);
  assert.match(q.errors.stats_no_courses, /courses must be a list/);
  assert.match(q.errors.stats_unknown_course, /unknown course nope/);
  assert.match(q.errors.write_in_report, /not allowed in reports/);
  delete q.errors;
  const statsHo = q.stats_ho;
  delete q.stats_ho;
  assert.deepEqual(q, {
    all: 7, active: 6, inactive: 1, leder: 2, ho: 3, hj: 2, ho_leder: 1,
    one: { unit: 'HJ', unit_name: 'Hjemmetjenesten', unit_path: q.one.unit_path, roles: ['ansatt', 'leder'],
      email: 'liv@k.no', active: true, start_date: '2019-05-01' },
    by_id: 'l1', missing: true, page: 2, rest: 5, last_cursor: true,
    units: 4, agencies: 2, under_ho: 2, parent: 'HO', roles: 9, courses: 8,
    course: 'urn:vern:kurs:avvik',
    assignments_ho: 3, assignments_phishing: 6, assignments_probe: 8, assignments_hr1: 1, open: 9,
    completions: 0, completions_l1: 0, history: 0,
    config: 'hei', plugin: 'probe', now_close: true, stats_units: 4,
  });
  assert.match(q.one.unit_path, /^\/\d+\/\d+\/\d+\/$/);
  assert.deepEqual(statsHo.map((g) => [g.id, g.headcount, g.courses.phishing.assigned]), [['HO', 2, 2]]);

  // Bulk unassign: only the plugin's own rows, by unit, by role, all of one employee.
  await h.importCsv('employee_id,name,unit_id\nunbulk,Unbulk,K\n', ['--partial']);
  await h.events();
  assert.deepEqual(probe(), ['bulk:phishing', 'h2:phishing', 'l1:personvern-for-ledere', 's1:phishing']);
  assert.equal(h.assignments("e.external_id = 's1' AND a.course_id = 'avvik'").length, 1);

  // A call that fails after assigning writes nothing, and is counted.
  await h.importCsv('employee_id,name,unit_id\nfail,Feil,K\n', ['--partial']);
  await h.events();
  assert.equal(h.assignments("a.course_id = 'taushetsplikt'").length, 0);
  const st = await h.status();
  assert.equal(st.probe.errors, 1);
  assert.match(st.probe.last_error, /on_employee: .*nothing of this call may be written/);

  // The daily schedule runs each plugin once per local day, after the hour.
  const sched = (now) => h.api('/api/test/plugins/scheduled', { method: 'POST', body: { now } });
  const y = new Date().getFullYear();
  assert.equal((await sched(localSeconds(y, 3, 1, 1))).json.result, 0, 'before plugins_daily_hour (2)');
  assert.equal((await sched(localSeconds(y, 3, 1, 3))).json.result, 1);
  assert.equal((await sched(localSeconds(y, 3, 1, 23))).json.result, 0, 'once a day');
  assert.equal((await sched(localSeconds(y, 3, 2, 3))).json.result, 1);
  assert.match(h.srv.stderr(), new RegExp(`daily ran for ${y}-03-02`));
  assert.equal(sql(h.srv, "SELECT last_day FROM plugin_runs WHERE plugin = 'probe'")[0].last_day, `${y}-03-02`);

  assert.equal(await h.srv.stop(), 0);
  assertNoSanitizerFindings(h.srv.stderr());
});
