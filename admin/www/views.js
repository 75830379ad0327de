/* views.js: what the leader, HR and ombud pages share: status texts, number
 * formats, accessible tables (caption, header cells with scope), sections
 * with headings, and an SVG bar chart whose numbers are also in a table.
 * Builds DOM nodes only (never HTML strings), like common.js. */
"use strict";

const Views = (() => {
	const { el } = Vern;
	const SVG_NS = "http://www.w3.org/2000/svg";

	const STATUS = {
		fullfort: ["Fullført", "✓"],
		utloper: ["Utløper snart", "!"],
		utlopt: ["Utløpt", "✗"],
		forfalt: ["Forfalt", "✗"],
		ikke_fullfort: ["Ikke fullført", "–"],
	};

	function statusText(code) {
		return (STATUS[code] || ["Ukjent"])[0];
	}

	/* A status never told by colour alone: a mark and the words. */
	function statusBadge(code) {
		const [text, mark] = STATUS[code] || ["Ukjent", "?"];
		return el("span", { class: "merkelapp status-" + code },
			el("span", { "aria-hidden": "true" }, mark + " "), text);
	}

	const percentFormat = new Intl.NumberFormat("nb-NO", { style: "percent", maximumFractionDigits: 0 });
	const signedFormat = new Intl.NumberFormat("nb-NO", { maximumFractionDigits: 0, signDisplay: "exceptZero" });

	function percent(x) {
		return x === null || x === undefined ? "–" : percentFormat.format(x);
	}

	/* A change in percentage points, e.g. "+5 prosentpoeng". */
	function points(x) {
		return x === null || x === undefined ? "–" : signedFormat.format(x * 100) + " prosentpoeng";
	}

	function share(done, total) {
		return total ? done / total : null;
	}

	function date(value) {
		if (value === null || value === undefined || value === "") return "";
		if (typeof value === "number") return new Date(value).toLocaleDateString("nb-NO");
		const [y, m, d] = String(value).split("-").map(Number);
		return new Date(y, m - 1, d).toLocaleDateString("nb-NO");
	}

	function isoToday() {
		const d = new Date();
		const pad = (n) => String(n).padStart(2, "0");
		return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate());
	}

	/* table({caption, head: [...], rows: [[cell...]], foot: [[...]], rowHeader: true}):
	 * a cell is text, a Node, or {text|node, class}. The first cell of each
	 * row is a row header when rowHeader is set. */
	function table({ caption, head, rows, foot, rowHeader = true, className }) {
		const cell = (tag, c, attrs = {}) => {
			if (c !== null && typeof c === "object" && !(c instanceof Node))
				return el(tag, { ...attrs, class: c.class }, c.node || c.text || "");
			return el(tag, attrs, c === null || c === undefined ? "" : c);
		};
		const body = (list) => list.map((row) => el("tr", {}, row.map((c, i) =>
			i === 0 && rowHeader ? cell("th", c, { scope: "row" }) : cell("td", c))));
		return el("div", { class: "tabell-ramme" },
			el("table", { class: className },
				caption ? el("caption", {}, caption) : null,
				el("thead", {}, el("tr", {}, head.map((h) => cell("th", h, { scope: "col" })))),
				el("tbody", {}, body(rows)),
				foot && foot.length ? el("tfoot", {}, body(foot)) : null));
	}

	function section(id, title, ...children) {
		return el("section", { "aria-labelledby": "overskrift-" + id, id },
			el("h2", { id: "overskrift-" + id }, title), ...children);
	}

	function svg(tag, attrs, ...children) {
		const node = document.createElementNS(SVG_NS, tag);
		for (const [k, v] of Object.entries(attrs || {}))
			if (v !== null && v !== undefined) node.setAttribute(k, String(v));
		for (const c of children.flat())
			if (c !== null && c !== undefined) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
		return node;
	}

	let chartCount = 0;

	/* A horizontal bar chart of shares (0..1): one group per label, one bar
	 * per series. Announced as one image with a title and a description;
	 * the numbers themselves are in the table the caller puts beside it. */
	function barChart({ title, description, labels, series }) {
		const id = "diagram-" + (++chartCount);
		const labelWidth = 230, barArea = 380, barHeight = 16, gap = 14, top = 34;
		const groupHeight = series.length * barHeight + gap;
		const height = top + labels.length * groupHeight + 30;
		const width = labelWidth + barArea + 70;
		const parts = [];
		for (let t = 0; t <= 4; t++) {
			const x = labelWidth + (barArea * t) / 4;
			parts.push(svg("line", { x1: x, x2: x, y1: top - 6, y2: height - 26, class: "akse" }));
			parts.push(svg("text", { x, y: height - 8, "text-anchor": "middle", class: "akse-tekst" }, percent(t / 4)));
		}
		labels.forEach((label, i) => {
			const y0 = top + i * groupHeight;
			const shown = label.length > 30 ? label.slice(0, 29) + "…" : label;
			parts.push(svg("text", { x: labelWidth - 8, y: y0 + (series.length * barHeight) / 2 + 5,
				"text-anchor": "end", class: "etikett" }, shown));
			series.forEach((s, k) => {
				const v = s.values[i];
				const y = y0 + k * barHeight;
				if (v === null || v === undefined) return;
				const w = Math.max(1, barArea * Math.min(1, Math.max(0, v)));
				parts.push(svg("rect", { x: labelWidth, y: y + 1, width: w, height: barHeight - 3, class: "serie-" + k }));
				parts.push(svg("text", { x: labelWidth + w + 6, y: y + barHeight - 4, class: "verdi" }, percent(v)));
			});
		});
		const legend = series.map((s, k) => svg("g", {},
			svg("rect", { x: labelWidth + k * 130, y: 6, width: 14, height: 14, class: "serie-" + k }),
			svg("text", { x: labelWidth + k * 130 + 20, y: 18, class: "etikett" }, s.name)));
		return svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", class: "diagram",
			"aria-labelledby": `${id}-t ${id}-d`, width: "100%", preserveAspectRatio: "xMinYMin meet" },
			svg("title", { id: id + "-t" }, title), svg("desc", { id: id + "-d" }, description),
			legend, parts);
	}

	function param(name) {
		return new URLSearchParams(location.search).get(name);
	}

	/* Signs in, draws the navigation, then runs render; errors go to the
	 * status region. */
	async function start(active, render) {
		try {
			await Vern.signedIn();
			Vern.nav(active);
			await render();
		} catch (e) {
			Vern.status(e.message || String(e));
		}
	}

	function downloadLink(href, text) {
		return el("a", { href, class: "knapp sekundaer", download: "" }, text);
	}

	function printButton(text = "Skriv ut") {
		return el("button", { type: "button", class: "sekundaer", onclick: () => window.print() }, text);
	}

	return { statusText, statusBadge, percent, points, share, date, isoToday, table, section,
		barChart, param, start, downloadLink, printButton };
})();
