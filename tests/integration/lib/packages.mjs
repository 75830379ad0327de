// tests/integration/lib/packages.mjs: real course packages for the tests,
// as a third-party LMS would accept them: a SCORM 1.2 package with one SCO,
// a SCORM 2004 (4th edition) package with three SCOs that navigate with
// adl.nav.request, and a cmi5 package with a block of two AUs that talk
// xAPI themselves. Their pages are driven by buttons, so a browser test
// plays them like a learner would.
//
// Owns: scorm12Entries(), scorm2004Entries(), cmi5Entries(), and the SCO
// and AU scripts (ADL's API discovery algorithm; cmi5 launch protocol).

const page = (title, body, script) => `<!doctype html>
<html lang="nb"><head><meta charset="utf-8"><title>${title}</title></head>
<body><h1>${title}</h1>${body}<script src="${script}"></script></body></html>`;

// SCORM 1.2 SCO: finds window.API in its parents, resumes at
// cmi.core.lesson_location, and on "Fullfør" scores, passes and finishes.
const sco12 = `"use strict";
function findAPI(win) {
  var tries = 0;
  while (!win.API && win.parent && win.parent !== win && tries++ < 7) win = win.parent;
  return win.API || null;
}
var API = findAPI(window) || (window.opener && findAPI(window.opener));
var out = document.getElementById("state");
function show() {
  out.textContent = JSON.stringify({
    entry: API.LMSGetValue("cmi.core.entry"),
    location: API.LMSGetValue("cmi.core.lesson_location"),
    suspend: API.LMSGetValue("cmi.suspend_data"),
    status: API.LMSGetValue("cmi.core.lesson_status"),
    name: API.LMSGetValue("cmi.core.student_name"),
    mastery: API.LMSGetValue("cmi.student_data.mastery_score"),
    launch_data: API.LMSGetValue("cmi.launch_data")
  });
}
API.LMSInitialize("");
document.getElementById("page2").onclick = function () {
  API.LMSSetValue("cmi.core.lesson_location", "side-2");
  API.LMSSetValue("cmi.suspend_data", "sett=1,2");
  API.LMSSetValue("cmi.core.exit", "suspend");
  API.LMSCommit("");
  show();
};
document.getElementById("finish").onclick = function () {
  API.LMSSetValue("cmi.interactions.0.id", "q1");
  API.LMSSetValue("cmi.interactions.0.type", "choice");
  API.LMSSetValue("cmi.interactions.0.student_response", "b");
  API.LMSSetValue("cmi.interactions.0.correct_responses.0.pattern", "b");
  API.LMSSetValue("cmi.interactions.0.result", "correct");
  API.LMSSetValue("cmi.interactions.0.latency", "00:00:12");
  API.LMSSetValue("cmi.core.score.raw", "90");
  API.LMSSetValue("cmi.core.score.min", "0");
  API.LMSSetValue("cmi.core.score.max", "100");
  API.LMSSetValue("cmi.core.lesson_status", "passed");
  API.LMSSetValue("cmi.core.exit", "");
  API.LMSCommit("");
  API.LMSFinish("");
  document.getElementById("done").textContent = "ferdig";
};
show();
document.body.dataset.ready = "1";
`;

export function scorm12Entries({ identifier = 'no.vern.test.scorm12', title = 'Personvern i praksis (SCORM 1.2)', extra = [] } = {}) {
  const manifest = `<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="${identifier}" version="1.0"
  xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2"
  xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  xsi:schemaLocation="http://www.imsproject.org/xsd/imscp_rootv1p1p2 imscp_rootv1p1p2.xsd http://www.adlnet.org/xsd/adlcp_rootv1p2 adlcp_rootv1p2.xsd">
  <metadata><schema>ADL SCORM</schema><schemaversion>1.2</schemaversion></metadata>
  <organizations default="org">
    <organization identifier="org">
      <title>${title}</title>
      <item identifier="leksjon" identifierref="res-leksjon" isvisible="true">
        <title>Leksjon og quiz</title>
        <adlcp:masteryscore>80</adlcp:masteryscore>
        <adlcp:datafromlms>fra-lms</adlcp:datafromlms>
      </item>
    </organization>
  </organizations>
  <resources>
    <resource identifier="res-leksjon" type="webcontent" adlcp:scormtype="sco" href="sco/index.html">
      <file href="sco/index.html"/><file href="sco/sco.js"/>
    </resource>
  </resources>
</manifest>`;
  return [
    { name: 'imsmanifest.xml', data: manifest, deflate: true },
    { name: 'sco/', dir: true },
    { name: 'sco/index.html', data: page('Leksjon og quiz',
      '<pre id="state"></pre><button id="page2">Neste side</button> <button id="finish">Fullfør</button><p id="done"></p>',
      'sco.js'), deflate: true },
    { name: 'sco/sco.js', data: sco12, deflate: true },
    ...extra,
  ];
}

