/* vern-au.js: the runtime of a native Vern lesson page, a cmi5 AU.
 *
 * One module page (built by courses/native.c) holds every lesson page as a
 * <section class="au-page">, shown one at a time, and optionally a quiz.
 * This script:
 *   - reads the cmi5 launch parameters from the URL (endpoint, fetch, actor,
 *     registration, activityId), POSTs the fetch URL once for the auth
 *     token, reads LMS.LaunchData (contextTemplate, launchMode,
 *     masteryScore, returnURL) and the learner preferences (videos start
 *     muted when audioPreference is "off"), and sends "initialized";
 *   - pages through the sections (Neste/Forrige, keyboard friendly), sends
 *     "progressed" with the cmi5 progress extension, and keeps a bookmark
 *     in its own State document (stateId "vern.progress");
 *   - checks quiz answers with immediate feedback, sends each as
 *     "answered" on a cmi.interaction of type choice, then "passed" or
 *     "failed" with the scaled score against masteryScore;
 *   - sends "completed" once every page is seen, every video watched to
 *     90 % and the quiz answered; and "terminated" when the learner leaves,
 *     then goes to returnURL;
 *   - reports videos with the xAPI video profile (initialized, played,
 *     paused, seeked, completed at 90 % watched, terminated).
 * cmi5 defined statements carry the cmi5 category (and moveon where the
 * result has success or completion); all statements use the LMS's
 * contextTemplate (registration, session id, publisher id grouping).
 * Without launch parameters the page is a preview: it works, but sends
 * nothing. No eval, no inline code or styles: it runs under a strict CSP
 * in a sandboxed frame (no cookies or storage needed). */
