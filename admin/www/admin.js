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

	/* ---- courses and plugins (their own APIs; absent in a build without them) ---- */

	/* GET path as JSON, or null when this build has no such API (404). */
	async function optional(path) {
		const res = await fetch(path, { headers: { Accept: "application/json" }, credentials: "same-origin" });
		if (res.status === 404 || res.status === 405) return null;
		const data = await res.json().catch(() => ({}));
		if (!res.ok) throw new Error(data.detail || "Noe gikk galt (" + res.status + ").");
		return data;
	}

	function bytes(n) {
		if (n >= 1048576) return (n / 1048576).toFixed(1).replace(".", ",") + " MB";
		return Math.max(1, Math.round(n / 1024)) + " kB";
	}

	const KINDS = { native: "Vern-kurs", scorm12: "SCORM 1.2", scorm2004: "SCORM 2004", cmi5: "cmi5" };

	add("kurs", "Kurs", async () => {
		const data = await optional("/api/courses");
		if (!data) return el("p", {}, "Kursimport er ikke en del av denne installasjonen.");
		const rows = data.courses.map((c) => {
			const latest = c.versions.length ? c.versions[c.versions.length - 1] : null;
			return [c.title, el("code", {}, c.id), KINDS[c.kind] || c.kind, String(c.versions.length || "–"),
				latest ? Ui.date(latest.imported_ms) + " (" + latest.source + ", " + bytes(latest.bytes) + ")" : "–",
				c.valid_months ? c.valid_months + " mnd" : "Utløper ikke"];
		});
		const file = el("input", { type: "file", id: "kurs-fil", accept: ".zip,application/zip", required: true });
		const form = el("form", {},
			el("h3", {}, "Last opp kurspakke"),
			el("p", { class: "hjelp" }, "SCORM 1.2, SCORM 2004 eller cmi5 som zip. Samme kurs-id igjen gir en ny versjon; ",
				"påbegynte forsøk fortsetter på versjonen de startet på."),
			el("div", { class: "felt" }, el("label", { for: "kurs-fil" }, "Kurspakke (zip)"), file),
			Ui.field("kurs-id", "Kurs-id", { type: "text", autocomplete: "off" }, "Tomt: laget fra pakken. Oppgi en eksisterende id for en ny versjon."),
			Ui.field("kurs-tittel", "Tittel", { type: "text", autocomplete: "off" }, "Tomt: tittelen i pakken."),
			Ui.field("kurs-gyldig", "Gyldig i måneder", { type: "number", min: "0", max: "120", inputmode: "numeric" }),
			el("div", { class: "knapper" }, el("button", { type: "submit" }, "Last opp")));
		form.addEventListener("submit", async (e) => {
			e.preventDefault();
			const f = file.files[0];
			if (!f) {
				Ui.say("Velg en zip-fil.", "feil");
				file.focus();
				return;
			}
			const q = new URLSearchParams({ filename: f.name });
			for (const [id, key] of [["kurs-id", "id"], ["kurs-tittel", "title"], ["kurs-gyldig", "valid_months"]]) {
				const v = form.querySelector("#" + id).value.trim();
				if (v) q.set(key, v);
			}
			const button = form.querySelector("button");
			button.disabled = true;
			Ui.say("Laster opp " + f.name + " …", "ok");
			try {
				const res = await fetch("/api/courses?" + q, { method: "POST", credentials: "same-origin",
					headers: { "Content-Type": "application/zip", "X-CSRF-Token": Vern.me.csrf, Accept: "application/json" }, body: f });
				const out = await res.json().catch(() => ({}));
				if (!res.ok) throw new Error(out.detail || "Opplastingen feilet (" + res.status + ").");
				await reload("kurs");
				Ui.say(`«${out.title}» er lastet opp som versjon ${out.version}.`, "ok");
			} catch (err) {
				Ui.say(err.message, "feil");
				button.disabled = false;
			}
		});
		return el("div", {}, Ui.table("Kurskatalog", ["Kurs", "Id", "Type", "Versjoner", "Siste versjon", "Gyldighet"], rows,
			"Ingen kurs ennå."), form);
	});

	add("tillegg", "Tillegg (plugins)", async () => {
		const data = await optional("/api/plugins");
		if (!data) return el("p", {}, "Tillegg er ikke en del av denne installasjonen.");
		const rows = data.plugins.map((pl) => [
			pl.name,
			pl.version || "–",
			el("span", { class: "merke-status " + (pl.status === "ok" ? "status-fullfort" : "status-forfalt") },
				el("span", { "aria-hidden": "true" }, pl.status === "ok" ? "✓ " : "✗ "), pl.status === "ok" ? "I drift" : "Feil"),
			String(pl.calls ?? 0),
			String(pl.errors ?? 0),
			pl.error || pl.last_error ? (pl.error || pl.last_error) + (pl.last_error_at ? " (" + Ui.dateTime(pl.last_error_at * 1000) + ")" : "") : "–",
		]);
		const reloadButton = el("button", { type: "button" }, "Last inn tilleggene på nytt");
		reloadButton.addEventListener("click", async () => {
			reloadButton.disabled = true;
			try {
				const out = await Vern.api("POST", "/api/plugins/reload");
				await reload("tillegg");
				Ui.say(out.broken ? `Lastet på nytt; ${out.broken} tillegg har feil.` : "Tilleggene er lastet på nytt.", out.broken ? "feil" : "ok");
			} catch (err) {
				Ui.say(err.message, "feil");
				reloadButton.disabled = false;
			}
		});
		return el("div", {},
			el("p", {}, "Lua-tillegg i ", el("code", {}, data.dir || "plugins"), ". Et tillegg med feil stoppes uten å påvirke resten."),
			Ui.table("Tillegg", ["Navn", "Versjon", "Status", "Kall", "Feil", "Siste feil"], rows, "Ingen tillegg er installert."),
			el("div", { class: "knapper" }, reloadButton));
	});

	/* ---- campaigns (the mail part's API) ---- */

	const CAMPAIGN_STATUS = { draft: "Utkast", active: "Aktiv", paused: "Pauset", finished: "Avsluttet" };
	const CAMPAIGN_ACTIONS = { draft: [["start", "Start"]], active: [["pause", "Pause"], ["finish", "Avslutt"]],
		paused: [["start", "Fortsett"], ["finish", "Avslutt"]], finished: [] };

	add("kampanjer", "Kampanjer", async () => {
		const data = await optional("/api/campaigns");
		if (!data) return el("p", {}, "E-postkampanjer er ikke en del av denne installasjonen.");
		const courses = await optional("/api/courses");
		const rows = data.campaigns.map((c) => {
			const buttons = el("div", { class: "knapper" });
			for (const [action, label] of CAMPAIGN_ACTIONS[c.status] || []) {
				const b = el("button", { type: "button", class: action === "finish" ? "fare" : "sekundaer",
					"aria-label": label + " kampanjen " + c.name }, label);
				b.addEventListener("click", async () => {
					if (action === "finish" && !confirm("Avslutte «" + c.name + "»? E-post som ikke er sendt, sendes ikke.")) return;
					try {
						await Vern.api("POST", `/api/campaigns/${c.id}/${action}`);
						await reload("kampanjer");
						Ui.say("Kampanjen «" + c.name + "» er " + (action === "start" ? "startet." : action === "pause" ? "pauset." : "avsluttet."), "ok");
					} catch (err) {
						Ui.say(err.message, "feil");
					}
				});
				buttons.append(b);
			}
			return [c.name, CAMPAIGN_STATUS[c.status] || c.status, String(c.lessons), String(c.employees),
				String(c.emails_sent), c.started_ms ? Ui.date(c.started_ms) : "–", buttons];
		});
		const courseSelect = el("select", { id: "kampanje-kurs", name: "kampanje-kurs", required: true },
			(courses ? courses.courses : []).map((c) => el("option", { value: c.id }, c.title)));
		const form = el("form", {},
			el("h3", {}, "Ny kampanje"),
			el("p", { class: "hjelp" }, "En kampanje sender korte leksjoner på e-post. Den lagres som utkast og starter når du trykker «Start»."),
			Ui.field("kampanje-navn", "Navn", { type: "text", required: true, autocomplete: "off" }),
			el("div", { class: "felt" }, el("label", { for: "kampanje-kurs" }, "Leksjon (kurs)"), courseSelect),
			Ui.field("kampanje-enheter", "Enheter (enhets-id, kommaseparert)", { type: "text", autocomplete: "off" }, "Tomt: hele kommunen."),
			Ui.field("kampanje-roller", "Roller (rollekoder, kommaseparert)", { type: "text", autocomplete: "off" },
				"For eksempel leder, personvernkoordinator. Tomt: alle ansatte."),
			Ui.field("kampanje-frist", "Frist i dager etter utsending", { type: "number", min: "1", max: "365", inputmode: "numeric" }),
			el("div", { class: "knapper" }, el("button", { type: "submit" }, "Lagre utkast")));
		form.addEventListener("submit", async (e) => {
			e.preventDefault();
			const v = (id) => form.querySelector("#" + id).value.trim();
			const list = (id) => v(id).split(",").map((x) => x.trim()).filter(Boolean);
			if (!v("kampanje-navn")) {
				Ui.say("Gi kampanjen et navn.", "feil");
				form.querySelector("#kampanje-navn").focus();
				return;
			}
			const def = { name: v("kampanje-navn"), audience: { units: list("kampanje-enheter"), roles: list("kampanje-roller") },
				lessons: [{ course: courseSelect.value, send_at: null }] };
			if (v("kampanje-frist")) def.due_days = Number(v("kampanje-frist"));
			try {
				await Vern.api("POST", "/api/campaigns", def);
				await reload("kampanjer");
				Ui.say("Kampanjen «" + def.name + "» er lagret som utkast.", "ok");
			} catch (err) {
				Ui.say(err.message, "feil");
			}
		});
		return el("div", {},
			Ui.table("Kampanjer", ["Navn", "Status", "Leksjoner", "Mottakere", "E-post sendt", "Startet", "Handlinger"], rows,
				"Ingen kampanjer ennå."),
			form);
	});

	/* The order of the issue: courses, plugins, campaigns, LRS clients, users. */
	const ORDER = ["kurs", "tillegg", "kampanjer", "lrs", "brukere", "oppbevaring"];

	async function main() {
		await Vern.signedIn();
		Vern.nav("/admin");
		const rank = (id) => (ORDER.includes(id) ? ORDER.indexOf(id) : ORDER.length);
		sections.sort((a, b) => rank(a.id) - rank(b.id));
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