// SCORM 2004 SCO: the SCO's number comes from its launch parameters
// (?n=1); "Fullfør" completes, passes, answers and asks for "continue".
const sco2004 = `"use strict";
function findAPI(win) {
  var tries = 0;
  while (!win.API_1484_11 && win.parent && win.parent !== win && tries++ < 7) win = win.parent;
  return win.API_1484_11 || null;
}
var API = findAPI(window) || (window.opener && findAPI(window.opener));
var n = (/[?&]n=(\\d+)/.exec(location.search) || [])[1] || "?";
API.Initialize("");
function show() {
  document.getElementById("state").textContent = JSON.stringify({
    n: n,
    entry: API.GetValue("cmi.entry"),
    location: API.GetValue("cmi.location"),
    completion: API.GetValue("cmi.completion_status"),
    learner: API.GetValue("cmi.learner_name"),
    passing: API.GetValue("cmi.scaled_passing_score")
  });
}
document.getElementById("mark").onclick = function () {
  API.SetValue("cmi.location", "sco" + n + "-midt");
  API.SetValue("cmi.suspend_data", "data-" + n);
  API.Commit("");
  show();
};
document.getElementById("finish").onclick = function () {
  API.SetValue("cmi.interactions.0.id", "sp" + n);
  API.SetValue("cmi.interactions.0.type", "true-false");
  API.SetValue("cmi.interactions.0.learner_response", "true");
  API.SetValue("cmi.interactions.0.correct_responses.0.pattern", "true");
  API.SetValue("cmi.interactions.0.result", "correct");
  API.SetValue("cmi.score.scaled", "0.9");
  API.SetValue("cmi.score.raw", "9");
  API.SetValue("cmi.score.min", "0");
  API.SetValue("cmi.score.max", "10");
  API.SetValue("cmi.completion_status", "completed");
  API.SetValue("cmi.success_status", "passed");
  API.SetValue("cmi.exit", "normal");
  API.SetValue("adl.nav.request", "continue");
  API.Commit("");
  API.Terminate("");
};
show();
document.body.dataset.ready = "1";
`;

export function scorm2004Entries({ identifier = 'no.vern.test.scorm2004', title = 'Informasjonssikkerhet (SCORM 2004)' } = {}) {
  const items = [1, 2, 3].map((n) => `
        <item identifier="sco${n}" identifierref="res-sco" parameters="?n=${n}">
          <title>Del ${n}</title>
          <imsss:sequencing><imsss:objectives><imsss:primaryObjective objectiveID="obj${n}" satisfiedByMeasure="true">
            <imsss:minNormalizedMeasure>0.8</imsss:minNormalizedMeasure></imsss:primaryObjective></imsss:objectives></imsss:sequencing>
        </item>`).join('');
  const manifest = `<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="${identifier}" version="1"
  xmlns="http://www.imsglobal.org/xsd/imscp_v1p1"
  xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_v1p3"
  xmlns:adlseq="http://www.adlnet.org/xsd/adlseq_v1p3"
  xmlns:adlnav="http://www.adlnet.org/xsd/adlnav_v1p3"
  xmlns:imsss="http://www.imsglobal.org/xsd/imsss"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <metadata><schema>ADL SCORM</schema><schemaversion>2004 4th Edition</schemaversion></metadata>
  <organizations default="org">
    <organization identifier="org">
      <title>${title}</title>
      <item identifier="modul" isvisible="true">
        <title>Modul 1</title>${items}
      </item>
      <imsss:sequencing><imsss:controlMode choice="true" flow="true"/></imsss:sequencing>
    </organization>
  </organizations>
  <resources>
    <resource identifier="res-sco" type="webcontent" adlcp:scormType="sco" href="content/sco.html">
      <file href="content/sco.html"/><file href="content/sco.js"/>
    </resource>
  </resources>
</manifest>`;
  return [
    { name: 'imsmanifest.xml', data: manifest, deflate: true },
    { name: 'content/sco.html', data: page('Del',
      '<pre id="state"></pre><button id="mark">Marker</button> <button id="finish">Fullfør</button>', 'sco.js'), deflate: true },
    { name: 'content/sco.js', data: sco2004, deflate: true },
  ];
}

