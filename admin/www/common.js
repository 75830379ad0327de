/* common.js: what every Vern page shares: who is signed in (/api/me), JSON
 * calls with the CSRF token, a DOM builder that never parses HTML (so no
 * data can inject markup), and the top navigation by role. */
"use strict";

const Vern = (() => {
	let me = null;

	/* el("a", {href: "/x", class: "btn"}, "text", child, ...) */
	function el(tag, attrs, ...children) {
		const node = document.createElement(tag);
		for (const [k, v] of Object.entries(attrs || {})) {
			if (v === null || v === undefined || v === false) continue;
			if (k.startsWith("on") && typeof v === "function") node.addEventListener(k.slice(2), v);
			else if (k === "class") node.className = v;
			else node.setAttribute(k, v === true ? "" : String(v));
		}
		for (const c of children.flat()) {
			if (c === null || c === undefined || c === false) continue;
			node.append(c instanceof Node ? c : document.createTextNode(String(c)));
		}
		return node;
	}

	async function api(method, path, body) {
		const headers = { Accept: "application/json" };
		if (me && me.csrf) headers["X-CSRF-Token"] = me.csrf;
		const init = { method, headers, credentials: "same-origin" };
		if (body !== undefined) {
			headers["Content-Type"] = "application/json";
			init.body = JSON.stringify(body);
		}
		const res = await fetch(path, init);
		if (res.status === 401 && !path.startsWith("/api/login")) {
			location.href = "/logg-inn?neste=" + encodeURIComponent(location.pathname);
			throw new Error("Du er ikke logget inn.");
		}
		const type = res.headers.get("Content-Type") || "";
		const data = type.includes("json") ? await res.json() : await res.text();
		if (!res.ok) {
			const err = new Error((data && data.detail) || "Noe gikk galt (" + res.status + ").");
			err.status = res.status;
			err.data = data;
			throw err;
		}
		return data;
	}

	/* Loads who is signed in; sends them to the sign-in page if no one. */
	async function signedIn() {
		me = await api("GET", "/api/me");
		return me;
	}

	function has(role) {
		return !!(me && me.roles.includes(role));
	}

	const links = [
		["/min-side", "Min side", "employee"],
		["/leder", "Leder", "leader"],
		["/hr", "HR", "hr"],
		["/ombud", "Personvernombud", "ombud"],
		["/admin", "Administrasjon", "admin"],
	];

	/* Fills <header id="topp"> with the navigation for the user's roles. */
	function nav(active) {
		const header = document.getElementById("topp");
		if (!header || !me) return;
		const list = el("ul", {});
		for (const [href, label, role] of links)
			if (has(role))
				list.append(el("li", {}, el("a", { href, "aria-current": href === active ? "page" : null }, label)));
		const out = el("form", { method: "post", action: "/api/logout", class: "logg-ut" },
			el("input", { type: "hidden", name: "csrf", value: me.csrf }),
			el("button", { type: "submit" }, "Logg ut"));
		header.replaceChildren(
			el("a", { href: "/", class: "merke" }, "Vern"),
			el("nav", { "aria-label": "Hovedmeny" }, list),
			el("span", { class: "bruker" }, me.name),
			out);
	}

	/* Shows an error message in the page's status region. */
	function status(message, kind) {
		const region = document.getElementById("status");
		if (region) region.replaceChildren(el("p", { class: kind || "feil" }, message));
	}

	function date(ms) {
		return ms ? new Date(ms).toLocaleDateString("nb-NO") : "";
	}

	return { el, api, signedIn, has, nav, status, date, get me() { return me; } };
})();
