/* host.js: the SCORM run-time host on the content origin
 * (/content-run/<token>). It creates the SCORM API with scorm-again
 * (window.API for SCORM 1.2, window.API_1484_11 for 2004) loaded with the
 * learner's data model, then opens the SCO in a frame beside it on the same
 * origin, where the SCO's API discovery finds it in its parent. Commits go
 * to the launch's commit URL (scorm-again: synchronous XHR, the final one by
 * sendBeacon); if the page goes away before Terminate, the data is sent by
 * sendBeacon and the session counts as suspended. When the SCO terminates,
 * the player is told, with the navigation request a 2004 SCO made.
 *
 * On /content-return (the returnURL of cmi5 AUs) it only tells the player
 * that the AU has ended. */
"use strict";

(() => {
	const dataEl = document.getElementById("vern-launch");
	if (!dataEl) {
		if (window.parent !== window) window.parent.postMessage({ type: "vern:ended" }, "*");
		else if (window.opener) window.opener.postMessage({ type: "vern:ended" }, "*");
		return;
	}
	const d = JSON.parse(dataEl.textContent);
	const is12 = d.kind === "scorm12";
	let initialized = false;
	let terminated = false;

	function tellPlayer(msg) {
		if (window.parent !== window) window.parent.postMessage(msg, d.player_origin);
	}

	const settings = {
		autocommit: true,
		autocommitSeconds: 10,
		lmsCommitUrl: d.commit,
		dataCommitFormat: "json",
		terminateCommitParam: "terminate",
		sendFullCommit: true,
		autoCompleteLessonStatus: false,
		scoItemIds: d.items,
		logLevel: 4,
	};
	const api = is12 ? new window.Scorm12API(settings) : new window.Scorm2004API(settings);
	if (d.cmi) api.loadFromJSON(d.cmi);
	if (is12) window.API = api;
	else window.API_1484_11 = api;

	api.on(is12 ? "LMSInitialize" : "Initialize", () => {
		initialized = true;
		fetch(d.event, {
			method: "POST", headers: { "Content-Type": "application/json" },
			body: JSON.stringify({ type: "initialize" }), keepalive: true,
		}).catch(() => {});
	});

	function navRequest() {
		if (is12) return { nav: "", target: "" };
		let req = "";
		try { req = String(api.adl.nav.request || ""); } catch (e) { req = ""; }
		const m = /^\{target=([^}]*)\}(choice|jump)$/.exec(req);
		if (m) return { nav: m[2], target: m[1] };
		return { nav: req === "_none_" ? "" : req, target: "" };
	}

	api.on(is12 ? "LMSFinish" : "Terminate", () => {
		terminated = true;
		const n = navRequest();
		tellPlayer({ type: "vern:ended", item: d.item, nav: n.nav, target: n.target });
	});

	window.addEventListener("pagehide", () => {
		if (!initialized || terminated) return;
		let body;
		try {
			body = JSON.stringify(api.renderCommitCMI(true));
		} catch (e) {
			return;
		}
		navigator.sendBeacon(d.commit + "?pagehide=1",
			new Blob([body], { type: "text/plain;charset=UTF-8" }));
	});

	const frame = document.createElement("iframe");
	frame.title = "Kursinnhold";
	frame.allow = "fullscreen; autoplay";
	frame.addEventListener("load", () => tellPlayer({ type: "vern:loaded", item: d.item }), { once: true });
	frame.src = d.sco;
	document.body.append(frame);
})();