// cmi5 AU: reads the launch parameters, fetches the token, reads
// LMS.LaunchData, sends initialized, then on "Fullfør" completed (and
// passed, when its moveOn asks for it) and terminated, and returns to
// returnURL. Refusals are shown, so a test can see them.
const au = `"use strict";
var q = new URLSearchParams(location.search);
var endpoint = q.get("endpoint"), fetchUrl = q.get("fetch"), actor = JSON.parse(q.get("actor"));
var registration = q.get("registration"), activityId = q.get("activityId");
var auth = null, launchData = null, started = Date.now();
var log = document.getElementById("log");
function note(s) { log.textContent += s + "\\n"; }
function uuid() { return crypto.randomUUID(); }
function xapi(path, opts) {
  opts = opts || {};
  opts.headers = Object.assign({ "Authorization": auth, "X-Experience-API-Version": "1.0.3" }, opts.headers || {});
  return fetch(endpoint + path, opts);
}
function statement(verb, result) {
  var ctx = JSON.parse(JSON.stringify(launchData.contextTemplate));
  ctx.registration = registration;
  ctx.contextActivities = ctx.contextActivities || {};
  var cats = [{ id: "https://w3id.org/xapi/cmi5/context/categories/cmi5" }];
  if (result && (result.success !== undefined || result.completion !== undefined))
    cats.push({ id: "https://w3id.org/xapi/cmi5/context/categories/moveon" });
  ctx.contextActivities.category = cats;
  var s = { id: uuid(), actor: actor, timestamp: new Date().toISOString(),
    verb: { id: "http://adlnet.gov/expapi/verbs/" + verb, display: { "en-US": verb } },
    object: { objectType: "Activity", id: activityId }, context: ctx };
  if (result) s.result = result;
  return xapi("statements", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(s) })
    .then(function (r) { note(verb + " " + r.status); return r.status; });
}
function duration() { return "PT" + ((Date.now() - started) / 1000).toFixed(2) + "S"; }
fetch(fetchUrl, { method: "POST" }).then(function (r) { return r.json(); }).then(function (t) {
  auth = "Basic " + t["auth-token"];
  var p = "activities/state?stateId=LMS.LaunchData&activityId=" + encodeURIComponent(activityId) +
    "&agent=" + encodeURIComponent(JSON.stringify(actor)) + "&registration=" + registration;
  return xapi(p);
}).then(function (r) { return r.json(); }).then(function (ld) {
  launchData = ld;
  document.getElementById("mode").textContent = ld.launchMode + " " + ld.moveOn;
  return statement("initialized");
}).then(function () {
  document.body.dataset.ready = "1";
}).catch(function (e) { note("error " + e); });
document.getElementById("again").onclick = function () {
  fetch(fetchUrl, { method: "POST" }).then(function (r) { return r.json(); })
    .then(function (t) { note("fetch2 " + JSON.stringify(t)); });
};
document.getElementById("finish").onclick = function () {
  var chain = statement("completed", { completion: true, duration: duration() });
  if (launchData.moveOn === "Passed" || launchData.moveOn === "CompletedAndPassed") {
    chain = chain.then(function () {
      return statement("passed", { success: true, duration: duration(), score: { scaled: 0.95 } });
    });
  }
  chain.then(function () { return statement("terminated", { duration: duration() }); })
    .then(function () { document.body.dataset.done = "1"; if (launchData.returnURL) location.href = launchData.returnURL; });
};
`;

