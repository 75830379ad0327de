// 470-plugin-mail: vern.mail, email from Lua plugins. A lesson email with a
// personal link and an email of the plugin's own reach a real SMTP server
// (the aiosmtpd sink) as well-formed MIME; an address outside the
// employees and the plugin's mail_to setting is refused; an employee
// without an address is skipped with a reason; a call that fails sends
// nothing; reports may not send; bad options are errors that name the rule.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertNoSanitizerFindings } from './lib/server.mjs';
import { readToken, sinkArgs, startSink, tokenOf, waitFor } from './lib/mail.mjs';
import { sql, startWithPlugins, UNITS_CSV } from './lib/plugins.mjs';

const MAILER = `
local function try(name, f)
  local ok, err = pcall(f)
  vern.log("TRY " .. name .. ": " .. (ok and "no error" or tostring(err)))
end

return {
  name = "mailer",
  version = "1",
  on_employee = function(e, change)
    if change ~= "created" then return end
    if e.external_id == "a1" then
      assert(vern.mail { employee = e.id, course = "phishing" } == true)
      assert(vern.mail { employee = e.external_id, subject = "Velkommen, " .. e.name,
                         text = "Hei!\\nDu er nå registrert i Vern.", html = "<p>Hei!</p>" })
      assert(vern.mail { to = "ombud@k.no", subject = "Ny ansatt i " .. e.unit,
                         text = "En ny ansatt er registrert." })
    elseif e.external_id == "b1" then
      local ok, why = vern.mail { employee = e.id, course = "avvik" }
      vern.log("NOMAIL " .. tostring(ok) .. " " .. tostring(why))
    elseif e.external_id == "f1" then
      vern.mail { employee = "a1", course = "avvik" }
      error("after mail: nothing of this call may be sent")
    elseif e.external_id == "e1" then
      try("outsider", function() vern.mail { to = "noen@example.org", subject = "x", text = "y" } end)
      try("colleague", function() return vern.mail { to = "a1@k.no", subject = "Hei", text = "Hei" } end)
      try("both", function() vern.mail { employee = e.id, to = "a1@k.no", subject = "x", text = "y" } end)
      try("neither", function() vern.mail { subject = "x", text = "y" } end)
      try("course_and_text", function() vern.mail { employee = "a1", course = "avvik", text = "y" } end)
      try("lesson_to_address", function() vern.mail { to = "a1@k.no", course = "avvik" } end)
      try("unknown_course", function() vern.mail { employee = "a1", course = "nope" } end)
      try("not_lesson_template", function() vern.mail { employee = "a1", course = "avvik", template = "test" } end)
      try("header_injection", function() vern.mail { employee = "a1", subject = "x\\r\\nBcc: alle@k.no", text = "y" } end)
      try("no_text", function() vern.mail { employee = "a1", subject = "x" } end)
      try("bad_utf8", function() vern.mail { employee = "a1", subject = "x", text = "\\255\\254" } end)
      try("config_changed", function()
        vern.config.mail_to = "noen@example.org"
        vern.mail { to = "noen@example.org", subject = "x", text = "y" }
      end)
      try("unknown_option", function() vern.mail { employee = "a1", subject = "x", text = "y", bcc = "z" } end)
    end
  end,
  reports = {
    send = function()
      local ok, err = pcall(vern.mail, { to = "ombud@k.no", subject = "x", text = "y" })
      return { ok = ok, err = err }
    end,
  },
}
`;

