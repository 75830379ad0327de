/* hr.js: the HR / appraisal page (/hr). Search for an employee, then
 * (?ansatt=ID) their role requirements against completions, expiring and
 * overdue training, the learning goals agreed in the last appraisal talk
 * (editable), a printable one-page summary and JSON/CSV exports. */
"use strict";

(() => {
	const { el } = Vern;
	const view = () => document.getElementById("visning");

	async function main() {
		const id = Views.param("ansatt");
		if (id) await showEmployee(id);
		else searchPage();
	}

	function searchPage() {
		const q = el("input", { type: "search", id: "sok", name: "q", autocomplete: "off", minlength: 2,
			required: true, "aria-describedby": "sok-hjelp", value: Views.param("q") || "" });
		const results = el("div", { id: "treff", "aria-live": "polite" });
		const run = async (event) => {
			if (event) event.preventDefault();
			try {
				const { ansatte } = await Vern.api("GET", "/api/hr/ansatte?q=" + encodeURIComponent(q.value.trim()));
				history.replaceState(null, "", "/hr?q=" + encodeURIComponent(q.value.trim()));
				results.replaceChildren(ansatte.length ? Views.table({
					caption: `${ansatte.length} treff på «${q.value.trim()}»`,
					head: ["Navn", "Ansattnummer", "Enhet"],
					rows: ansatte.map((a) => [el("a", { href: "/hr?ansatt=" + a.id }, a.navn), a.ansattnummer, a.enhet]),
				}) : el("p", {}, "Ingen treff."));
			} catch (e) { Vern.status(e.message); }
		};
		const parts = [
			Views.section("finn", "Finn ansatt",
				el("form", { role: "search", onsubmit: run },
					el("label", { for: "sok" }, "Navn eller ansattnummer"),
					el("p", { class: "hjelp", id: "sok-hjelp" }, "Skriv minst to tegn."),
					el("div", { class: "verktoy" }, q, el("button", { type: "submit" }, "Søk"))),
				results),
		];
		if (Vern.has("hr") || Vern.has("admin"))
			parts.push(Views.section("eksport", "Eksport til HR-system",
				el("p", {}, "Alle aktive ansattes krav og status, én rad per krav."),
				el("div", { class: "verktoy" },
					Views.downloadLink("/api/hr/eksport?format=csv", "Last ned CSV"),
					Views.downloadLink("/api/hr/eksport?format=json", "Last ned JSON"))));
		view().replaceChildren(...parts);
		if (q.value.trim().length >= 2) run();
	}

	function facts(a) {
		const rows = [
			["Ansattnummer", a.ansattnummer],
			["Enhet", a.enhet ? a.enhet.navn : "–"],
			["Nærmeste leder", a.leder || "–"],
			["Roller", a.roller.join(", ") || "–"],
			["Startdato", a.startdato ? Views.date(a.startdato) : "–"],
		];
		if (!a.aktiv) rows.push(["Status", "Sluttet"]);
		return el("dl", { class: "fakta" }, rows.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
	}

	function summary(s) {
		return el("ul", { class: "nokkeltall", "aria-label": "Oppsummering" },
			el("li", {}, el("strong", {}, `${s.fullfort} av ${s.krav}`), "krav oppfylt"),
			el("li", {}, el("strong", {}, String(s.utloper)), "utløper innen 30 dager"),
			el("li", {}, el("strong", {}, String(s.forsinket)), "forsinket eller utløpt"));
	}

	function requirements(r) {
		if (!r.krav.length) return el("p", {}, "Den ansatte har ingen krav til opplæring.");
		return Views.table({
			caption: "Krav for rollen og status",
			head: ["Kurs", "Grunnlag", "Status", "Frist", "Fullført", "Gyldig til"],
			rows: r.krav.map((k) => [k.tittel, k.grunn || "–", Views.statusBadge(k.status),
				k.frist ? Views.date(k.frist) : "–", k.fullfort ? Views.date(k.fullfort) : "–",
				k.utloper ? Views.date(k.utloper) : "–"]),
		});
	}

	function goals(r, id) {
		const g = r.laeringsmal;
		const text = el("textarea", { id: "mal-tekst", maxlength: 4000, "aria-describedby": "mal-hjelp" }, g ? g.tekst : "");
		const when = el("input", { type: "date", id: "mal-dato", required: true, max: Views.isoToday(),
			value: g ? g.dato : Views.isoToday() });
		const stamp = el("p", { class: "hjelp" }, g ? `Sist endret ${Views.date(g.endret_ms)} av ${g.endret_av}.` : "Ingen læringsmål er registrert.");
		const printed = el("div", { class: "kun-utskrift" },
			el("p", {}, g ? `Avtalt i medarbeidersamtale ${Views.date(g.dato)}:` : "Ingen læringsmål er registrert."),
			el("p", { class: "utskrift-tekst" }, g ? g.tekst : ""));
		const save = async (event) => {
			event.preventDefault();
			try {
				const res = await Vern.api("PUT", `/api/hr/ansatt/${id}/laeringsmal`, { tekst: text.value, dato: when.value });
				stamp.textContent = `Sist endret ${Views.date(res.endret_ms)} av ${res.endret_av}.`;
				printed.replaceChildren(el("p", {}, `Avtalt i medarbeidersamtale ${Views.date(res.dato)}:`),
					el("p", { class: "utskrift-tekst" }, res.tekst));
				Vern.status("Læringsmålene er lagret.", "ok");
			} catch (e) { Vern.status(e.message); }
		};
		return Views.section("laeringsmal", "Læringsmål fra siste medarbeidersamtale", printed,
			el("form", { onsubmit: save },
				el("label", { for: "mal-tekst" }, "Læringsmål"),
				el("p", { class: "hjelp", id: "mal-hjelp" }, "Det dere ble enige om i samtalen. Høyst 4000 tegn."),
				text,
				el("label", { for: "mal-dato" }, "Dato for samtalen"), when,
				el("div", { class: "verktoy" }, el("button", { type: "submit" }, "Lagre læringsmål"))),
			stamp);
	}

	async function showEmployee(id) {
		const r = await Vern.api("GET", "/api/hr/ansatt/" + encodeURIComponent(id));
		const a = r.ansatt;
		document.title = a.navn + " – HR – Vern";
		document.querySelector("h1").textContent = a.navn;
		const others = r.andre.length ? Views.section("andre", "Andre fullførte kurs", Views.table({
			caption: "Kurs utover kravene",
			head: ["Kurs", "Fullført"],
			rows: r.andre.map((k) => [k.tittel || k.kurs, Views.date(k.fullfort)]),
		})) : null;
		view().replaceChildren(...[
			el("nav", { class: "smuler", "aria-label": "Brødsmuler" }, el("ol", {},
				el("li", {}, el("a", { href: "/hr" }, "Finn ansatt")), el("li", {}, el("span", { "aria-current": "page" }, a.navn)))),
			el("p", { class: "kun-utskrift" }, `Kompetanseoversikt for medarbeidersamtale, skrevet ut ${Views.date(r.generert_ms)}.`),
			facts(a),
			el("div", { class: "verktoy" },
				Views.printButton("Skriv ut sammendrag"),
				Views.downloadLink(`/api/hr/ansatt/${a.id}/eksport?format=csv`, "Last ned CSV"),
				Views.downloadLink(`/api/hr/ansatt/${a.id}/eksport?format=json`, "Last ned JSON")),
			Views.section("krav", "Krav og fullføring", summary(r.oppsummering), requirements(r)),
			goals(r, a.id),
			others].filter(Boolean));
	}

	document.addEventListener("DOMContentLoaded", () => Views.start("/hr", main));
})();
