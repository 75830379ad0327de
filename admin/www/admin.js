/* admin.js: the admin page: accounts and roles, LRS clients and the
 * retention job (this folder's API), plus the sections other parts of Vern
 * add (courses, plugins, campaigns). Each section loads on its own, so one
 * failing never hides the others. */
"use strict";

const Admin = (() => {
	const { el } = Vern;
	const sections = [];

	/* Other admin parts register here: add(id, title, async render() -> Node). */
	function add(id, title, render) {
		sections.push({ id, title, render });
	}

	/* A one-time secret (a password, an LRS secret), shown until dismissed. */
	function oneTime(label, value, note) {
		const box = el("div", { class: "engangs", role: "status" },
			el("p", {}, el("strong", {}, label + ": "), el("code", {}, value)),
			el("p", {}, note || "Kopier den nå. Den vises ikke igjen."));
		return box;
	}

	async function reload(id) {
		const s = sections.find((x) => x.id === id);
		const holder = document.getElementById(id);
		if (!s || !holder) return;
		let body;
		try {
			body = await s.render();
		} catch (err) {
			body = el("p", { class: "feil" }, err.message);
		}
		holder.replaceChildren(el("h2", { id: id + "-tittel" }, s.title), body);
	}

	/* ---- accounts and roles ---- */

	const ROLE_NAMES = { admin: "Administrator", hr: "HR", ombud: "Personvernombud" };

	function roleText(r) {
		if (r.startsWith("leader:")) return "Leder for " + r.slice(7);
		return ROLE_NAMES[r] || r;
	}

	/* Role checkboxes and a leader-unit field; read() gives the role list. */
	function roleControls(prefix, current) {
		const boxes = Object.entries(ROLE_NAMES).map(([code, name]) =>
			el("label", { class: "valg" }, el("input", { type: "checkbox", value: code, id: prefix + "-" + code,
				checked: current.includes(code) }), name));
		const units = current.filter((r) => r.startsWith("leader:")).map((r) => r.slice(7)).join(", ");
		const unit = Ui.field(prefix + "-enheter", "Leder for enheter (enhets-id, kommaseparert)",
			{ type: "text", value: units, autocomplete: "off" });
		const set = el("fieldset", {}, el("legend", {}, "Roller"), ...boxes, unit);
		set.read = () => {
			const roles = [...set.querySelectorAll("input[type=checkbox]:checked")].map((b) => b.value);
			for (const u of set.querySelector("#" + prefix + "-enheter").value.split(","))
				if (u.trim()) roles.push("leader:" + u.trim());
			return roles;
		};
		return set;
	}

	async function act(method, path, body, done) {
		try {
			const out = await Vern.api(method, path, body);
			await reload("brukere");
			if (done) done(out);
		} catch (err) {
			Ui.say(err.message, "feil");
		}
	}

	function userRow(u) {
		const who = u.username;
		const buttons = el("div", { class: "knapper" });
		const button = (text, label, fn, cls) => {
			const b = el("button", { type: "button", class: cls || "sekundaer", "aria-label": label + " for " + who }, text);
			b.addEventListener("click", fn);
			buttons.append(b);
		};
		button("Nytt passord", "Nytt passord", () => act("POST", `/api/admin/brukere/${u.id}/passord`, {}, (out) => {
			document.getElementById("brukere-melding").replaceChildren(
				oneTime("Nytt passord for " + who, out.password, "Gi det til brukeren på en trygg måte. Det vises ikke igjen."));
			Ui.say("Nytt passord er laget for " + who + ". Alle innlogginger for kontoen er avsluttet.", "ok");
		}));
		if (u.totp) button("Nullstill tofaktor", "Nullstill tofaktor", () =>
			act("POST", `/api/admin/brukere/${u.id}/totp-nullstill`, undefined,
				() => Ui.say("Tofaktor for " + who + " er nullstilt. Den settes opp på nytt ved neste innlogging.", "ok")));
		if (u.locked) button("Lås opp", "Lås opp", () =>
			act("POST", `/api/admin/brukere/${u.id}/las-opp`, undefined, () => Ui.say(who + " er låst opp.", "ok")));
		button(u.active ? "Deaktiver" : "Aktiver", u.active ? "Deaktiver" : "Aktiver", () =>
			act("PUT", `/api/admin/brukere/${u.id}`, { active: !u.active },
				() => Ui.say(who + (u.active ? " er deaktivert." : " er aktivert."), "ok")));
		button("Slett", "Slett", () => {
			if (confirm("Slette kontoen " + who + "? Revisjonsloggen beholder navnet.")) act("DELETE", `/api/admin/brukere/${u.id}`,
				undefined, () => Ui.say("Kontoen " + who + " er slettet.", "ok"));
		}, "fare");
		const roles = roleControls("roller-" + u.id, u.roles);
		const save = el("button", { type: "submit" }, "Lagre roller");
		const form = el("form", {}, roles, save);
		form.addEventListener("submit", (e) => {
			e.preventDefault();
			act("PUT", `/api/admin/brukere/${u.id}`, { roles: roles.read() }, () => Ui.say("Rollene til " + who + " er lagret.", "ok"));
		});
		const state = !u.active ? "Deaktivert" : u.locked ? "Sperret til " + Ui.dateTime(u.locked_until_ms) : "Aktiv";
		return [
			who,
			u.display_name + (u.employee ? " (" + u.employee + ")" : ""),
			u.roles.length ? u.roles.map(roleText).join(", ") : "Ansatt",
			u.totp ? "Satt opp" : "Ikke satt opp",
			state + (u.demo ? " (demo)" : ""),
			el("div", {}, el("details", {}, el("summary", {}, "Endre roller for " + who), form), buttons),
		];
	}

	function createUserForm() {
		const roles = roleControls("ny", []);
		const form = el("form", { id: "ny-bruker" },
			el("h3", {}, "Ny konto"),
			Ui.field("ny-brukernavn", "Brukernavn", { type: "text", required: true, autocomplete: "off" }),
			Ui.field("ny-navn", "Visningsnavn", { type: "text", autocomplete: "off" }, "Tomt: den ansattes navn."),
			Ui.field("ny-ansatt", "Ansatt-id", { type: "text", autocomplete: "off" },
				"Knytter kontoen til en ansatt (Min side, og lederrolle fra personalsystemet)."),
			roles,
			Ui.field("ny-passord", "Passord", { type: "password", autocomplete: "new-password" },
				"Minst 12 tegn. Tomt: Vern lager et som vises én gang."),
			el("div", { class: "knapper" }, el("button", { type: "submit" }, "Opprett konto")));
		form.addEventListener("submit", async (e) => {
			e.preventDefault();
			const v = (id) => form.querySelector("#" + id).value.trim();
			const body = { username: v("ny-brukernavn"), display_name: v("ny-navn") || null,
				employee: v("ny-ansatt") || null, roles: roles.read(), password: form.querySelector("#ny-passord").value || null };
			if (!body.username) {
				Ui.say("Oppgi et brukernavn.", "feil");
				form.querySelector("#ny-brukernavn").focus();
				return;
			}
			act("POST", "/api/admin/brukere", body, (out) => {
				Ui.say("Kontoen " + out.username + " er opprettet.", "ok");
				if (out.password) document.getElementById("brukere-melding").replaceChildren(
					oneTime("Passord for " + out.username, out.password, "Gi det til brukeren på en trygg måte. Det vises ikke igjen."));
			});
		});
		return form;
	}

	add("brukere", "Brukere og roller", async () => {
		const { users } = await Vern.api("GET", "/api/admin/brukere");
		return el("div", {},
			el("p", {}, "Ledere, HR, personvernombud og administratorer må bruke tofaktorinnlogging. ",
				"Ansatte som er ledere i personalsystemet, får lederrollen for sin enhet automatisk."),
			el("div", { id: "brukere-melding" }),
			Ui.table("Kontoer", ["Brukernavn", "Navn", "Roller", "Tofaktor", "Status", "Handlinger"], users.map(userRow),
				"Ingen kontoer ennå."),
			createUserForm());
	});

	/* ---- LRS clients ---- */

	add("lrs", "LRS-klienter", async () => {
		const { clients } = await Vern.api("GET", "/api/admin/lrs-klienter");
		const message = el("div", { id: "lrs-melding" });
		const rows = clients.map((c) => {
			const del = el("button", { type: "button", class: "fare", "aria-label": "Slett klienten " + c.name }, "Slett");
			del.addEventListener("click", async () => {
				if (!confirm("Slette klienten " + c.name + "? Systemer som bruker den, mister tilgangen.")) return;
				try {
					await Vern.api("DELETE", "/api/admin/lrs-klienter/" + encodeURIComponent(c.key));
					await reload("lrs");
					Ui.say("Klienten " + c.name + " er slettet.", "ok");
				} catch (err) {
					Ui.say(err.message, "feil");
				}
			});
			return [c.name, el("code", {}, c.key), c.scopes, c.created.slice(0, 10), del];
		});
		const form = el("form", {},
			el("h3", {}, "Ny klient"),
			Ui.field("lrs-navn", "Navn", { type: "text", required: true, autocomplete: "off" }, "For eksempel systemet som skal sende læringsdata."),
			Ui.field("lrs-tilganger", "Tilganger", { type: "text", value: "statements/write statements/read/mine", autocomplete: "off" },
				"xAPI-tilganger: statements/write, statements/read, statements/read/mine, state, profile, all/read, all."),
			el("div", { class: "knapper" }, el("button", { type: "submit" }, "Opprett klient")));
		form.addEventListener("submit", async (e) => {
			e.preventDefault();
			const name = form.querySelector("#lrs-navn").value.trim();
			if (!name) {
				Ui.say("Gi klienten et navn.", "feil");
				form.querySelector("#lrs-navn").focus();
				return;
			}
			try {
				const out = await Vern.api("POST", "/api/admin/lrs-klienter", { name, scopes: form.querySelector("#lrs-tilganger").value });
				await reload("lrs");
				document.getElementById("lrs-melding").replaceChildren(
					el("div", { class: "engangs", role: "status" },
						el("p", {}, el("strong", {}, "Nøkkel: "), el("code", {}, out.key)),
						el("p", {}, el("strong", {}, "Hemmelighet: "), el("code", {}, out.secret)),
						el("p", {}, "Endepunkt: ", el("code", {}, location.origin + "/xapi/"), ". Hemmeligheten vises ikke igjen.")));
				Ui.say("Klienten " + name + " er opprettet.", "ok");
			} catch (err) {
				Ui.say(err.message, "feil");
			}
		});
		return el("div", {},
			el("p", {}, "Systemer som sender eller leser læringsdata (xAPI) med HTTP Basic-innlogging."),
			message,
			Ui.table("Klienter", ["Navn", "Nøkkel", "Tilganger", "Opprettet", "Handling"], rows, "Ingen klienter ennå."),
			form);
	});

	/* ---- retention ---- */

	add("oppbevaring", "Oppbevaring og sletting", async () => {
		const p = await Vern.api("GET", "/api/admin/oppbevaring");
		const run = el("button", { type: "button" }, "Kjør nå");
		run.addEventListener("click", async () => {
			run.disabled = true;
			try {
				const n = await Vern.api("POST", "/api/admin/oppbevaring/kjor");
				await reload("oppbevaring");
				Ui.say(`Kjøringen er ferdig: ${n.statements_pseudonymised} utsagn pseudonymisert, ${n.statements_deleted} slettet, ` +
					`${n.employees_processed} sluttede ansatte behandlet.`, "ok");
			} catch (err) {
				Ui.say(err.message, "feil");
				run.disabled = false;
			}
		});
		const rows = p.runs.map((r) => [Ui.dateTime(r.run_ms), r.as_of, String(r.statements_pseudonymised),
			String(r.statements_deleted), String(r.documents_deleted), String(r.employees_processed), r.finished ? "Ja" : "Nei"]);
		return el("div", {},
			el("p", {}, p.text),
			el("p", { class: "hjelp" }, "Periodene settes i konfigurasjonen (retention_statement_days, retention_inactive_days, ",
				"retention_delete_statements). Jobben kjører hver natt."),
			el("div", { class: "knapper" }, run),
			Ui.table("Siste kjøringer", ["Tidspunkt", "Regnet fra", "Pseudonymisert", "Slettet", "Dokumenter slettet",
				"Sluttede ansatte", "Fullført"], rows, "Jobben har ikke kjørt ennå."));
	});

	async function main() {
		await Vern.signedIn();
		Vern.nav("/admin");
		const view = document.getElementById("visning");
		view.replaceChildren(...sections.map((s) => el("section", { id: s.id, "aria-labelledby": s.id + "-tittel" },
			el("h2", { id: s.id + "-tittel" }, s.title), el("p", {}, "Laster …"))));
		document.getElementById("innhold-liste").replaceChildren(el("ul", { class: "innholdsliste" },
			sections.map((s) => el("li", {}, el("a", { href: "#" + s.id }, s.title)))));
		await Promise.all(sections.map((s) => reload(s.id)));
	}

	document.addEventListener("DOMContentLoaded", () => {
		main().catch((err) => Ui.say(err.message, "feil"));
	});

	return { add, reload, oneTime };
})();
