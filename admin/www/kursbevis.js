/* kursbevis.js: a printable certificate of completion for one course
 * (?kurs=ID), from GET /api/min-side/kursbevis/ID. */
"use strict";

(() => {
	const { el } = Vern;

	async function main() {
		await Vern.signedIn();
		Vern.nav("/min-side");
		const course = new URLSearchParams(location.search).get("kurs") || "";
		const c = await Vern.api("GET", "/api/min-side/kursbevis/" + encodeURIComponent(course));
		document.title = "Kursbevis: " + c.title + " – Vern";
		const print = el("button", { type: "button" }, "Skriv ut");
		print.addEventListener("click", () => window.print());
		const facts = [
			["Fullført", Ui.date(c.completed_ms)],
			["Gyldig til", c.expires_ms ? Ui.date(c.expires_ms) : "Utløper ikke"],
		];
		if (c.score !== null) facts.push(["Resultat", Ui.score(c.score)]);
		if (c.minutes) facts.push(["Omfang", c.minutes + " minutter"]);
		facts.push(["Bevisnummer", c.certificate_id]);
		document.getElementById("visning").replaceChildren(
			el("p", { class: "ikke-utskrift" }, el("a", { href: "/min-side" }, "Tilbake til Min side")),
			el("article", { class: "bevis", "aria-labelledby": "bevis-tittel" },
				el("h1", { id: "bevis-tittel" }, "Kursbevis"),
				el("p", {}, "Dette bekrefter at"),
				el("p", { class: "navn" }, c.name),
				el("p", {}, "har gjennomført kurset"),
				el("p", { class: "kurs" }, c.title),
				el("dl", { class: "fakta" }, facts.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)])),
				el("p", { class: "utsteder" }, (c.issuer || "Kommunen") + " · utstedt av Vern")),
			el("div", { class: "knapper ikke-utskrift" }, print));
	}

	document.addEventListener("DOMContentLoaded", () => {
		main().catch((err) => Ui.say(err.message, "feil"));
	});
})();
