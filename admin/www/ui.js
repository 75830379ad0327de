/* ui.js: small building blocks shared by the sign-in, Min side, certificate
 * and admin pages: sections with headings, accessible tables, status
 * badges that never rely on colour alone, dates and a form-field builder.
 * Builds DOM nodes only (never HTML strings), like common.js. */
"use strict";

const Ui = (() => {
	const { el } = Vern;

	function section(id, title, ...children) {
		return el("section", { id, "aria-labelledby": id + "-tittel" },
			el("h2", { id: id + "-tittel" }, title), ...children);
	}

	/* table(caption, ["Kol 1", ...], [[cell, ...], ...]): the first cell of a
	 * row is its header. A cell is text or a Node. */
	function table(caption, head, rows, empty) {
		if (!rows.length) return el("p", { class: "dempet" }, empty || "Ingen.");
		return el("div", { class: "tabell-ramme" }, el("table", {},
			el("caption", {}, caption),
			el("thead", {}, el("tr", {}, head.map((h) => el("th", { scope: "col" }, h)))),
			el("tbody", {}, rows.map((r) => el("tr", {}, r.map((c, i) =>
				i === 0 ? el("th", { scope: "row" }, c) : el("td", {}, c)))))));
	}

	const STATUS = {
		fullfort: ["✓", "Fullført"],
		utlopt: ["!", "Utløpt – må tas på nytt"],
		forfalt: ["✗", "Forfalt"],
		ikke_startet: ["–", "Ikke fullført"],
	};

	function status(code) {
		const [mark, text] = STATUS[code] || ["?", code];
		return el("span", { class: "merke-status status-" + code },
			el("span", { "aria-hidden": "true" }, mark + " "), text);
	}

	function date(value) {
		if (value === null || value === undefined || value === "") return "–";
		if (typeof value === "number") return new Date(value).toLocaleDateString("nb-NO");
		const [y, m, d] = String(value).split("-").map(Number);
		return new Date(y, m - 1, d).toLocaleDateString("nb-NO");
	}

	function dateTime(ms) {
		return ms ? new Date(ms).toLocaleString("nb-NO") : "–";
	}

	function score(x) {
		return x === null || x === undefined ? "–" : Math.round(x * 100) + " %";
	}

	/* field("id", "Label", {type, ...}): a label and its input. */
	function field(id, label, attrs, help) {
		const helpId = help ? id + "-hjelp" : null;
		return el("div", { class: "felt" },
			el("label", { for: id }, label),
			help ? el("p", { class: "hjelp", id: helpId }, help) : null,
			el("input", { id, name: id, "aria-describedby": helpId, ...attrs }));
	}

	/* Shows a message in the page's status region; alerts are announced at once. */
	function say(message, kind) {
		const region = document.getElementById("status");
		if (!region) return;
		region.setAttribute("role", kind === "feil" ? "alert" : "status");
		region.replaceChildren(el("p", { class: kind || "ok" }, message));
	}

	return { section, table, status, date, dateTime, score, field, say };
})();
