/* leder.js: the leader page (/leder). Chooses a unit (or opens ?enhet=ID),
 * shows its dashboard from GET /api/leder/enhet/ID: key figures, status per
 * course, child units to drill into, the unit's own staff, the overdue list
 * with reminders, the 12-month trend, attendance registration (blended
 * learning) and, for admins, which courses attendance can satisfy. */
"use strict";

(() => {
	const { el } = Vern;
	const view = () => document.getElementById("visning");

	async function main() {
		const { enheter } = await Vern.api("GET", "/api/leder/enheter");
		const id = Views.param("enhet") || (enheter.length === 1 ? String(enheter[0].id) : null);
		if (id) await showUnit(id);
		else chooser(enheter);
	}

	function chooser(units) {
		view().replaceChildren(Views.section("velg", "Velg enhet",
			units.length
				? el("ul", {}, units.map((u) => el("li", {},
					el("a", { href: "/leder?enhet=" + u.id }, u.navn), u.virksomhet ? " (virksomhet)" : "")))
				: el("p", {}, "Du er ikke registrert som leder for noen enhet.")));
	}

	function crumbs(d) {
		return el("nav", { class: "smuler", "aria-label": "Brødsmuler" },
			el("ol", {}, d.sti.map((c, i) => el("li", {},
				i === d.sti.length - 1
					? el("span", { "aria-current": "page" }, c.navn)
					: c.tilgang ? el("a", { href: "/leder?enhet=" + c.id }, c.navn) : c.navn))));
	}

	function courseTitle(d, id) {
		const k = d.kurs.find((c) => c.id === id);
		return k ? k.tittel : id;
	}

	function shareText(k) {
		if (!k || !k.krav) return "–";
		return `${Views.percent(k.fullfort / k.krav)} (${k.fullfort} av ${k.krav})`;
	}

	function keyFigures(d) {
		let required = 0, met = 0, late = 0;
		for (const k of Object.values(d.totalt.kurs)) {
			required += k.krav; met += k.fullfort; late += k.forsinket;
		}
		return el("ul", { class: "nokkeltall", "aria-label": "Nøkkeltall" },
			el("li", {}, el("strong", {}, String(d.totalt.ansatte)), "ansatte i alt"),
			el("li", {}, el("strong", {}, Views.percent(Views.share(met, required))), "av kravene er oppfylt"),
			el("li", {}, el("strong", {}, String(late)), "krav er forsinket"));
	}

	function perCourse(d) {
		return Views.section("kurs", "Status per kurs", Views.table({
			caption: `Krav og fullføring i ${d.enhet.navn} med underenheter`,
			head: ["Kurs", { text: "Krav", class: "tall" }, { text: "Fullført", class: "tall" },
				{ text: "Utløper snart", class: "tall" }, { text: "Forsinket", class: "tall" }, "Andel fullført"],
			rows: d.kurs.map((c) => {
				const k = d.totalt.kurs[c.id] || { krav: 0, fullfort: 0, utloper: 0, forsinket: 0 };
				return [c.oppmote ? el("span", {}, c.tittel, el("span", { class: "hjelp" }, " (kan fullføres ved oppmøte)")) : c.tittel,
					{ text: String(k.krav), class: "tall" }, { text: String(k.fullfort), class: "tall" },
					{ text: String(k.utloper), class: "tall" }, { text: String(k.forsinket), class: "tall" },
					Views.percent(Views.share(k.fullfort, k.krav))];
			}),
		}));
	}

	function children(d) {
		if (!d.underenheter.length) return null;
		return Views.section("underenheter", "Underenheter", Views.table({
			caption: "Andel fullført per kurs i hver underenhet. Velg en enhet for å se de ansatte.",
			head: ["Enhet", { text: "Ansatte", class: "tall" }, ...d.kurs.map((c) => c.tittel)],
			rows: d.underenheter.map((u) => [
				el("a", { href: "/leder?enhet=" + u.id }, u.navn),
				{ text: String(u.ansatte), class: "tall" },
				...d.kurs.map((c) => shareText(u.kurs[c.id]))]),
		}));
	}

	function staff(d) {
		if (!d.ansatte.length) return null;
		const people = [...d.ansatte].sort((a, b) => a.navn.localeCompare(b.navn, "nb"));
		return Views.section("ansatte", `Ansatte i ${d.enhet.navn}`, Views.table({
			caption: "Status per kurs for hver ansatt",
			head: ["Navn", ...d.kurs.map((c) => c.tittel)],
			rows: people.map((p) => [p.navn, ...d.kurs.map((c, i) => {
				const status = p.status[i];
				if (!status) return { text: "Ikke påkrevd", class: "dempet" };
				const due = p.frist[i] ? ", frist " + Views.date(p.frist[i]) : "";
				return el("span", {}, Views.statusBadge(status), due);			})]),
		}));
	}

	function overdue(d) {
		const list = d.forsinket;
		const intro = d.forsinket_totalt > list.length
			? el("p", {}, `Viser de ${list.length} eldste av ${d.forsinket_totalt} forsinkede krav.`) : null;
		if (!list.length)
			return Views.section("forsinket", "Forsinket", el("p", {}, "Ingen forsinkede krav. Bra!"));
		const boxes = [];
		const rows = list.map((r) => {
			const box = el("input", { type: "checkbox", value: String(r.ansatt_id),
				"aria-label": `Velg ${r.navn}, ${courseTitle(d, r.kurs)}` });
			boxes.push(box);
			return el("tr", {}, el("td", {}, box), el("th", { scope: "row" }, r.navn), el("td", {}, r.enhet),
				el("td", {}, courseTitle(d, r.kurs)), el("td", {}, Views.statusBadge(r.status)),
				el("td", {}, r.frist ? Views.date(r.frist) : "Utløpt"));
		});
		const send = async (event) => {
			event.preventDefault();
			const ids = [...new Set(boxes.filter((b) => b.checked).map((b) => Number(b.value)))];
			if (!ids.length) { Vern.status("Velg minst én ansatt å minne på."); return; }
			try {
				const res = await Vern.api("POST", "/api/leder/paminnelse", { ansatte: ids });
				const parts = [`Påminnelse lagt i utboksen til ${res.ansatte} ansatte (${res.eposter} e-poster).`];
				if (res.hoppet_over) parts.push(`${res.hoppet_over} hadde ingenting utestående.`);
				if (res.feil.length) parts.push(`${res.feil.length} kunne ikke få e-post: ${res.feil[0].melding}`);
				if (res.levering.startsWith("venter")) parts.push("E-post er ikke satt opp ennå, så de venter i utboksen.");
				Vern.status(parts.join(" "), res.feil.length ? "advarsel" : "ok");
			} catch (e) { Vern.status(e.message); }
		};
		return Views.section("forsinket", "Forsinket", intro,
			el("form", { onsubmit: send },
				el("div", { class: "tabell-ramme" }, el("table", {},
					el("caption", {}, "Krav som er forsinket eller utløpt, eldste frist først"),
					el("thead", {}, el("tr", {}, ["Velg", "Navn", "Enhet", "Kurs", "Status", "Frist"]
						.map((h) => el("th", { scope: "col" }, h)))),
					el("tbody", {}, rows))),
				el("div", { class: "verktoy" },
					el("button", { type: "button", class: "sekundaer",
						onclick: () => boxes.forEach((b) => { b.checked = true; }) }, "Velg alle"),
					el("button", { type: "submit" }, "Send påminnelse til valgte"))));
	}

	function trend(d) {
		const months = d.trend.map((t) => {
			const [y, m] = t.maned.split("-").map(Number);
			return new Date(y, m - 1, 1).toLocaleDateString("nb-NO", { month: "short", year: "numeric" });
		});
		return Views.section("trend", "Utvikling siste 12 måneder",
			el("p", { class: "hjelp" }, "Andelen av dagens krav som var oppfylt ved utgangen av hver måned."),
			Views.barChart({
				title: "Andel oppfylte krav per måned",
				description: "Stolpediagram over de siste 12 månedene. Tallene står i tabellen under.",
				labels: months,
				series: [{ name: "Andel oppfylt", values: d.trend.map((t) => t.andel) }],
			}),
			Views.table({
				caption: "Andel oppfylte krav per måned",
				head: ["Måned", { text: "Krav", class: "tall" }, { text: "Oppfylt", class: "tall" }, "Andel"],
				rows: d.trend.map((t, i) => [months[i], { text: String(t.krav), class: "tall" },
					{ text: String(t.fullfort), class: "tall" }, Views.percent(t.andel)]),
			}));
	}

	function field(id, label, control, help) {
		control.id = id;
		return el("div", {}, el("label", { for: id }, label), help ? el("p", { class: "hjelp", id: id + "-hjelp" }, help) : null, control);
	}

	async function attendance(d) {
		const { kurs, typer } = await Vern.api("GET", "/api/kurs/oppmote");
		const course = el("select", { required: true }, kurs.map((k) =>
			el("option", { value: k.id }, k.tittel + (k.oppmote ? " (teller som fullført)" : ""))));
		const kind = el("select", { required: true }, typer.map((t) => el("option", { value: t.id }, t.navn)));
		const title = el("input", { type: "text", required: true, maxlength: 200, autocomplete: "off" });
		const when = el("input", { type: "date", required: true, max: Views.isoToday(), value: Views.isoToday() });
		const people = [...d.ansatte].sort((a, b) => a.navn.localeCompare(b.navn, "nb"));
		const boxes = people.map((p, i) => el("input", { type: "checkbox", id: "deltaker-" + i, value: String(p.id) }));
		const submit = async (event) => {
			event.preventDefault();
			const ids = boxes.filter((b) => b.checked).map((b) => Number(b.value));
			if (!ids.length) { Vern.status("Kryss av for minst én deltaker."); return; }
			try {
				const res = await Vern.api("POST", "/api/leder/oppmote", {
					kurs: course.value, type: kind.value, tittel: title.value.trim(), dato: when.value,
					enhet: d.enhet.id, ansatte: ids });
				Vern.status(`Oppmøte registrert for ${res.registrert} deltakere` +
					(res.teller ? ", og det teller som fullført kurs." : "."), "ok");
				await showUnit(String(d.enhet.id));
			} catch (e) { Vern.status(e.message); }
		};
		const form = people.length
			? el("form", { onsubmit: submit },
				el("div", { class: "skjema-rad" },
					field("oppmote-kurs", "Kurs", course),
					field("oppmote-type", "Type samling", kind),
					field("oppmote-tittel", "Tittel", title),
					field("oppmote-dato", "Dato", when)),
				el("fieldset", {}, el("legend", {}, "Deltakere"),
					el("div", { class: "avkrysning" }, people.map((p, i) => el("div", {}, boxes[i],
						el("label", { for: "deltaker-" + i }, p.navn))))),
				el("div", { class: "verktoy" },
					el("button", { type: "button", class: "sekundaer",
						onclick: () => boxes.forEach((b) => { b.checked = true; }) }, "Velg alle"),
					el("button", { type: "submit" }, "Registrer oppmøte")))
			: el("p", {}, "Enheten har ingen egne ansatte. Velg en underenhet for å registrere oppmøte.");
		const { okter } = await Vern.api("GET", "/api/leder/oppmote?enhet=" + d.enhet.id);
		const list = okter.length ? Views.table({
			caption: "Registrerte samlinger i enheten og underenhetene",
			head: ["Dato", "Type", "Tittel", "Kurs", "Enhet", { text: "Deltakere", class: "tall" }],
			rows: okter.map((o) => [Views.date(o.dato), o.type_navn, o.tittel, o.kurs_tittel, o.enhet,
				{ text: String(o.deltakere), class: "tall" }]),
		}) : el("p", {}, "Ingen samlinger er registrert ennå.");
		const parts = [
			el("p", { class: "hjelp" }, "Klasseromsundervisning, personalmøter og dilemmatrening registreres i læringsloggen. " +
				"For kurs som administrator har godkjent for oppmøte, teller deltakelsen som fullført kurs."),
			form, list];
		if (Vern.has("admin")) parts.push(markers(kurs));
		return Views.section("oppmote", "Registrer oppmøte", ...parts);
	}

	/* Admins choose which courses attendance can satisfy. */
	function markers(kurs) {
		const rows = kurs.map((k, i) => {
			const box = el("input", { type: "checkbox", id: "marker-" + i, checked: k.oppmote });
			box.addEventListener("change", async () => {
				try {
					await Vern.api(box.checked ? "PUT" : "DELETE", "/api/kurs/" + encodeURIComponent(k.id) + "/oppmote");
					Vern.status(`${k.tittel}: ${box.checked ? "kan nå fullføres ved oppmøte" : "kan ikke lenger fullføres ved oppmøte"}.`, "ok");
				} catch (e) { box.checked = !box.checked; Vern.status(e.message); }
			});
			return el("div", {}, box, el("label", { for: "marker-" + i }, k.tittel));
		});
		return el("fieldset", {}, el("legend", {}, "Kurs som kan fullføres ved oppmøte (administrator)"),
			el("div", { class: "avkrysning" }, rows));
	}

	async function showUnit(id) {
		const d = await Vern.api("GET", "/api/leder/enhet/" + encodeURIComponent(id));
		document.title = d.enhet.navn + " – Leder – Vern";
		document.querySelector("h1").textContent = d.enhet.navn;
		const sections = [crumbs(d), keyFigures(d), perCourse(d), children(d), staff(d), overdue(d), trend(d)];
		sections.push(await attendance(d));
		view().replaceChildren(...sections.filter(Boolean));
	}

	document.addEventListener("DOMContentLoaded", () => Views.start("/leder", main));
})();
