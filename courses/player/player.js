/* player.js: the course player page (/learn/<course>). It shows the
 * outline with the learner's progress, launches SCOs and AUs into the
 * sandboxed frame (POST /api/learn/<course>/launch), resumes where the
 * learner left off, and follows navigation: the Previous/Next buttons, the
 * outline, and what a SCO asks for when it ends (adl.nav.request), which
 * the run-time host on the content origin reports with postMessage. */
"use strict";

(() => {
	const course = decodeURIComponent(location.pathname.split("/")[2] || "");
	const $ = (id) => document.getElementById(id);
	const frame = $("frame");
	let state = null;
	let current = null;
	let popup = null;

	async function api(method, path, body) {
		const headers = { Accept: "application/json" };
		if (state && state.csrf) headers["X-CSRF-Token"] = state.csrf;
		const init = { method, headers, credentials: "same-origin" };
		if (body !== undefined) {
			headers["Content-Type"] = "application/json";
			init.body = JSON.stringify(body);
		}
		const res = await fetch(path, init);
		if (res.status === 401) {
			location.href = "/logg-inn?neste=" + encodeURIComponent(location.pathname);
			throw new Error("Du er ikke logget inn.");
		}
		const data = await res.json().catch(() => ({}));
		if (!res.ok) throw new Error(data.detail || "Noe gikk galt (" + res.status + ").");
		return data;
	}

	function el(tag, attrs, ...children) {
		const node = document.createElement(tag);
		for (const [k, v] of Object.entries(attrs || {})) {
			if (v === null || v === undefined || v === false) continue;
			if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
			else if (k === "class") node.className = v;
			else node.setAttribute(k, v === true ? "" : String(v));
		}
		for (const c of children) if (c !== null && c !== undefined) node.append(c);
		return node;
	}

	function say(text) {
		const m = $("message");
		m.textContent = text || "";
		m.hidden = !text;
	}

	const launchables = () => state.items.filter((i) => i.launchable);
	const marks = { completed: "✓", passed: "✓", satisfied: "✓", waived: "✓", failed: "✗", incomplete: "●" };
	const words = { completed: "fullført", passed: "bestått", satisfied: "godkjent", waived: "fritatt",
		failed: "ikke bestått", incomplete: "påbegynt", "not attempted": "ikke startet", unknown: "påbegynt" };

	function render() {
		$("title").textContent = state.course.title;
		document.title = state.course.title + " – Vern";
		const list = launchables();
		const done = list.filter((i) => i.done).length;
		const finished = state.attempt && state.attempt.completed;
		$("progress").textContent = finished ? "Kurset er fullført"
			: done + " av " + list.length + " deler fullført";
		const ol = el("ol");
		for (const item of state.items) {
			const pad = (0.75 + item.depth * 1) + "rem";
			if (!item.launchable) {
				const label = el("span", { class: "label" }, item.title);
				label.style.paddingLeft = pad;
				ol.append(el("li", {}, label));
				continue;
			}
			const mark = marks[item.status] || "";
			const button = el("button", {
				type: "button", "data-item": item.id,
				"aria-current": item.id === current ? "true" : null,
				onclick: () => launch(item.id),
			}, el("span", { class: "mark", "aria-hidden": "true" }, mark), item.title + " ",
			el("span", { class: "visually-hidden" }, "(" + (words[item.status] || "") + ")"));
			button.style.paddingLeft = pad;
			ol.append(el("li", {}, button));
		}
		$("outline").replaceChildren(ol);
		const idx = list.findIndex((i) => i.id === current);
		$("prev").disabled = idx <= 0;
		$("next").disabled = idx < 0 || idx >= list.length - 1;
		$("restart").hidden = !finished;
	}

	async function load() {
		state = await api("GET", "/api/learn/" + encodeURIComponent(course));
		render();
	}

	async function launch(id, restart) {
		say("");
		try {
			const r = await api("POST", "/api/learn/" + encodeURIComponent(course) + "/launch",
				{ item: id, restart: !!restart });
			current = r.item;
			if (r.method === "window") {
				frame.src = "about:blank";
				popup = window.open(r.url, "vern-au");
				say("Kursdelen er åpnet i et eget vindu. Kom tilbake hit når du er ferdig.");
			} else {
				frame.src = r.url;
			}
			if (restart) await load();
			else render();
		} catch (e) {
			say(e.message);
		}
	}

	function step(delta) {
		const list = launchables();
		const idx = list.findIndex((i) => i.id === current);
		const next = list[idx + delta];
		if (next) launch(next.id);
	}

	async function ended(nav, target) {
		/* The final commit travels by sendBeacon; give it a moment. */
		await new Promise((r) => setTimeout(r, 300));
		await load();
		if (nav === "continue") return step(1);
		if (nav === "previous") return step(-1);
		if ((nav === "choice" || nav === "jump") && target) return launch(target);
		if (state.attempt && state.attempt.completed) {
			say("Kurset er fullført. Godt jobbet!");
		} else if (nav === "suspendAll" || nav === "exitAll") {
			say("Du kan fortsette senere der du slapp.");
		} else {
			say("Denne delen er avsluttet. Velg «Neste» eller en del i innholdslisten.");
		}
		setTimeout(load, 1500);
	}

	window.addEventListener("message", (e) => {
		if (!state || e.origin !== state.content_origin) return;
		if (e.source !== frame.contentWindow && e.source !== popup) return;
		const m = e.data;
		if (!m || typeof m !== "object") return;
		if (m.type === "vern:ended") ended(String(m.nav || ""), String(m.target || ""));
		if (m.type === "vern:loaded") document.documentElement.dataset.scoLoaded = String(m.item || "");
	});

	$("prev").addEventListener("click", () => step(-1));
	$("next").addEventListener("click", () => step(1));
	$("restart").addEventListener("click", () => launch(null, true));

	load().then(() => {
		if (state.attempt && state.attempt.completed) {
			say("Du har fullført kurset. Du kan se gjennom delene eller ta kurset på nytt.");
			return;
		}
		if (state.resume) launch(state.resume);
	}).catch((e) => say(e.message));
})();
