// 210-scim.test.mjs: SCIM 2.0 provisioning on the real binary, replaying the
// requests Microsoft Entra ID's provisioning service sends (test connection,
// create user, get by filter, PATCH replace in its several shapes, "False"
// as a string, manager, groups with member add/remove, delete), taking over
// an employee from a CSV import, the roles groups give, and hostile input
// (bad filters, bad JSON, huge bodies, wrong tokens) answered 4xx as SCIM
// errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import {
  makeTempDir, runVern, startServer, rawRequest, statusOf, assertNoSanitizerFindings,
} from './lib/server.mjs';

const CORE = 'urn:ietf:params:scim:schemas:core:2.0:User';
const ENT = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCHOP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';

function sql(db, query) {
  return execFileSync('sqlite3', [db, query], { encoding: 'utf8' }).trim();
}

async function newToken(db, name) {
  const r = await runVern(['scim-token', 'add', '--name', name, '--db', db]);
  assert.equal(r.code, 0, r.stderr);
  assertNoSanitizerFindings(r.stderr);
  const m = /^token: (vernscim_\S+)$/m.exec(r.stdout);
  assert.ok(m, r.stdout);
  return m[1];
}

test('SCIM provisioning as Entra ID sends it', async (t) => {
  const dir = makeTempDir();
  const db = path.join(dir, 'vern.db');
  const token = await newToken(db, 'Entra ID');
  const srv = await startServer({ dir, t });
  const base = `${srv.url}/scim/v2`;

  async function scim(method, p, body, { auth = token, type = 'application/scim+json', raw } = {}) {
    const headers = {};
    if (auth !== null) headers.authorization = `Bearer ${auth}`;
    if (body !== undefined || raw !== undefined) headers['content-type'] = type;
    const res = await fetch(base + p, {
      method, headers, body: raw ?? (body === undefined ? undefined : JSON.stringify(body)),
    });
    const text = await res.text();
    let json = null;
    if (text) json = JSON.parse(text);
    return { status: res.status, headers: res.headers, json };
  }
  const q = (filter, extra = '') => `/Users?filter=${encodeURIComponent(filter)}${extra}`;
  function assertScimError(r, status, scimType) {
    assert.equal(r.status, status, JSON.stringify(r.json));
    assert.equal(r.headers.get('content-type'), 'application/scim+json');
    assert.deepEqual(r.json.schemas, [ERROR]);
    assert.equal(r.json.status, String(status));
    if (scimType) assert.equal(r.json.scimType, scimType, r.json.detail);
    assert.equal(typeof r.json.detail, 'string');
  }
  const patch = (...ops) => ({ schemas: [PATCHOP], Operations: ops });
  const employee = (ext) => sql(db, `SELECT name || '|' || coalesce(email,'') || '|' || active || '|' ||
    coalesce((SELECT external_id FROM org_units WHERE id = unit_id), '') || '|' ||
    coalesce((SELECT m.external_id FROM employees m WHERE m.id = employees.manager_id), '')
    FROM employees WHERE external_id = '${ext}'`);
  const rolesOf = (ext) => sql(db, `SELECT group_concat(code, ',') FROM (SELECT r.code FROM employee_roles er
    JOIN roles r ON r.id = er.role_id JOIN employees e ON e.id = er.employee_id WHERE e.external_id = '${ext}' ORDER BY r.code)`);

  await t.test('discovery: ServiceProviderConfig, Schemas, ResourceTypes', async () => {
    let r = await scim('GET', '/ServiceProviderConfig');
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'application/scim+json');
    assert.equal(r.json.patch.supported, true);
    assert.equal(r.json.filter.supported, true);
    assert.equal(r.json.authenticationSchemes[0].type, 'oauthbearertoken');
    r = await scim('GET', '/Schemas');
    assert.equal(r.json.totalResults, 3);
    assert.deepEqual(r.json.Resources.map((s) => s.id).sort(), [ENT, GROUP, CORE].sort());
    r = await scim('GET', `/Schemas/${ENT}`);
    assert.ok(r.json.attributes.some((a) => a.name === 'manager' && a.subAttributes.some((s) => s.name === 'value')));
    r = await scim('GET', '/ResourceTypes');
    assert.deepEqual(r.json.Resources.map((x) => x.endpoint).sort(), ['/Groups', '/Users']);
    r = await scim('GET', '/ResourceTypes/User');
    assert.equal(r.json.schemaExtensions[0].schema, ENT);
  });

  await t.test('test connection: a filter that matches nobody', async () => {
    const r = await scim('GET', q('userName eq "c21e3c19-61a2-4b2f-9e1c-8c7c5f1a4f0d"'));
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'],
      totalResults: 0, startIndex: 1, itemsPerPage: 0, Resources: [],
    });
  });

  const objectId = '0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef';
  let kari;
  await t.test('create user (Entra body), then the same again is a conflict', async () => {
    const body = {
      schemas: [CORE, ENT],
      externalId: objectId,
      userName: 'kari.nordmann@demo.kommune.no',
      active: true,
      emails: [{ primary: true, type: 'work', value: 'kari.nordmann@demo.kommune.no' }],
      meta: { resourceType: 'User' },
      name: { formatted: 'Kari Nordmann', familyName: 'Nordmann', givenName: 'Kari' },
      roles: [],
    };
    let r = await scim('POST', '/Users', body);
    assert.equal(r.status, 201, JSON.stringify(r.json));
    assert.equal(r.headers.get('content-type'), 'application/scim+json');
    kari = r.json.id;
    assert.match(kari, /^[0-9a-f-]{36}$/);
    assert.equal(r.headers.get('location'), `${base}/Users/${kari}`);
    assert.equal(r.json.userName, 'kari.nordmann@demo.kommune.no');
    assert.equal(r.json.active, true);
    assert.equal(r.json.meta.resourceType, 'User');
    assert.equal(r.json.roles, undefined, 'attributes outside the schema are not kept');
    assert.equal(employee(objectId), 'Kari Nordmann|kari.nordmann@demo.kommune.no|1||');
    r = await scim('POST', '/Users', body);
    assertScimError(r, 409, 'uniqueness');
    r = await scim('POST', '/Users', { ...body, externalId: 'other', userName: 'KARI.NORDMANN@demo.kommune.no' });
    assertScimError(r, 409, 'uniqueness');
  });

  await t.test('get by id and by filter, paging and attribute selection', async () => {
    let r = await scim('GET', `/Users/${kari}`);
    assert.equal(r.status, 200);
    assert.equal(r.json.id, kari);
    r = await scim('GET', q('userName eq "Kari.Nordmann@DEMO.kommune.no"'));
    assert.equal(r.json.totalResults, 1, 'userName is case-insensitive');
    assert.equal(r.json.Resources[0].id, kari);
    r = await scim('GET', q(`externalId eq "${objectId}"`));
    assert.equal(r.json.totalResults, 1);
    r = await scim('GET', q(`externalId eq "${objectId.toUpperCase()}"`));
    assert.equal(r.json.totalResults, 0, 'externalId is case-exact');
    r = await scim('GET', q('emails[type eq "work" and value co "@demo.kommune"] and not (active eq false)'));
    assert.equal(r.json.totalResults, 1);
    r = await scim('GET', q('name.familyName sw "nord" or userName eq "x"'));
    assert.equal(r.json.totalResults, 1);
    r = await scim('GET', q(`meta.created gt "2000-01-01T00:00:00Z"`));
    assert.equal(r.json.totalResults, 1);
    r = await scim('GET', q('userName eq "Kari.Nordmann@demo.kommune.no"', '&attributes=userName,name.givenName'));
    assert.deepEqual(Object.keys(r.json.Resources[0]).sort(), ['id', 'name', 'schemas', 'userName']);
    assert.deepEqual(r.json.Resources[0].name, { givenName: 'Kari' });
    r = await scim('GET', `/Users/${kari}?excludedAttributes=emails,meta`);
    assert.equal(r.json.emails, undefined);
    assert.equal(r.json.meta, undefined);
    assert.equal(r.json.userName, 'kari.nordmann@demo.kommune.no');
  });

  await t.test('PATCH replace attributes (multi-valued and single-valued, as Entra sends)', async () => {
    let r = await scim('PATCH', `/Users/${kari}`, patch(
      { op: 'Replace', path: 'emails[type eq "work"].value', value: 'kari.nordmann@ny.demo.kommune.no' },
      { op: 'Replace', path: 'name.familyName', value: 'Nordmann-Hansen' },
      { op: 'Replace', path: 'name.formatted', value: 'Kari Nordmann-Hansen' },
      { op: 'Replace', path: 'userName', value: 'kari.nordmann-hansen@demo.kommune.no' },
      { op: 'Add', path: 'phoneNumbers[type eq "mobile"].value', value: '+47 900 00 000' },
      { op: 'Add', path: 'title', value: 'Rådgiver' },
    ));
    assert.equal(r.status, 200, JSON.stringify(r.json));
    assert.equal(r.json.userName, 'kari.nordmann-hansen@demo.kommune.no');
    assert.deepEqual(r.json.phoneNumbers, [{ type: 'mobile', value: '+47 900 00 000' }]);
    assert.equal(r.json.name.givenName, 'Kari');
    // The employee id (the xAPI agent's account) does not follow the UPN.
    assert.equal(employee(objectId), 'Kari Nordmann-Hansen|kari.nordmann@ny.demo.kommune.no|1||');
    r = await scim('GET', q('userName eq "kari.nordmann@demo.kommune.no"'));
    assert.equal(r.json.totalResults, 0);
  });

  await t.test('PATCH without a path: a value object of attribute paths, department as unit', async () => {
    const r = await scim('PATCH', `/Users/${kari}`, patch({
      op: 'replace',
      value: {
        displayName: 'Kari N. Hansen',
        'name.givenName': 'Kari Anne',
        [`${ENT}:department`]: 'Helse og omsorg',
        [`${ENT}:employeeNumber`]: 1234,
      },
    }));
    assert.equal(r.status, 200, JSON.stringify(r.json));
    assert.equal(r.json.displayName, 'Kari N. Hansen');
    assert.equal(r.json.name.givenName, 'Kari Anne');
    assert.deepEqual(r.json[ENT], { department: 'Helse og omsorg', employeeNumber: '1234' });
    assert.ok(r.json.schemas.includes(ENT));
    assert.equal(employee(objectId), 'Kari N. Hansen|kari.nordmann@ny.demo.kommune.no|1|Helse og omsorg|');
  });

  let ola;
  await t.test('manager: a bare id as Entra sends it, then removed', async () => {
    let r = await scim('POST', '/Users', {
      schemas: [CORE], externalId: 'b9e7-ola', userName: 'ola.leder@demo.kommune.no',
      displayName: 'Ola Leder', active: true,
    });
    assert.equal(r.status, 201);
    ola = r.json.id;
    assert.equal(employee('b9e7-ola'), 'Ola Leder|ola.leder@demo.kommune.no|1||', 'userName as email when none is given');
    r = await scim('PATCH', `/Users/${kari}`, patch({ op: 'Add', path: `${ENT}:manager`, value: ola }));
    assert.equal(r.status, 200, JSON.stringify(r.json));
    assert.equal(r.json[ENT].manager.value, ola);
    assert.equal(r.json[ENT].manager.displayName, 'Ola Leder');
    assert.equal(employee(objectId).split('|')[4], 'b9e7-ola');
    r = await scim('PATCH', `/Users/${kari}`, patch({ op: 'Replace', path: `${ENT}:manager`, value: 'nobody' }));
    assertScimError(r, 400, 'invalidValue');
    r = await scim('PATCH', `/Users/${ola}`, patch({ op: 'Replace', path: `${ENT}:manager`, value: { value: ola } }));
    assertScimError(r, 400, 'invalidValue');
    r = await scim('PATCH', `/Users/${kari}`, patch({ op: 'Remove', path: `${ENT}:manager` }));
    assert.equal(r.status, 200);
    assert.equal(r.json[ENT].manager, undefined);
    assert.equal(employee(objectId).split('|')[4], '');
    assert.equal(employee(objectId).split('|')[3], 'Helse og omsorg', 'the unit stays');
  });

  await t.test('PATCH active as the string "False", and back', async () => {
    let r = await scim('PATCH', `/Users/${kari}`, patch({ op: 'Replace', path: 'active', value: 'False' }));
    assert.equal(r.status, 200);
    assert.equal(r.json.active, false);
    assert.equal(employee(objectId).split('|')[2], '0');
    r = await scim('GET', q('active eq false'));
    assert.equal(r.json.totalResults, 1);
    r = await scim('PATCH', `/Users/${kari}`, patch({ op: 'replace', value: { active: true } }));
    assert.equal(r.json.active, true);
    assert.equal(employee(objectId).split('|')[2], '1');
  });

  await t.test('PUT replaces the user', async () => {
    const r = await scim('PUT', `/Users/${ola}`, {
      schemas: [CORE], externalId: 'b9e7-ola', userName: 'ola.leder@demo.kommune.no',
      name: { givenName: 'Ola', familyName: 'Leder' }, emails: [{ value: 'ola@demo.kommune.no', type: 'work' }],
    });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    assert.equal(r.json.displayName, undefined);
    assert.equal(employee('b9e7-ola'), 'Ola Leder|ola@demo.kommune.no|1||');
  });

  let group;
  await t.test('groups: create, find, add and remove members; a role group gives its role', async () => {
    let r = await scim('POST', '/Groups', {
      schemas: [GROUP, 'http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group'],
      externalId: '8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159',
      displayName: 'vern-personvernkoordinator',
      meta: { resourceType: 'Group' },
    });
    assert.equal(r.status, 201, JSON.stringify(r.json));
    group = r.json.id;
    assert.deepEqual(r.json.members, []);
    r = await scim('GET', `/Groups?excludedAttributes=members&filter=${encodeURIComponent('displayName eq "VERN-Personvernkoordinator"')}`);
    assert.equal(r.json.totalResults, 1);
    assert.equal(r.json.Resources[0].members, undefined);
    r = await scim('GET', `/Groups/${group}?excludedAttributes=members`);
    assert.equal(r.json.displayName, 'vern-personvernkoordinator');

    r = await scim('PATCH', `/Groups/${group}`, patch({ op: 'Add', path: 'members', value: [{ $ref: null, value: kari }, { $ref: null, value: ola }] }));
    assert.equal(r.status, 204);
    assert.equal(rolesOf(objectId), 'ansatt,personvernkoordinator');
    assert.equal(rolesOf('b9e7-ola'), 'ansatt,personvernkoordinator');
    r = await scim('GET', `/Groups/${group}`);
    assert.deepEqual(r.json.members.map((m) => m.value).sort(), [kari, ola].sort());
    assert.ok(r.json.members.some((m) => m.display === 'Kari N. Hansen'));
    r = await scim('GET', `/Users/${kari}`);
    assert.deepEqual(r.json.groups.map((g) => g.value), [group]);
    r = await scim('GET', `/Groups?filter=${encodeURIComponent(`id eq "${group}" and members[value eq "${kari}"]`)}&excludedAttributes=members`);
    assert.equal(r.json.totalResults, 1);

    r = await scim('PATCH', `/Groups/${group}`, patch({ op: 'Remove', path: 'members', value: [{ $ref: null, value: kari }] }));
    assert.equal(r.status, 204);
    assert.equal(rolesOf(objectId), 'ansatt');
    assert.equal(rolesOf('b9e7-ola'), 'ansatt,personvernkoordinator');
    r = await scim('PATCH', `/Groups/${group}`, patch({ op: 'Remove', path: `members[value eq "${ola}"]` }));
    assert.equal(r.status, 204);
    assert.equal(rolesOf('b9e7-ola'), 'ansatt');

    r = await scim('PATCH', `/Groups/${group}`, patch(
      { op: 'Replace', path: 'displayName', value: 'Alle ansatte' },
      { op: 'Add', path: 'members', value: [{ value: kari }] },
    ));
    assert.equal(r.status, 204);
    assert.equal(rolesOf(objectId), 'ansatt', 'a group that names no role gives none');
    r = await scim('PATCH', `/Groups/${group}?attributes=displayName`, patch({ op: 'Replace', path: 'displayName', value: 'Leder' }));
    assert.equal(r.status, 200);
    assert.deepEqual(Object.keys(r.json).sort(), ['displayName', 'id', 'schemas']);
    assert.equal(rolesOf(objectId), 'ansatt,leder', 'renaming to a role name gives the role');

    r = await scim('PATCH', `/Groups/${group}`, patch({ op: 'Add', path: 'members', value: [{ value: 'no-such-user' }] }));
    assertScimError(r, 400, 'invalidValue');
    r = await scim('PATCH', `/Groups/${group}`, patch({ op: 'Add', path: 'members', value: [{ value: group, type: 'Group' }] }));
    assertScimError(r, 400, 'invalidValue');
    r = await scim('DELETE', `/Groups/${group}`);
    assert.equal(r.status, 204);
    assert.equal(rolesOf(objectId), 'ansatt');
    r = await scim('GET', `/Groups/${group}`);
    assertScimError(r, 404);
  });

  await t.test('delete user: deactivated, never deleted; provisioning again takes the employee back', async () => {
    let r = await scim('POST', '/Groups', { schemas: [GROUP], displayName: 'ISK', members: [{ value: kari }] });
    assert.equal(r.status, 201);
    r = await scim('POST', '/Groups', { schemas: [GROUP], displayName: 'vern informasjonssikkerhetskoordinator', members: [{ value: kari }] });
    assert.equal(rolesOf(objectId), 'ansatt,informasjonssikkerhetskoordinator');
    r = await scim('DELETE', `/Users/${kari}`);
    assert.equal(r.status, 204);
    r = await scim('GET', `/Users/${kari}`);
    assertScimError(r, 404);
    assert.equal(employee(objectId).split('|')[2], '0');
    assert.equal(rolesOf(objectId), 'ansatt');
    const before = sql(db, 'SELECT count(*) FROM employees');
    r = await scim('POST', '/Users', { schemas: [CORE], externalId: objectId, userName: 'kari.nordmann-hansen@demo.kommune.no', active: true });
    assert.equal(r.status, 201);
    assert.notEqual(r.json.id, kari);
    assert.equal(sql(db, 'SELECT count(*) FROM employees'), before);
    assert.equal(employee(objectId).split('|')[2], '1');
  });

  await t.test('an employee from a CSV import is taken over by email; its id stays', async () => {
    const csv = path.join(dir, 'emp.csv');
    fs.writeFileSync(csv, 'employee_id,name,email\nHR-1001,Per Hansen,per.hansen@demo.kommune.no\n');
    const imp = await runVern(['people', 'import', csv, '--partial', '--db', db]);
    assert.equal(imp.code, 0, imp.stderr);
    const r = await scim('POST', '/Users', {
      schemas: [CORE], externalId: 'aad-object-id-per', userName: 'Per.Hansen@demo.kommune.no',
      emails: [{ value: 'Per.Hansen@demo.kommune.no', type: 'work', primary: true }], displayName: 'Per Hansen',
    });
    assert.equal(r.status, 201, JSON.stringify(r.json));
    assert.equal(r.json.externalId, 'aad-object-id-per');
    assert.equal(sql(db, "SELECT count(*) FROM employees WHERE name = 'Per Hansen'"), '1');
    assert.equal(sql(db, `SELECT e.external_id FROM scim_users s JOIN employees e ON e.id = s.employee_id WHERE s.scim_id = '${r.json.id}'`), 'HR-1001');
  });

  await t.test('paging over many users', async () => {
    for (let i = 0; i < 12; i++) {
      const r = await scim('POST', '/Users', { schemas: [CORE], userName: `bulk${i}@demo.kommune.no`, active: i % 2 === 0 });
      assert.equal(r.status, 201);
    }
    let r = await scim('GET', '/Users?startIndex=3&count=5');
    assert.equal(r.json.startIndex, 3);
    assert.equal(r.json.itemsPerPage, 5);
    assert.equal(r.json.totalResults, 15);
    r = await scim('GET', q('userName sw "bulk" and active eq true', '&startIndex=2&count=2'));
    assert.equal(r.json.totalResults, 6);
    assert.deepEqual(r.json.Resources.map((u) => u.userName), ['bulk2@demo.kommune.no', 'bulk4@demo.kommune.no']);
    r = await scim('GET', '/Users?count=0');
    assert.equal(r.json.totalResults, 15);
    assert.deepEqual(r.json.Resources, []);
    // A user made without externalId gets the SCIM id as its stable employee id.
    const id = (await scim('GET', q('userName eq "bulk0@demo.kommune.no"'))).json.Resources[0].id;
    assert.equal(sql(db, `SELECT count(*) FROM employees WHERE external_id = '${id}'`), '1');
  });

  await t.test('hostile input is answered 4xx in SCIM error format', async () => {
    for (const f of ['userName eq', 'userName xx "a"', 'userName eq "unterminated', '(userName pr',
      'userName eq "a" and', 'foo eq "x"', 'active gt true', 'name eq "x"', 'emails[type eq "work"',
      'emails[value[type eq "x"]]', `${'('.repeat(100)}userName pr${')'.repeat(100)}`, 'userName eq 1e999',
      `urn:bad:schema:userName eq "x"`, 'meta.created gt "yesterday"', 'userName eq "a" "b"']) {
      const r = await scim('GET', q(f));
      assertScimError(r, 400, 'invalidFilter');
    }
    let r = await scim('GET', `/Users?filter=${'x'.repeat(5000)}`);
    assertScimError(r, 400, 'invalidFilter');
    r = await scim('GET', '/Users?startIndex=abc');
    assertScimError(r, 400, 'invalidValue');
    r = await scim('GET', '/Users?attributes=userName&excludedAttributes=emails');
    assertScimError(r, 400, 'invalidValue');

    r = await scim('POST', '/Users', undefined, { raw: '{"userName": ', type: 'application/scim+json' });
    assertScimError(r, 400, 'invalidSyntax');
    r = await scim('POST', '/Users', undefined, { raw: '[1,2]', type: 'application/scim+json' });
    assertScimError(r, 400, 'invalidSyntax');
    r = await scim('POST', '/Users', undefined, { raw: '{"userName":"a","userName":"b"}', type: 'application/json' });
    assertScimError(r, 400, 'invalidSyntax');
    r = await scim('POST', '/Users', undefined, { raw: Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]), type: 'application/scim+json' });
    assertScimError(r, 400, 'invalidSyntax');
    r = await scim('POST', '/Users', undefined, { raw: `${'['.repeat(10000)}`, type: 'application/scim+json' });
    assertScimError(r, 400, 'invalidSyntax');
    r = await scim('POST', '/Users', { schemas: [CORE], userName: 'x@y' }, { type: 'text/plain' });
    assertScimError(r, 415);
    r = await scim('POST', '/Users', { schemas: [CORE], displayName: 'No Username' });
    assertScimError(r, 400, 'invalidValue');
    r = await scim('POST', '/Users', { schemas: [CORE], userName: 'x@y', active: 'maybe' });
    assertScimError(r, 400, 'invalidValue');
    r = await scim('POST', '/Users', { schemas: [CORE], userName: 'x@y', emails: 'not a list' });
    assertScimError(r, 400, 'invalidValue');

    const anyUser = (await scim('GET', '/Users?count=1')).json.Resources[0].id;
    for (const [body, type] of [
      [{ Operations: [{ op: 'frobnicate', path: 'title', value: 'x' }] }, 'invalidSyntax'],
      [{ Operations: [] }, 'invalidSyntax'],
      [{ schemas: ['urn:wrong'], Operations: [{ op: 'add', path: 'title', value: 'x' }] }, 'invalidSyntax'],
      [patch({ op: 'add', path: 'noSuchAttribute', value: 'x' }), 'invalidPath'],
      [patch({ op: 'add', path: 'emails[type eq', value: 'x' }), 'invalidPath'],
      [patch({ op: 'replace', path: 'id', value: 'mine' }), 'mutability'],
      [patch({ op: 'replace', path: 'groups', value: [] }), 'mutability'],
      [patch({ op: 'remove' }), 'noTarget'],
      [patch({ op: 'replace', path: 'emails[value sw "zzz"]', value: { value: 'a@b' } }), 'noTarget'],
      [patch({ op: 'replace', path: 'active', value: 'perhaps' }), 'invalidValue'],
      [patch({ op: 'replace', path: 'userName', value: '' }), 'invalidValue'],
      [patch({ op: 'add', path: 'title' }), 'invalidSyntax'],
      [{ schemas: [PATCHOP], Operations: Array.from({ length: 1001 }, () => ({ op: 'add', path: 'title', value: 'x' })) }, 'invalidValue'],
    ]) {
      r = await scim('PATCH', `/Users/${anyUser}`, body);
      assertScimError(r, 400, type);
    }
    r = await scim('PATCH', '/Users/00000000-0000-4000-8000-000000000000', patch({ op: 'add', path: 'title', value: 'x' }));
    assertScimError(r, 404);
    r = await scim('DELETE', '/Users');
    assertScimError(r, 405);
    r = await scim('GET', '/Nothing');
    assertScimError(r, 404);
    r = await scim('GET', '/Users/a/b');
    assertScimError(r, 404);
    r = await scim('GET', '/Me');
    assertScimError(r, 501);

    // Wrong, missing and removed tokens.
    for (const auth of ['wrong', `${token}x`, '', null]) {
      r = await scim('GET', '/Users', undefined, { auth });
      assertScimError(r, 401);
      assert.match(r.headers.get('www-authenticate'), /^Bearer/);
    }
    r = await fetch(`${base}/Users`, { headers: { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` } });
    assert.equal(r.status, 401);
    const other = await newToken(db, 'short-lived');
    r = await scim('GET', '/ServiceProviderConfig', undefined, { auth: other });
    assert.equal(r.status, 200);
    const rm = await runVern(['scim-token', 'remove', 'short-lived', '--db', db]);
    assert.equal(rm.code, 0, rm.stderr);
    r = await scim('GET', '/ServiceProviderConfig', undefined, { auth: other });
    assertScimError(r, 401);
  });

  await t.test('huge bodies are refused with a SCIM error', async () => {
    const big = Buffer.alloc(5 * 1024 * 1024, 0x20);
    let text = await rawRequest(srv.port, Buffer.concat([Buffer.from(
      `POST /scim/v2/Users HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n` +
      `Content-Type: application/scim+json\r\nContent-Length: ${big.length}\r\n\r\n`), big]));
    assert.equal(statusOf(text), 413);
    assert.match(text, /content-type: application\/scim\+json/i);
    let json = JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4));
    assert.deepEqual(json.schemas, [ERROR]);
    assert.equal(json.status, '413');
    // Chunked, with no length given in advance.
    const chunk = Buffer.alloc(1 << 20, 0x20);
    const parts = [Buffer.from(`PATCH /scim/v2/Users/x HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n` +
      'Content-Type: application/scim+json\r\nTransfer-Encoding: chunked\r\n\r\n')];
    for (let i = 0; i < 6; i++) parts.push(Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n'));
    parts.push(Buffer.from('0\r\n\r\n'));
    text = await rawRequest(srv.port, Buffer.concat(parts));
    assert.equal(statusOf(text), 413);
    json = JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4));
    assert.equal(json.status, '413');
  });

  await t.test('the token list shows when a token was last used', async () => {
    const r = await runVern(['scim-token', 'list', '--db', db]);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^Entra ID\s+\d{4}-\d\d-\d\d \S+\s+\d{4}-\d\d-\d\d/m);
    assert.ok(!r.stdout.includes('vernscim_'), 'tokens are never shown again');
  });

  await srv.stop();
  assertNoSanitizerFindings(srv.stderr());
});