test('vern.mail: plugins queue lesson emails and their own, least privilege, all or nothing', async (t) => {
  const sink = await startSink(t);
  const h = await startWithPlugins(t, {
    files: { mailer: MAILER },
    settings: { 'mailer.mail_to': 'personvernombud@k.no,ombud@k.no' },
    args: sinkArgs(sink, ['--mail-rate-per-minute', '600', '--mail-tick-seconds', '60']),
  });
  await h.importCsv(UNITS_CSV);
  await h.importCsv(`employee_id,name,email,unit_id,manager_id,roles,active,start_date
a1,Åse Ansatt,a1@k.no,HJ,,,ja,
b1,Bjørn Uten Epost,,HJ,,,ja,
`);
  await h.events();
  // The sender is woken by the commit, not by its 60 s tick.
  await waitFor(() => sink.count() >= 3, { ms: 20000, what: 'three emails from the plugin' });
  const msgs = await sink.check();
  assert.equal(msgs.length, 3);
  for (const m of msgs) assert.deepEqual(m.problems, [], m.file);
  const bySubject = Object.fromEntries(msgs.map((m) => [m.subject, m]));
  const welcome = bySubject['Velkommen, Åse Ansatt'];
  assert.ok(welcome, JSON.stringify(msgs.map((m) => m.subject)));
  assert.equal(welcome.to, 'a1@k.no');
  assert.match(welcome.text, /Du er nå registrert i Vern/);
  assert.match(welcome.html, /<p>Hei!<\/p>/);
  const toOmbud = msgs.find((m) => m.to === 'ombud@k.no');
  assert.equal(toOmbud.subject, 'Ny ansatt i HJ');
  const lesson = msgs.find((m) => m.to === 'a1@k.no' && m !== welcome);
  const link = /https?:\/\/\S+\/e\/[A-Za-z0-9_-]+/.exec(lesson.text)?.[0];
  assert.ok(link, lesson.text);
  const tok = readToken(tokenOf(link));
  const a1 = sql(h.srv, "SELECT id FROM employees WHERE external_id = 'a1'")[0].id;
  assert.equal(tok.employeeId, a1);
  assert.equal(tok.course, 'phishing');
  await waitFor(() => /NOMAIL/.test(h.srv.stderr()), { what: 'the NOMAIL log line' });
  assert.match(h.srv.stderr(), /plugin_log plugin=mailer message="NOMAIL nil Den ansatte har ingen e-postadresse."/);

  // A failing call sends nothing.
  await h.importCsv('employee_id,name,email,unit_id\nf1,Feil,f1@k.no,HJ\n', ['--partial']);
  await h.events();
  assert.equal((await h.status()).mailer.errors, 1);

  // Rules, checked in a hook.
  await h.importCsv('employee_id,name,email,unit_id\ne1,Eva,e1@k.no,HJ\n', ['--partial']);
  await h.events();
  await waitFor(() => /TRY unknown_option/.test(h.srv.stderr()), { what: 'the hook\'s log lines' });
  const tries = Object.fromEntries([...h.srv.stderr().matchAll(/message="TRY ([a-z0-9_]+): ([^"]*)"/g)]
    .map((m) => [m[1], m[2]]));
  assert.match(tries.outsider, /noen@example.org is not an employee's address and not in plugin.mailer.mail_to/);
  assert.equal(tries.colleague, 'no error');
  assert.match(tries.both, /exactly one of employee or to/);
  assert.match(tries.neither, /exactly one of employee or to/);
  assert.match(tries.course_and_text, /leave out subject, text and html/);
  assert.match(tries.lesson_to_address, /lesson link is personal/);
  assert.match(tries.unknown_course, /unknown course nope/);
  assert.match(tries.not_lesson_template, /test is not a lesson email template/);
  assert.match(tries.header_injection, /Emnet/);
  assert.match(tries.no_text, /Teksten/);
  assert.match(tries.bad_utf8, /Teksten/);
  assert.match(tries.unknown_option, /unknown option 'bcc'/);
  assert.match(tries.config_changed, /noen@example.org is not an employee's address/, 'vern.config is not the allow list');

  const r = await h.report('mailer', 'send');
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.ok, false);
  assert.match(r.json.err, /not allowed in reports/);

  // e1's hook queued one email (the colleague one) and nothing else.
  await waitFor(() => sink.count() >= 4, { ms: 20000, what: "the colleague email" });
  await new Promise((res) => setTimeout(res, 500));
  const to = sink.entries().map((e) => e.to[0]).sort();
  assert.deepEqual(to, ['a1@k.no', 'a1@k.no', 'a1@k.no', 'ombud@k.no']);
  assert.equal(sql(h.srv, "SELECT count(*) AS n FROM mail_outbox WHERE course_id = 'avvik'")[0].n, 0);
  assert.equal(await h.srv.stop(), 0);
  assertNoSanitizerFindings(h.srv.stderr());
});

test('mandatory_by_role with welcome_mail: a newcomer gets a link to their first course, once', async (t) => {
  const sink = await startSink(t);
  const h = await startWithPlugins(t, {
    bundled: ['mandatory_by_role'],
    settings: { 'mandatory_by_role.welcome_mail': 'true' },
    args: sinkArgs(sink, ['--mail-rate-per-minute', '600', '--mail-tick-seconds', '60']),
  });
  await h.importCsv(UNITS_CSV);
  await h.importCsv(`employee_id,name,email,unit_id,manager_id,roles,active,start_date
n1,Nina Ny,n1@k.no,HJ,,,ja,
n2,Nils Uten Epost,,HJ,,,ja,
`);
  await h.events();
  await waitFor(() => sink.count() >= 1, { ms: 20000, what: 'the welcome email' });
  // A change later (a new role) gives new courses but no second welcome.
  await h.importCsv('employee_id,name,email,unit_id,roles\nn1,Nina Ny,n1@k.no,HJ,leder\n', ['--partial']);
  await h.events();
  await new Promise((res) => setTimeout(res, 1500));
  const msgs = await sink.check();
  assert.equal(msgs.length, 1);
  assert.deepEqual(msgs[0].problems, []);
  assert.equal(msgs[0].to, 'n1@k.no');
  const link = /https?:\/\/\S+\/e\/[A-Za-z0-9_-]+/.exec(msgs[0].text)?.[0];
  assert.equal(readToken(tokenOf(link)).course, 'personvern-grunnkurs');
  assert.ok(h.assignments("e.external_id = 'n1' AND a.course_id = 'personvern-for-ledere'").length === 1);
  await waitFor(() => /no welcome email for n2: Den ansatte har ingen e-postadresse/.test(h.srv.stderr()),
    { what: 'the log line for n2' });
  const rules = await h.report('mandatory_by_role', 'rules');
  assert.equal(rules.json.welcome_mail, true);
  assert.equal(await h.srv.stop(), 0);
  assertNoSanitizerFindings(h.srv.stderr());
});