(function () {
  'use strict';

  var CMI5_CATEGORY = 'https://w3id.org/xapi/cmi5/context/categories/cmi5';
  var MOVEON_CATEGORY = 'https://w3id.org/xapi/cmi5/context/categories/moveon';
  var EXT_SESSION = 'https://w3id.org/xapi/cmi5/context/extensions/sessionid';
  var EXT_MASTERY = 'https://w3id.org/xapi/cmi5/context/extensions/masteryscore';
  var EXT_PROGRESS = 'https://w3id.org/xapi/cmi5/result/extensions/progress';
  var VIDEO_PROFILE = 'https://w3id.org/xapi/video';
  var VIDEO_EXT = 'https://w3id.org/xapi/video/extensions/';
  var VIDEO_TYPE = 'https://w3id.org/xapi/video/activity-type/video';
  var VIDEO_THRESHOLD = 0.9;
  var STATE_ID = 'vern.progress';
  var VERBS = {
    initialized: ['http://adlnet.gov/expapi/verbs/initialized', 'startet'],
    progressed: ['http://adlnet.gov/expapi/verbs/progressed', 'kom videre i'],
    answered: ['http://adlnet.gov/expapi/verbs/answered', 'svarte på'],
    completed: ['http://adlnet.gov/expapi/verbs/completed', 'fullførte'],
    passed: ['http://adlnet.gov/expapi/verbs/passed', 'bestod'],
    failed: ['http://adlnet.gov/expapi/verbs/failed', 'bestod ikke'],
    terminated: ['http://adlnet.gov/expapi/verbs/terminated', 'avsluttet'],
    played: ['https://w3id.org/xapi/video/verbs/played', 'spilte av'],
    paused: ['https://w3id.org/xapi/video/verbs/paused', 'satte på pause'],
    seeked: ['https://w3id.org/xapi/video/verbs/seeked', 'spolte i']
  };

  var body = document.body;
  var lang = body.getAttribute('data-language') || 'nb-NO';
  var pages = Array.prototype.slice.call(document.querySelectorAll('.au-page'));
  var questions = Array.prototype.slice.call(document.querySelectorAll('.au-question'));
  var statusEl = document.getElementById('au-status');
  var noticeEl = document.getElementById('au-melding');
  var prevBtn = document.getElementById('au-forrige');
  var nextBtn = document.getElementById('au-neste');
  var exitBtn = document.getElementById('au-avslutt');
  var progressEl = document.getElementById('au-framdrift');
  var progressLabel = document.getElementById('au-framdrift-tekst');
  var resultEl = document.getElementById('au-resultat');

  /* ---- small helpers ---- */

  function uuid() {
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join('');
    return h.slice(0, 8) + '-' + h.slice(8, 12) + '-' + h.slice(12, 16) + '-' + h.slice(16, 20) + '-' + h.slice(20);
  }

  function langMap(text) {
    var m = {};
    m[lang] = text;
    return m;
  }

  /* ISO 8601 duration of ms milliseconds, to the hundredth of a second. */
  function duration(ms) {
    var cs = Math.max(0, Math.round(ms / 10));
    var h = Math.floor(cs / 360000);
    var m = Math.floor((cs % 360000) / 6000);
    var s = (cs % 6000) / 100;
    return 'PT' + (h ? h + 'H' : '') + (m ? m + 'M' : '') + s.toFixed(2).replace(/\.?0+$/, '') + 'S';
  }

  function round3(x) { return Math.round(x * 1000) / 1000; }

  function clone(x) { return x === undefined ? undefined : JSON.parse(JSON.stringify(x)); }

  function say(text) { if (statusEl) statusEl.textContent = text; }

  function notice(text, kind) {
    if (!noticeEl) return;
    noticeEl.textContent = text;
    noticeEl.className = 'au-notice au-notice-' + (kind || 'info');
    noticeEl.hidden = false;
  }

  /* ---- the cmi5 session ---- */

  var launch = null;      /* launch parameters, null in preview */
  var auth = null;        /* "Basic ..." */
  var launchData = {};    /* LMS.LaunchData */
  var sessionId = uuid();
  var initializedAt = 0;
  var lastStamp = 0;
  var terminated = false;
  var passFailSent = false;
  var queue = Promise.resolve();
  var failures = 0;
  var state = { version: 1, page: 0, seen: [], completed: false, passed: false, videos: {} };
  var audioOff = false;   /* cmi5LearnerPreferences audioPreference "off" */

  function readLaunch() {
    var q = new URLSearchParams(window.location.search);
    var need = ['endpoint', 'fetch', 'actor', 'registration', 'activityId'];
    for (var i = 0; i < need.length; i++)
      if (!q.get(need[i])) return null;
    var actor;
    try { actor = JSON.parse(q.get('actor')); } catch (e) { return null; }
    var endpoint = q.get('endpoint');
    if (endpoint.charAt(endpoint.length - 1) !== '/') endpoint += '/';
    return { endpoint: endpoint, fetch: q.get('fetch'), actor: actor,
      registration: q.get('registration'), activityId: q.get('activityId') };
  }

  function tracking() { return launch !== null && auth !== null && !terminated; }
  function normalMode() { return tracking() && (launchData.launchMode || 'Normal') === 'Normal'; }

  /* One xAPI request; resolves the Response (any status). */
  function xapi(method, path, bodyValue, keepalive) {
    var headers = { 'Authorization': auth, 'X-Experience-API-Version': '1.0.3' };
    var init = { method: method, headers: headers, mode: 'cors', credentials: 'omit', cache: 'no-store' };
    if (bodyValue !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(bodyValue);
    }
    if (keepalive) init.keepalive = true;
    return fetch(launch.endpoint + path, init);
  }

  function stateQuery(stateId) {
    return 'activities/state?stateId=' + encodeURIComponent(stateId) +
      '&activityId=' + encodeURIComponent(launch.activityId) +
      '&agent=' + encodeURIComponent(JSON.stringify(launch.actor)) +
      '&registration=' + encodeURIComponent(launch.registration);
  }

  function getJson(path) {
    return xapi('GET', path).then(function (r) {
      if (r.status === 404) return null;
      if (!r.ok) throw new Error('HTTP ' + r.status + ' for ' + path.split('?')[0]);
      return r.json();
    });
  }

  /* Timestamps strictly increase, so statements sort in the order sent. */
  function stamp() {
    var t = Date.now();
    if (t <= lastStamp) t = lastStamp + 1;
    lastStamp = t;
    return new Date(t).toISOString();
  }

  /* The context every statement gets: the LMS's template, never
   * overwritten, plus what the statement adds. */
  function context(categories, extra) {
    var ctx = clone(launchData.contextTemplate) || {};
    ctx.registration = launch.registration;
    ctx.contextActivities = ctx.contextActivities || {};
    if (categories.length) {
      var cat = ctx.contextActivities.category || [];
      categories.forEach(function (id) {
        if (!cat.some(function (a) { return a.id === id; })) cat.push({ id: id });
      });
      ctx.contextActivities.category = cat;
    }
    ctx.extensions = ctx.extensions || {};
    if (ctx.extensions[EXT_SESSION] === undefined) ctx.extensions[EXT_SESSION] = sessionId;
    if (extra) extra(ctx);
    return ctx;
  }

  function statement(verb, object, result, ctx) {
    var s = {
      id: uuid(),
      timestamp: stamp(),
      actor: launch.actor,
      verb: { id: VERBS[verb][0], display: langMap(VERBS[verb][1]) },
      object: object,
      context: ctx
    };
    if (result) s.result = result;
    return s;
  }

  function auObject() {
    return { objectType: 'Activity', id: launch.activityId };
  }

  /* Sends in order; a failed send is retried twice, then reported. */
  function send(s, keepalive) {
    queue = queue.then(function () { return post(s, keepalive, 0); });
    return queue;
  }

  function post(s, keepalive, attempt) {
    return xapi('POST', 'statements', s, keepalive).then(function (r) {
      if (r.ok || r.status === 409) return;
      throw new Error('HTTP ' + r.status);
    }).catch(function (e) {
      if (attempt < 2 && !keepalive)
        return new Promise(function (res) { setTimeout(res, 500 * (attempt + 1)); })
          .then(function () { return post(s, keepalive, attempt + 1); });
      failures++;
      notice('Framdriften din kunne ikke lagres (' + e.message + '). Sjekk nettforbindelsen; ' +
        'lukk modulen og åpne den igjen om feilen varer.', 'error');
    });
  }

  function saveState() {
    if (!tracking()) return;
    var copy = clone(state);
    queue = queue.then(function () {
      return xapi('PUT', stateQuery(STATE_ID), copy).then(function (r) {
        if (!r.ok && r.status !== 403) throw new Error('HTTP ' + r.status);
      }).catch(function () { /* the bookmark is a convenience; statements carry the record */ });
    });
  }

  function cmi5Defined(verb, result, extra) {
    var moveOn = result && (result.success !== undefined || result.completion !== undefined);
    var cats = moveOn ? [CMI5_CATEGORY, MOVEON_CATEGORY] : [CMI5_CATEGORY];
    return send(statement(verb, auObject(), result, context(cats, extra)));
  }

  function cmi5Allowed(verb, object, result, extra) {
    return send(statement(verb, object, result, context([], extra)));
  }

  function start() {
    launch = readLaunch();
    if (!launch) {
      notice('Forhåndsvisning: siden er ikke startet fra Vern, så ingenting blir registrert.', 'info');
      ready(0);
      return;
    }
    say('Kobler til …');
    fetch(launch.fetch, { method: 'POST', mode: 'cors', credentials: 'omit', cache: 'no-store' })
      .then(function (r) {
        if (!r.ok) throw new Error('HTTP ' + r.status);
        return r.json();
      })
      .then(function (j) {
        if (!j || typeof j['auth-token'] !== 'string')
          throw new Error((j && j['error-text']) || 'ingen nøkkel i svaret');
        auth = 'Basic ' + j['auth-token'];
        return getJson(stateQuery('LMS.LaunchData'));
      })
      .then(function (ld) {
        if (!ld || !ld.contextTemplate) throw new Error('LMS.LaunchData mangler');
        launchData = ld;
        var tplExt = ld.contextTemplate.extensions;
        if (tplExt && typeof tplExt[EXT_SESSION] === 'string') sessionId = tplExt[EXT_SESSION];
        if (typeof ld.masteryScore === 'number') {
          var krav = document.getElementById('au-krav');
          if (krav) krav.textContent = String(Math.round(ld.masteryScore * 100));
        }
        return Promise.all([
          getJson('agents/profile?profileId=cmi5LearnerPreferences&agent=' +
            encodeURIComponent(JSON.stringify(launch.actor))).catch(function () { return null; }),
          getJson(stateQuery(STATE_ID)).catch(function () { return null; })
        ]);
      })
      .then(function (docs) {
        var prefs = docs[0];
        audioOff = !!(prefs && prefs.audioPreference === 'off');
        var saved = docs[1];
        if (saved && saved.version === 1) {
          state.page = saved.page | 0;
          state.seen = Array.isArray(saved.seen) ? saved.seen : [];
          state.completed = saved.completed === true;
          state.passed = saved.passed === true;
          state.videos = saved.videos && typeof saved.videos === 'object' ? saved.videos : {};
        }
        initializedAt = Date.now();
        cmi5Defined('initialized');
        var mode = launchData.launchMode || 'Normal';
        if (mode !== 'Normal')
          notice(mode === 'Review' ? 'Gjennomgang: svarene dine blir ikke registrert.'
            : 'Bla gjennom: svarene dine blir ikke registrert.', 'info');
        else if (state.completed && (state.passed || !questions.length))
          notice('Du har allerede fullført denne modulen. Du kan gå gjennom den igjen.', 'info');
        say('');
        ready(Math.min(Math.max(state.page, 0), pages.length - 1));
      })
      .catch(function (e) {
        launch = null;
        auth = null;
        say('');
        notice('Kunne ikke koble til Vern (' + e.message + '). Du kan lese modulen, men ' +
          'framdriften blir ikke lagret. Lukk modulen og start den på nytt fra Vern.', 'error');
        ready(0);
      });
  }

  /* The saved state is known (or there is none): videos attach, and the
   * bookmarked page shows. The navigation appears only now, so a click
   * made while the bookmark loads cannot land on the wrong page. */
  function ready(pageIndex) {
    document.querySelectorAll('.au-js-only').forEach(function (el) { el.hidden = false; });
    document.querySelectorAll('.au-page[data-video-id]').forEach(function (section) {
      videos.push(new VideoTracker(section));
    });
    showPage(pageIndex, false);
  }

  function terminate(keepalive) {
    if (!tracking()) return Promise.resolve();
    videos.forEach(function (v) { v.finish(); });
    saveState();
    var result = { duration: duration(Date.now() - initializedAt) };
    var s = statement('terminated', auObject(), result, context([CMI5_CATEGORY]));
    terminated = true;
    return send(s, keepalive);
  }

  function leave() {
    exitBtn.disabled = true;
    say('Avslutter …');
    var wasTracking = tracking();
    terminate(false).then(function () {
      var back = launchData.returnURL;
      if (wasTracking && back) {
        window.location.assign(back);
        return;
      }
      say('');
      notice(wasTracking ? 'Modulen er avsluttet og framdriften lagret. Du kan lukke vinduet.'
        : 'Modulen er lukket. Du kan lukke vinduet.', 'info');
    });
  }

  /* ---- pages ---- */

  var current = -1;

  function pageId(i) { return pages[i].getAttribute('data-page-id'); }

  function contentDone() {
    for (var i = 0; i < pages.length; i++) {
      var p = pages[i];
      if (p.classList.contains('au-quiz')) continue;
      if (state.seen.indexOf(pageId(i)) < 0) return false;
      var vid = p.getAttribute('data-video-id');
      if (vid && !(state.videos[vid] && state.videos[vid].completed)) return false;
    }
    return true;
  }

  function quizDone() {
    return questions.every(function (q) { return q.classList.contains('au-answered'); });
  }

  function maybeComplete() {
    if (!normalMode() || state.completed) return;
    if (!contentDone() || (questions.length && !quizDone())) return;
    state.completed = true;
    cmi5Defined('completed', { completion: true, duration: duration(Date.now() - initializedAt) });
    saveState();
  }

  function showPage(i, focus) {
    if (i < 0 || i >= pages.length) return;
    pages.forEach(function (p, k) { p.hidden = k !== i; });
    current = i;
    prevBtn.disabled = i === 0;
    nextBtn.hidden = i === pages.length - 1;
    progressEl.value = i + 1;
    progressLabel.textContent = 'Side ' + (i + 1) + ' av ' + pages.length;
    if (focus) {
      var h = pages[i].querySelector('h2');
      if (h) h.focus();
    }
    var id = pageId(i);
    var first = state.seen.indexOf(id) < 0;
    if (first) state.seen.push(id);
    state.page = i;
    if (normalMode() && first && !state.completed) {
      var pct = Math.floor(100 * state.seen.length / pages.length);
      cmi5Allowed('progressed', auObject(), { extensions: (function () {
        var e = {}; e[EXT_PROGRESS] = Math.min(pct, 99); return e; })() });
    }
    saveState();
    maybeComplete();
  }

  /* ---- the quiz ---- */

  var masteryOf = function () {
    var ms = launchData.masteryScore;
    if (typeof ms === 'number' && ms >= 0 && ms <= 1) return ms;
    var quiz = document.querySelector('.au-quiz');
    return quiz ? parseFloat(quiz.getAttribute('data-mastery')) : 1;
  };

  function chosen(form) {
    return Array.prototype.slice.call(form.querySelectorAll('input:checked'))
      .map(function (i) { return i.value; });
  }

  function interactionObject(form) {
    var qid = form.getAttribute('data-question');
    var correct = form.getAttribute('data-correct').split(' ');
    var choices = Array.prototype.slice.call(form.querySelectorAll('input')).map(function (inp) {
      var label = form.querySelector('label[for="' + inp.id + '"]');
      return { id: inp.value, description: langMap(label ? label.textContent.trim() : inp.value) };
    });
    var text = form.querySelector('.au-qtext');
    return {
      objectType: 'Activity',
      id: launch.activityId + '/sporsmal/' + encodeURIComponent(qid),
      definition: {
        type: 'http://adlnet.gov/expapi/activities/cmi.interaction',
        name: langMap('Spørsmål ' + form.getAttribute('data-number')),
        description: langMap(text ? text.textContent.trim() : qid),
        interactionType: 'choice',
        correctResponsesPattern: [correct.join('[,]')],
        choices: choices
      }
    };
  }

  function answer(form) {
    var picked = chosen(form);
    var verdict = form.querySelector('.au-verdict');
    var feedback = form.querySelector('.au-feedback');
    if (!picked.length) {
      verdict.textContent = 'Velg et svar først.';
      feedback.className = 'au-feedback au-feedback-empty';
      feedback.hidden = false;
      form.querySelectorAll('.au-option-feedback, .au-explanation').forEach(function (el) { el.hidden = true; });
      return;
    }
    var correct = form.getAttribute('data-correct').split(' ');
    var right = picked.length === correct.length && picked.every(function (p) { return correct.indexOf(p) >= 0; });
    form.classList.add('au-answered');
    form.setAttribute('data-result', right ? 'right' : 'wrong');
    form.querySelectorAll('input').forEach(function (inp) {
      inp.disabled = true;
      var opt = inp.closest('.au-option');
      if (correct.indexOf(inp.value) >= 0) opt.classList.add('au-correct-option');
      else if (inp.checked) opt.classList.add('au-wrong-option');
    });
    form.querySelector('.au-check').hidden = true;
    verdict.textContent = right ? 'Riktig!' : 'Ikke riktig.';
    feedback.className = 'au-feedback ' + (right ? 'au-feedback-right' : 'au-feedback-wrong');
    form.querySelectorAll('.au-option-feedback').forEach(function (el) {
      el.hidden = picked.indexOf(el.getAttribute('data-option')) < 0;
    });
    form.querySelector('.au-explanation').hidden = false;
    feedback.hidden = false;
    feedback.focus();
    if (normalMode())
      cmi5Allowed('answered', interactionObject(form), { response: picked.join('[,]'), success: right },
        function (ctx) { ctx.contextActivities.parent = [{ id: launch.activityId }]; });
    if (quizDone()) finishQuiz();
  }

  function finishQuiz() {
    var right = questions.filter(function (q) { return q.getAttribute('data-result') === 'right'; }).length;
    var total = questions.length;
    var scaled = round3(right / total);
    var mastery = masteryOf();
    var pass = scaled >= mastery;
    var pct = Math.round(mastery * 100);
    resultEl.className = 'au-result ' + (pass ? 'au-result-pass' : 'au-result-fail');
    resultEl.querySelector('.au-result-title').textContent = pass ? 'Du bestod!' : 'Du bestod ikke denne gangen';
    resultEl.querySelector('.au-result-text').textContent = 'Du hadde ' + right + ' av ' + total +
      ' riktige svar (' + Math.round(scaled * 100) + ' %). Kravet er ' + pct + ' %. ' +
      (pass ? 'Trykk «Avslutt modulen» for å lagre og gå tilbake.'
        : 'Les gjennom sidene igjen, avslutt modulen og start den på nytt for å ta testen en gang til.');
    resultEl.hidden = false;
    resultEl.focus();
    if (normalMode() && !passFailSent && !state.passed) {
      passFailSent = true;
      var result = {
        score: { scaled: scaled, raw: right, min: 0, max: total },
        success: pass,
        duration: duration(Date.now() - initializedAt)
      };
      var hasMastery = typeof launchData.masteryScore === 'number';
      cmi5Defined(pass ? 'passed' : 'failed', result, function (ctx) {
        if (hasMastery) ctx.extensions[EXT_MASTERY] = launchData.masteryScore;
      });
      if (pass) state.passed = true;
      saveState();
    }
    maybeComplete();
  }

  /* ---- videos (xAPI video profile) ---- */

  var videos = [];

  function VideoTracker(section) {
    var self = this;
    var el = section.querySelector('video');
    var vid = section.getAttribute('data-video-id');
    var title = section.getAttribute('data-video-title') || vid;
    var saved = state.videos[vid] || { segments: [], completed: false };
    var segments = Array.isArray(saved.segments) ? saved.segments.slice() : [];
    var segStart = null;
    var lastTime = 0;
    var started = false;
    var startedAt = 0;
    var seekFrom = null;
    if (audioOff) el.muted = true;

    function object() {
      return { objectType: 'Activity', id: launch.activityId + '/video/' + encodeURIComponent(vid),
        definition: { type: VIDEO_TYPE, name: langMap(title) } };
    }
    function length() { return isFinite(el.duration) ? round3(el.duration) : 0; }
    function merged() {
      var all = segments.slice();
      if (segStart !== null && el.currentTime > segStart) all.push([segStart, el.currentTime]);
      all.sort(function (a, b) { return a[0] - b[0]; });
      var out = [];
      all.forEach(function (s) {
        var last = out[out.length - 1];
        if (last && s[0] <= last[1]) last[1] = Math.max(last[1], s[1]);
        else out.push([s[0], s[1]]);
      });
      return out;
    }
    function progress() {
      var len = el.duration;
      if (!isFinite(len) || len <= 0) return 0;
      var sum = merged().reduce(function (acc, s) { return acc + (s[1] - s[0]); }, 0);
      return Math.min(1, round3(sum / len));
    }
    function playedSegments() {
      return merged().map(function (s) { return round3(s[0]) + '[.]' + round3(s[1]); }).join('[,]');
    }
    function ext(pairs) {
      var e = {};
      Object.keys(pairs).forEach(function (k) { e[VIDEO_EXT + k] = pairs[k]; });
      return e;
    }
    function videoContext(more) {
      return function (ctx) {
        ctx.contextActivities.category = (ctx.contextActivities.category || [])
          .concat([{ id: VIDEO_PROFILE, definition: { type: 'http://adlnet.gov/expapi/activities/profile' } }]);
        ctx.contextActivities.parent = [{ id: launch.activityId }];
        var e = ext(Object.assign({ 'session-id': sessionId, length: length() }, more || {}));
        Object.keys(e).forEach(function (k) { ctx.extensions[k] = e[k]; });
      };
    }
    function closeSegment(at) {
      if (segStart !== null && at > segStart) segments.push([round3(segStart), round3(at)]);
      segStart = null;
    }
    function remember() {
      state.videos[vid] = { segments: merged(), completed: saved.completed };
      saveState();
    }
    function emit(verb, result, more) {
      if (!normalMode() || !started) return;
      cmi5Allowed(verb, object(), result, videoContext(more));
    }
    function begin() {
      if (started || !normalMode()) return;
      started = true;
      startedAt = Date.now();
      cmi5Allowed('initialized', object(), null,
        videoContext({ 'completion-threshold': VIDEO_THRESHOLD }));
    }
    function checkDone() {
      if (saved.completed || progress() < VIDEO_THRESHOLD) return;
      saved.completed = true;
      emit('completed', { completion: true, duration: duration(Date.now() - startedAt),
        extensions: ext({ time: round3(el.currentTime), progress: progress(), 'played-segments': playedSegments() }) },
      { 'completion-threshold': VIDEO_THRESHOLD });
      var note = section.querySelector('.au-video-note');
      if (note) note.textContent = 'Du har sett filmen.';
      remember();
      maybeComplete();
    }

    el.addEventListener('loadedmetadata', begin);
    el.addEventListener('play', function () {
      begin();
      segStart = el.currentTime;
      lastTime = el.currentTime;
      emit('played', { extensions: ext({ time: round3(el.currentTime) }) });
    });
    el.addEventListener('timeupdate', function () {
      if (!el.seeking) lastTime = el.currentTime;
      checkDone();
    });
    el.addEventListener('seeking', function () {
      if (seekFrom === null) seekFrom = lastTime;
      closeSegment(lastTime);
    });
    el.addEventListener('seeked', function () {
      var from = seekFrom === null ? lastTime : seekFrom;
      seekFrom = null;
      lastTime = el.currentTime;
      if (!el.paused) segStart = el.currentTime;
      emit('seeked', { extensions: ext({ 'time-from': round3(from), 'time-to': round3(el.currentTime) }) });
    });
    el.addEventListener('pause', function () {
      if (el.seeking) return;
      closeSegment(el.currentTime);
      if (!el.ended)
        emit('paused', { extensions: ext({ time: round3(el.currentTime), progress: progress(),
          'played-segments': playedSegments() }) });
      remember();
      checkDone();
    });
    el.addEventListener('ended', function () {
      closeSegment(el.duration);
      remember();
      checkDone();
    });
    if (el.readyState >= 1) begin();

    self.finish = function () {
      if (!started || !normalMode()) return;
      closeSegment(el.currentTime);
      emit('terminated', { duration: duration(Date.now() - startedAt),
        extensions: ext({ time: round3(el.currentTime), progress: progress(), 'played-segments': playedSegments() }) });
      started = false;
      state.videos[vid] = { segments: merged(), completed: saved.completed };
    };
  }

  /* ---- wiring ---- */

  document.documentElement.classList.add('au-js');
  prevBtn.addEventListener('click', function () { showPage(current - 1, true); });
  nextBtn.addEventListener('click', function () { showPage(current + 1, true); });
  exitBtn.addEventListener('click', leave);
  questions.forEach(function (form) {
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      if (!form.classList.contains('au-answered')) answer(form);
    });
  });
  /* Leaving without "Avslutt" (closing the tab, the player navigating
   * away): terminated still goes out, with keepalive. */
  window.addEventListener('pagehide', function () { terminate(true); });

  start();
}());
