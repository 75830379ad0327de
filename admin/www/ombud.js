/* ombud.js: the data protection officer's page (/ombud). Statistics per
 * agency for the annual report (table, SVG bar chart year over year, CSV,
 * print), groups under 5 shown as "<5", no names; the audit log of who
 * looked at whose data; and the retention policy. */
"use strict";

(() => {
	const { el } = Vern;
	const view = () => document.getElementById("visning");
	const num = (v) => (v === null || v === undefined ? "–" : String(v));

	function yearPicker(year, onPick) {
		const now = new Date().getFullYear();
		const select = el("select", { id: "aar" }, Array.from({ length: 6 }, (_, i) => now - i)
			.map((y) => el("option", { value: String(y), selected: y === year }, String(y))));
		return el("form", { class: "verktoy", onsubmit: (e) => { e.preventDefault(); onPick(Number(select.value)); } },
			el("label", { for: "aar" }, "År"), select, el("button", { type: "submit" }, "Vis rapport"));
	}

	function reportTable(r) {
		const campaign = !!r.kampanje;
		const row = (v) => [v.virksomhet, { text: num(v.ansatte), class: "tall" },
			...(campaign ? [] : [{ text: num(v.med_krav), class: "tall" }]),
			{ text: num(v.fullfort), class: "tall" }, Views.percent(v.andel), Views.percent(v.andel_i_fjor), Views.points(v.endring)];
		return Views.table({
			caption: campaign
				? `${r.kampanje.navn}: andel ansatte som fullførte alle leksjonene, per virksomhet, sammenlignet med ${r.i_fjor}`
				: `Fullført obligatorisk opplæring per virksomhet ${r.aar}, sammenlignet med ${r.i_fjor}`,
			head: ["Virksomhet", { text: "Ansatte", class: "tall" },
				...(campaign ? [] : [{ text: "Med krav", class: "tall" }]),
				{ text: `Fullført ${r.aar}`, class: "tall" }, `Andel ${r.aar}`, `Andel ${r.i_fjor}`, "Endring"],
			rows: r.virksomheter.map(row),
			foot: [row(r.totalt)],
		});
	}

	/* The campaign's lessons for the whole municipality. */
	function modulesTable(r) {
		if (!r.moduler || !r.moduler.length) return null;
		return Views.table({
			caption: `Per leksjon i hele kommunen, ${r.kampanje.navn}`,
			head: ["Leksjon", { text: "Tildelt", class: "tall" }, { text: "Startet", class: "tall" }, { text: "Fullført", class: "tall" }],
			rows: r.moduler.map((m) => [m.tittel || m.kurs, { text: String(m.tildelt), class: "tall" },
				{ text: String(m.startet), class: "tall" }, { text: String(m.fullfort), class: "tall" }]),
		});
	}

	function reportChart(r) {
		const shown = r.virksomheter.filter((v) => v.andel !== null);
		const hidden = r.virksomheter.length - shown.length;
		return [
			Views.barChart({
				title: `Andel fullført per virksomhet, ${r.aar} og ${r.i_fjor}`,
				description: `Stolpediagram med to stolper per virksomhet: ${r.aar} og ${r.i_fjor}. ` +
					"Tallene står i tabellen over. Virksomheter med færre enn 5 ansatte er utelatt.",
				labels: shown.map((v) => v.virksomhet),
				series: [{ name: String(r.aar), values: shown.map((v) => v.andel) },
					{ name: String(r.i_fjor), values: shown.map((v) => v.andel_i_fjor) }],
			}),
			hidden ? el("p", { class: "hjelp" }, `${hidden} virksomheter med færre enn ${r.minste_gruppe} personer er vist som «<5» i tabellen og utelatt fra diagrammet.`) : null,
		];
	}

	async function report(year) {
		const r = await Vern.api("GET", "/api/ombud/rapport?aar=" + year);
		const what = r.kampanje
			? `Andelen ansatte som fullførte alle leksjonene i ${r.kampanje.navn} (${Views.date(r.kampanje.fra)}–${Views.date(r.kampanje.til)}), sammenlignet med kampanjen i ${r.i_fjor}. `
			: `Andelen ansatte med krav om opplæring som fullførte alle sine kurs i løpet av ${r.aar}, sammenlignet med ${r.i_fjor}. `;
		return Views.section("rapport", r.kampanje ? r.kampanje.navn : `Statistikk per virksomhet ${r.aar}`,
			el("p", { class: "kun-utskrift" }, `Vedlegg til årsrapport fra personvernombudet. Generert ${Views.date(r.generert)}.`),
			el("p", {}, what + `Grupper med færre enn ${r.minste_gruppe} personer vises som «<5». ` +
				"Rapporten inneholder ingen navn eller ansattnumre."),
			el("div", { class: "verktoy" },
				Views.downloadLink(`/api/ombud/rapport?aar=${r.aar}&format=csv`, "Last ned CSV"),
				Views.printButton("Skriv ut rapporten")),
			reportTable(r), ...reportChart(r), modulesTable(r));
	}

	const ACTIONS = {
		leder_oversikt: "Lederoversikt for en enhet",
		hr_ansatt: "Så en ansatts kompetanse",
		hr_sok: "Søkte etter ansatte",
		hr_eksport: "Eksporterte en ansatts data",
		hr_eksport_alle: "Eksporterte alle ansattes data",
		hr_laeringsmal_endret: "Endret læringsmål",
		ombud_revisjonslogg: "Leste revisjonsloggen",
	};

	async function auditLog(page) {
		const holder = el("div", {});
		const load = async (p) => {
			const log = await Vern.api("GET", "/api/ombud/revisjonslogg?side=" + p);
			const pager = el("nav", { class: "sider", "aria-label": "Sider i revisjonsloggen" },
				el("button", { type: "button", class: "sekundaer", disabled: log.side <= 1, onclick: () => load(log.side - 1) }, "Forrige"),
				el("span", {}, `Side ${log.side} av ${Math.max(1, log.sider)} (${log.totalt} oppføringer)`),
				el("button", { type: "button", class: "sekundaer", disabled: log.side >= log.sider, onclick: () => load(log.side + 1) }, "Neste"));
			holder.replaceChildren(log.rader.length ? Views.table({
				caption: "Hvem har sett hvilke opplysninger, nyeste først",
				head: ["Tidspunkt", "Hvem", "Hva", "Hvem sine opplysninger", "Detaljer"],
				rowHeader: false,
				rows: log.rader.map((x) => [new Date(x.tid_ms).toLocaleString("nb-NO"), x.hvem,
					ACTIONS[x.handling] || x.handling,
					x.hvis ? `${x.hvis.navn} (${x.hvis.ansattnummer})` : "Gruppevisning", x.detalj]),
			}) : el("p", {}, "Loggen er tom."), pager);
		};
		await load(page);
		return Views.section("revisjonslogg", "Revisjonslogg", el("p", {},
			"Alle visninger og eksporter av opplysninger om enkeltpersoner. Også din lesing av loggen blir loggført."), holder);
	}

	/* The retention policy, as the admin set it (GET /api/oppbevaring). */
	async function retention() {
		let body;
		try {
			const policy = await Vern.api("GET", "/api/oppbevaring");
			const rows = Array.isArray(policy.regler) ? policy.regler : [];
			const run = policy.last_run
				? el("p", { class: "hjelp" }, `Sist kjørt ${new Date(policy.last_run.run_ms).toLocaleString("nb-NO")}.`) : null;
			body = [policy.tekst ? el("p", {}, policy.tekst) : null,
				rows.length ? Views.table({
					caption: "Oppbevaringsregler",
					head: ["Opplysninger", "Oppbevares", "Deretter"],
					rows: rows.map((x) => [x.navn, x.periode, x.handling]),
				}) : null, run];
		} catch (e) {
			body = el("p", {}, e.status === 404 ? "Oppbevaringsreglene er ikke satt opp i denne installasjonen." : e.message);
		}
		return Views.section("oppbevaring", "Oppbevaring og sletting", ...[body].flat());
	}

	async function main() {
		const year = Number(Views.param("aar")) || new Date().getFullYear();
		const show = async (y) => {
			history.replaceState(null, "", "/ombud?aar=" + y);
			const parts = [yearPicker(y, show), await report(y)];
			if (Vern.has("ombud") || Vern.has("admin")) parts.push(await auditLog(1));
			parts.push(await retention());
			view().replaceChildren(...parts);
		};
		await show(year);
	}

	document.addEventListener("DOMContentLoaded", () => Views.start("/ombud", main));
})();
