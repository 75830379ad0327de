// tests/integration/lib/views.mjs: a small municipality for the leader, HR
// and ombud view tests, written straight into a migrated database with the
// sqlite3 CLI, and signing in through the test-only POST /api/test/session.
//
// Org tree:  1 Testvik kommune
//              2 Oppvekst          3 Solbakken skole (agency)  4 Solbakken SFO
//              5 Helse og omsorg   6 Lia sykehjem (agency)     7 Avdeling A
//                                  8 Fjellstua (agency, 3 people: a group under 5)
// People: leaders L3 (Solbakken skole) and L6 (Lia sykehjem), HR H1, ombud O1
// (all employees with org roles), an admin account (username admin) without an
// employee, and staff S3-*, S4-*, S6-*, S7-*, S8-*.

import { ROOT, makeTempDir, runProgram, runVern, startServer } from './server.mjs';
import path from 'node:path';

const DAY = 24 * 3600 * 1000;
const q = (s) => `'${String(s).replace(/'/g, "''")}'`;

export const COURSES = [
  ['personvern-grunnkurs', 'Personvern – grunnkurs'],
  ['informasjonssikkerhet-grunnkurs', 'Informasjonssikkerhet – grunnkurs'],
  ['phishing', 'Svindel og phishing på e-post'],
  ['personvern-for-ledere', 'Personvern for ledere'],
];

const UNITS = [
  [1, 'kommune', 'Testvik kommune', null, 0, '/1/'],
  [2, 'oppvekst', 'Oppvekst', 1, 0, '/1/2/'],
  [3, 'solbakken', 'Solbakken skole', 2, 1, '/1/2/3/'],
  [4, 'solbakken-sfo', 'Solbakken SFO', 3, 0, '/1/2/3/4/'],
  [5, 'helse', 'Helse og omsorg', 1, 0, '/1/5/'],
  [6, 'lia', 'Lia sykehjem', 5, 1, '/1/5/6/'],
  [7, 'lia-a', 'Avdeling A', 6, 0, '/1/5/6/7/'],
  [8, 'fjellstua', 'Fjellstua', 5, 1, '/1/5/8/'],
];

const FIRST = ['Kari', 'Ola', 'Ingrid', 'Per', 'Siri', 'Nils', 'Åse', 'Øystein', 'Marit', 'Jon', 'Liv', 'Håkon'];
const LAST = ['Nordmann', 'Hansen', 'Johansen', 'Olsen', 'Larsen', 'Berg', 'Dahl', 'Lie', 'Moen', 'Bakke'];

/** Builds the people, assignments and completions. Returns a description
 * of who is who (ids and external ids) for the tests. */