export function cmi5Entries({ courseId = 'https://vern.example/kurs/phishing-cmi5', title = 'Svindel og phishing (cmi5)' } = {}) {
  const xml = `<?xml version="1.0" encoding="utf-8"?>
<courseStructure xmlns="https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd">
  <course id="${courseId}">
    <title><langstring lang="nb-NO">${title}</langstring></title>
    <description><langstring lang="nb-NO">Kjenn igjen svindelforsøk.</langstring></description>
  </course>
  <block id="${courseId}/blokk">
    <title><langstring lang="nb-NO">Grunnleggende</langstring></title>
    <description><langstring lang="nb-NO">To deler</langstring></description>
    <au id="${courseId}/au/les" moveOn="Completed" launchMethod="AnyWindow">
      <title><langstring lang="nb-NO">Les om phishing</langstring></title>
      <description><langstring lang="nb-NO">Lesestoff</langstring></description>
      <url>au/index.html?del=les</url>
      <launchParameters>{"del":"les"}</launchParameters>
    </au>
    <au id="${courseId}/au/test" moveOn="CompletedAndPassed" masteryScore="0.8">
      <title><langstring lang="nb-NO">Test deg selv</langstring></title>
      <description><langstring lang="nb-NO">Prøve</langstring></description>
      <url>au/index.html?del=test</url>
    </au>
  </block>
</courseStructure>`;
  return [
    { name: 'cmi5.xml', data: xml, deflate: true },
    { name: 'au/index.html', data: page('AU',
      '<p id="mode"></p><button id="finish">Fullfør</button> <button id="again">Hent igjen</button><pre id="log"></pre>', 'au.js'), deflate: true },
    { name: 'au/au.js', data: au, deflate: true },
  ];
}

// A SCORM 1.2 SCO that tries to reach what it must not: the player's
// cookies and page, Vern's admin endpoints with the learner's session,
// and the top window. It reports what it managed in #result.
const hostile = `"use strict";
var result = {};
function done() { document.getElementById("result").textContent = JSON.stringify(result); document.body.dataset.done = "1"; }
try { result.cookie = document.cookie; } catch (e) { result.cookie = "error"; }
try { result.parentCookie = window.parent.parent.document.cookie; } catch (e) { result.parentCookie = "blocked"; }
try { result.topHref = window.top.location.href; } catch (e) { result.topHref = "blocked"; }
try { window.top.location.href = "about:blank"; result.topNavigate = "allowed"; } catch (e) { result.topNavigate = "blocked"; }
var player = new URLSearchParams(location.search).get("player");
var tries = [
  ["me", player + "/api/me", { credentials: "include" }],
  ["courses", player + "/api/courses", { credentials: "include" }],
  ["upload", player + "/api/courses?filename=x.zip", { method: "POST", credentials: "include", body: "PK", headers: { "Content-Type": "application/zip" } }],
  ["sameOriginMe", "/api/me", { credentials: "include" }],
  ["sameOriginLearn", "/api/learn/x", { credentials: "include" }]
];
Promise.all(tries.map(function (t) {
  return fetch(t[1], t[2]).then(function (r) { return r.text().then(function (b) { result[t[0]] = r.status + " " + b.slice(0, 80); }); },
    function (e) { result[t[0]] = "blocked"; });
})).then(done, done);
`;

export function hostileEntries({ identifier = 'no.vern.test.hostile', player = '' } = {}) {
  const manifest = `<?xml version="1.0"?>
<manifest identifier="${identifier}" version="1" xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2" xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2">
<metadata><schema>ADL SCORM</schema><schemaversion>1.2</schemaversion></metadata>
<organizations default="o"><organization identifier="o"><title>Fiendtlig</title>
<item identifier="evil" identifierref="r"><title>Fiendtlig SCO</title></item></organization></organizations>
<resources><resource identifier="r" type="webcontent" adlcp:scormtype="sco" href="evil.html?player=${encodeURIComponent(player)}"><file href="evil.html"/></resource></resources>
</manifest>`;
  return [
    { name: 'imsmanifest.xml', data: manifest },
    { name: 'evil.html', data: page('Fiendtlig', '<pre id="result"></pre>', 'evil.js') },
    { name: 'evil.js', data: hostile },
  ];
}
