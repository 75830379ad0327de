/* min-side.js: the employee's own page: courses to take with due dates and
 * status, completed courses with dates, results and certificates, the
 * download of all their data (GDPR art. 15), the retention policy, and
 * signing out on every device. */
"use strict";

(() => {
	const { el } = Vern;

	function assigned(list) {
		const rows = list.map((a) => [
			a.title,
			Ui.date(a.due_date),
			Ui.status(a.status),
			a.minutes ? a.minutes + " min" : "–",
			el("a", { href: "/learn/" + encodeURIComponent(a.course_id),
				"aria-label": (a.status === "fullfort" ? "Åpne kurset " : "Ta kurset ") + a.title },
				a.status === "fullfort" ? "Åpne kurset" : "Ta kurset"),
		]);
		return Ui.section("mine-kurs", "Mine kurs",
			el("p", {}, "Kursene du skal ta, med frist. Fullførte kurs må fornyes når de utløper."),
			Ui.table("Kurs du er tildelt", ["Kurs", "Frist", "Status", "Varighet", "Handling"], rows,
				"Du har ingen tildelte kurs."));
	}

	function completed(list) {
		const rows = list.map((k) => [
			k.title,
			Ui.date(k.completed_ms),
			k.expires_ms ? Ui.date(k.expires_ms) : "Utløper ikke",
			k.success === false ? "Ikke bestått" : (k.score !== null ? Ui.score(k.score) : "Bestått"),
			k.certificate
				? el("a", { href: "/min-side/kursbevis?kurs=" + encodeURIComponent(k.course_id),
					"aria-label": "Kursbevis for " + k.title }, "Kursbevis")
				: "–",
		]);
		return Ui.section("fullfort", "Fullførte kurs",
			Ui.table("Kurs du har fullført", ["Kurs", "Fullført", "Gyldig til", "Resultat", "Bevis"], rows,
				"Du har ikke fullført noen kurs ennå."));
	}

	/* Changing one's own password; every session ends, so sign in again. */
	function passwordForm() {
		const form = el("form", { id: "bytt-passord" },
			el("h3", {}, "Bytt passord"),
			Ui.field("passord-na", "Nåværende passord", { type: "password", autocomplete: "current-password", required: true }),
			Ui.field("passord-nytt", "Nytt passord", { type: "password", autocomplete: "new-password", required: true },
				"Minst 12 tegn. En setning av flere ord er lett å huske og vanskelig å gjette."),
			Ui.field("passord-igjen", "Gjenta nytt passord", { type: "password", autocomplete: "new-password", required: true }),
			el("div", { class: "knapper" }, el("button", { type: "submit" }, "Bytt passord")));
		form.addEventListener("submit", async (e) => {
			e.preventDefault();
			const v = (id) => form.querySelector("#" + id).value;
			if (!v("passord-na") || !v("passord-nytt")) {
				Ui.say("Fyll ut alle feltene.", "feil");
				return;
			}
			if (v("passord-nytt") !== v("passord-igjen")) {
				Ui.say("Det nye passordet er ikke likt i begge feltene.", "feil");
				form.querySelector("#passord-igjen").focus();
				return;
			}
			try {
				await Vern.api("POST", "/api/konto/passord", { current: v("passord-na"), new: v("passord-nytt") });
				location.href = "/logg-inn?byttet=1";
			} catch (err) {
				Ui.say(err.message, "feil");
			}
		});
		return form;
	}

	function myData(policy, account) {
		const everywhere = el("button", { type: "button", class: "sekundaer" }, "Logg ut på alle enheter");
		everywhere.addEventListener("click", async () => {
			try {
				await Vern.api("POST", "/api/logout-everywhere");
				location.href = "/logg-inn?ut=1";
			} catch (err) {
				Ui.say(err.message, "feil");
			}
		});
		return Ui.section("mine-data", "Mine data",
			el("p", {}, "Du kan laste ned alt Vern lagrer om deg: opplysninger fra personalsystemet, kurs, ",
				"resultater, læringsdata (xAPI), innlogginger og loggen over hvem som har sett opplysningene dine. ",
				"Nedlastingen blir selv loggført."),
			el("p", {}, el("a", { class: "knapp", href: "/api/min-side/eksport", download: "" },
				"Last ned alle mine data (JSON)")),
			el("h3", {}, "Hvor lenge opplysningene lagres"),
			el("p", {}, policy ? policy.text : "Oppbevaringsreglene kunne ikke hentes."),
			el("h3", {}, "Innlogging"),
			el("p", {}, "Har du vært logget inn på en delt eller mistet enhet, kan du logge ut overalt."),
			el("div", { class: "knapper" }, everywhere),
			account && account.has_password ? passwordForm() : null);
	}

	async function main() {
		await Vern.signedIn();
		Vern.nav("/min-side");
		const view = document.getElementById("visning");
		const data = await Vern.api("GET", "/api/min-side");
		let policy = null;
		try { policy = await Vern.api("GET", "/api/oppbevaring"); } catch { policy = null; }
		const parts = [];
		if (data.employee) {
			parts.push(el("p", {}, "Logget inn som ", el("strong", {}, data.employee.name),
				data.employee.unit ? ", " + data.employee.unit : "", "."));
			parts.push(assigned(data.assignments), completed(data.completions));
		} else {
			parts.push(el("p", {}, "Kontoen din er ikke knyttet til en ansatt, så du har ingen kurs her."));
		}
		parts.push(myData(policy, data.account));
		view.replaceChildren(...parts);
	}

	document.addEventListener("DOMContentLoaded", () => {
		main().catch((err) => Ui.say(err.message, "feil"));
	});
})();