export function municipality(now = Date.now()) {
  const people = [];
  const add = (ext, name, unit, roles = []) => {
    const id = people.length + 1;
    people.push({ id, ext, name, unit, roles });
    return people[id - 1];
  };
  const who = {
    leader3: add('L3', 'Lise Leder', 3, ['leder']),
    leader6: add('L6', 'Leif Lia', 6, ['virksomhetsleder']),
    hr: add('H1', 'Hanne Hr', 1, ['hr']),
    ombud: add('O1', 'Ola Ombud', 1, ['personvernombud']),
  };
  let n = 0;
  const staffIn = (unit, count, prefix) => {
    for (let i = 0; i < count; i++, n++)
      add(`${prefix}-${i + 1}`, `${FIRST[n % FIRST.length]} ${LAST[(n * 7) % LAST.length]} ${prefix}${i + 1}`, unit);
  };
  staffIn(3, 8, 'S3');
  staffIn(4, 6, 'S4');
  staffIn(6, 5, 'S6');
  staffIn(7, 9, 'S7');
  staffIn(8, 3, 'S8');

  const sql = ['BEGIN;'];
  for (const [id, ext, name, parent, agency, p] of UNITS)
    sql.push(`INSERT INTO org_units(id, external_id, name, parent_id, is_agency, path) VALUES(${id}, ${q(ext)}, ${q(name)}, ${parent ?? 'NULL'}, ${agency}, ${q(p)});`);
  for (const [id, title] of COURSES)
    sql.push(`INSERT INTO courses(id, activity_id, title, valid_months, created_ms) VALUES(${q(id)}, ${q('urn:vern:kurs:' + id)}, ${q(title)}, 12, ${now - 800 * DAY});`);
  const yearAgo = now - 400 * DAY;
  const completions = [];
  const history = [];
  const lastYear = new Date(new Date(now).getFullYear() - 1, 5, 15).getTime();
  for (const p of people) {
    sql.push(`INSERT INTO employees(id, external_id, name, email, unit_id, active, start_date, updated_ms) VALUES(${p.id}, ${q(p.ext)}, ${q(p.name)}, ${q(p.ext.toLowerCase() + '@testvik.kommune.no')}, ${p.unit}, 1, '2020-01-01', ${now});`);
    sql.push(`INSERT INTO employee_roles(employee_id, role_id) SELECT ${p.id}, id FROM roles WHERE code = 'ansatt';`);
    for (const r of p.roles)
      sql.push(`INSERT INTO employee_roles(employee_id, role_id) SELECT ${p.id}, id FROM roles WHERE code = ${q(r)};`);
    const courses = ['personvern-grunnkurs', 'informasjonssikkerhet-grunnkurs', 'phishing'];
    if (p.roles.some((r) => ['leder', 'virksomhetsleder'].includes(r))) courses.push('personvern-for-ledere');
    courses.forEach((c, k) => {
      // Due dates: the first course was due 30 days ago, the others in 60 days.
      const due = new Date(now + (k === 0 ? -30 : 60) * DAY).toISOString().slice(0, 10);
      sql.push(`INSERT INTO assignments(employee_id, course_id, due_date, reason, plugin, created_ms) VALUES(${p.id}, ${q(c)}, ${q(due)}, ${q('Rolle: ansatt')}, 'mandatory_by_role', ${yearAgo});`);
      // A deterministic spread: most have the basic course (some so long
      // ago that it has expired), half the security course, three in four
      // the phishing course; a third also completed everything last year
      // (history only: the newer completion replaced it).
      if (k === 0 && p.id % 3 !== 0) completions.push([p.id, c, p.id % 5 === 0 ? now - 380 * DAY : now - (3 + p.id) * DAY]);
      if (k === 1 && p.id % 2 === 0) completions.push([p.id, c, now - (4 + p.id) * DAY]);
      if (k === 2 && p.id % 4 !== 1) completions.push([p.id, c, now - (2 + p.id) * DAY]);
      if (p.id % 3 === 1) history.push([p.id, c, lastYear]);
    });
  }
  // As the completion derivation writes them: the newest in completions,
  // every one in completion_history.
  const sid = (n) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
  let sn = 0;
  for (const [emp, course, at] of completions) {
    const id = sid(++sn);
    sql.push(`INSERT INTO completions(employee_id, course_id, completed_ms, expires_ms, success, statement_id) VALUES(${emp}, ${q(course)}, ${at}, ${at + 365 * DAY}, 1, ${q(id)});`);
    sql.push(`INSERT OR IGNORE INTO completion_history(statement_id, employee_id, course_id, completed_ms, success) VALUES(${q(id)}, ${emp}, ${q(course)}, ${at}, 1);`);
  }
  for (const [emp, course, at] of history)
    sql.push(`INSERT INTO completion_history(statement_id, employee_id, course_id, completed_ms, success) VALUES(${q(sid(++sn))}, ${emp}, ${q(course)}, ${at}, 1);`);
  sql.push(`INSERT INTO users(id, username, display_name, employee_id, created_ms) VALUES(1, 'admin', 'Ada Admin', NULL, ${now});`);
  sql.push(`INSERT INTO user_roles(user_id, role, unit_id) VALUES(1, 'admin', 0);`);
  sql.push('COMMIT;');
  return { sql: sql.join('\n'), people, who, completions };
}

/** A migrated database in dir with the municipality; returns its description. */
export async function seed(dir, now) {
  const db = path.join(dir, 'vern.db');
  const m = await runVern(['migrate', '--db', db]);
  if (m.code !== 0) throw new Error(`vern migrate failed: ${m.stderr}`);
  const world = municipality(now);
  await sqlite(db, world.sql);
  return world;
}

/** Runs SQL on the database with the sqlite3 CLI; resolves stdout. */
export async function sqlite(db, sql) {
  const r = await runProgram('sqlite3', ['-bail', '-cmd', '.timeout 5000', db, sql], { timeoutMs: 60000 });
  if (r.code !== 0) throw new Error(`sqlite3 failed: ${r.stderr}`);
  return r.stdout;
}

/** Starts vern with test endpoints on a seeded database. Without
 * plugins: true the plugins folder is an empty one, so the views use their
 * own figures. */
export async function startSeeded(t, dir, { plugins = false } = {}) {
  const env = { VERN_PLUGINS_DIR: plugins ? path.join(ROOT, 'plugins') : makeTempDir('vern-noplugins-') };
  return startServer({ t, dir, env, args: ['--test-endpoints', 'true'] });
}

/** Signs in as an employee (external id) or account (username): {cookie, csrf}. */
export async function signIn(url, { employee, user }) {
  const res = await fetch(`${url}/api/test/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ employee, user, scope: 'full' }),
  });
  if (!res.ok) throw new Error(`test session: ${res.status} ${await res.text()}`);
  const cookie = res.headers.get('set-cookie').split(';')[0];
  const { csrf } = await res.json();
  return { cookie, csrf };
}

/** A JSON call as that session; resolves {status, body, text, headers}. */
export async function call(url, session, method, p, body, { csrf = true } = {}) {
  const headers = { accept: 'application/json' };
  if (session) headers.cookie = session.cookie;
  if (session && csrf && method !== 'GET') headers['x-csrf-token'] = session.csrf;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${url}${p}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* CSV or empty */ }
  return { status: res.status, body: json, text, headers: res.headers };
}
