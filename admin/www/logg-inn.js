/* logg-inn.js: signing in. Step 1, username and password (POST /api/login
 * with the sign-in CSRF token from GET /api/login); step 2 for leaders, HR,
 * the ombud and admins, the six-digit code from an authenticator app
 * (POST /api/login/totp), after first setting the app up from a QR code or
 * the written secret when the account has none yet. */
"use strict";

(() => {
	const { el } = Vern;
	const params = new URLSearchParams(location.search);
	const next = params.get("neste") || "";

	const MESSAGES = {
		login_failed: "Feil brukernavn eller passord, eller kontoen er midlertidig sperret etter for mange forsøk.",
		rate_limited: "For mange innloggingsforsøk. Vent noen minutter og prøv igjen.",
		csrf: "Skjemaet var utløpt. Prøv igjen.",
		login_expired: "Innloggingen tok for lang tid. Start på nytt med brukernavn og passord.",
		wrong_code: "Feil kode. Skriv inn koden autentiseringsappen viser nå.",
		invalid: "Fyll ut feltene og prøv igjen.",
	};

	async function call(method, path, body, csrf) {
		const headers = { Accept: "application/json" };
		if (csrf) headers["X-CSRF-Token"] = csrf;
		if (body) headers["Content-Type"] = "application/json";
		const res = await fetch(path, { method, headers, credentials: "same-origin",
			body: body ? JSON.stringify(body) : undefined });
		let data = {};
		try { data = await res.json(); } catch { data = {}; }
		if (!res.ok) {
			const err = new Error(data.detail || MESSAGES[data.error] || "Noe gikk galt (" + res.status + ").");
			err.code = data.error;
			throw err;
		}
		return data;
	}

	function show(title, ...children) {
		document.getElementById("tittel").textContent = title;
		document.title = title + " – Vern";
		document.getElementById("steg").replaceChildren(el("div", { class: "kort" }, ...children));
	}

	function busy(form, on) {
		for (const b of form.querySelectorAll("button")) b.disabled = on;
	}

	async function passwordStep(message) {
		const { csrf } = await call("GET", "/api/login");
		const user = Ui.field("brukernavn", "Brukernavn", { type: "text", autocomplete: "username",
			required: true, autocapitalize: "none", spellcheck: "false", value: params.get("bruker") || "" });
		const pass = Ui.field("passord", "Passord", { type: "password", autocomplete: "current-password", required: true });
		const form = el("form", { method: "post", action: "/api/login", novalidate: true },
			el("input", { type: "hidden", name: "csrf", value: csrf }),
			el("input", { type: "hidden", name: "neste", value: next }),
			user, pass,
			el("div", { class: "knapper" }, el("button", { type: "submit" }, "Logg inn")));
		form.addEventListener("submit", async (e) => {
			e.preventDefault();
			const username = form.querySelector("#brukernavn").value.trim();
			const password = form.querySelector("#passord").value;
			if (!username || !password) {
				Ui.say("Skriv inn både brukernavn og passord.", "feil");
				(username ? form.querySelector("#passord") : form.querySelector("#brukernavn")).focus();
				return;
			}
			busy(form, true);
			try {
				const out = await call("POST", "/api/login", { username, password, next }, csrf);
				if (out.step) return codeStep();
				location.href = out.next || "/";
			} catch (err) {
				Ui.say(err.message, "feil");
				form.querySelector("#passord").value = "";
				form.querySelector("#passord").focus();
				if (err.code === "csrf") return passwordStep(err.message);
			} finally {
				busy(form, false);
			}
		});
		show("Logg inn", form);
		if (message) Ui.say(message, "feil");
		form.querySelector(params.get("bruker") ? "#passord" : "#brukernavn").focus();
	}

	/* The otpauth URI as a QR code in SVG, when the QR script is there. */
	function qrCode(uri) {
		if (typeof globalThis.qrcode !== "function") return null;
		const qr = globalThis.qrcode(0, "M");
		qr.addData(uri);
		qr.make();
		const n = qr.getModuleCount(), margin = 4, size = n + margin * 2;
		const NS = "http://www.w3.org/2000/svg";
		const svg = document.createElementNS(NS, "svg");
		svg.setAttribute("viewBox", `0 0 ${size} ${size}`);
		svg.setAttribute("class", "qr");
		svg.setAttribute("role", "img");
		svg.setAttribute("aria-label", "QR-kode for å legge til Vern i autentiseringsappen");
		const bg = document.createElementNS(NS, "rect");
		for (const [k, v] of [["width", size], ["height", size], ["fill", "#ffffff"]]) bg.setAttribute(k, v);
		svg.append(bg);
		let d = "";
		for (let r = 0; r < n; r++)
			for (let c = 0; c < n; c++)
				if (qr.isDark(r, c)) d += `M${c + margin} ${r + margin}h1v1h-1z`;
		const path = document.createElementNS(NS, "path");
		path.setAttribute("d", d);
		path.setAttribute("fill", "#000000");
		svg.append(path);
		return svg;
	}

	async function codeStep(message) {
		let info;
		try {
			info = await call("GET", "/api/login/totp");
		} catch (err) {
			return passwordStep(err.message);
		}
		const enrol = info.step === "enrol";
		const code = Ui.field("kode", "Sekssifret kode", { type: "text", inputmode: "numeric",
			autocomplete: "one-time-code", required: true, maxlength: "7", pattern: "[0-9 ]*" },
			enrol ? "Koden appen viser etter at du har lagt til Vern." : "Koden autentiseringsappen din viser nå.");
		const form = el("form", { method: "post", action: "/api/login/totp", novalidate: true },
			el("input", { type: "hidden", name: "csrf", value: info.csrf }),
			code,
			el("div", { class: "knapper" }, el("button", { type: "submit" }, enrol ? "Bekreft og logg inn" : "Logg inn"),
				el("a", { href: "/logg-inn" }, "Avbryt")));
		form.addEventListener("submit", async (e) => {
			e.preventDefault();
			const value = form.querySelector("#kode").value.replace(/\s/g, "");
			if (!/^[0-9]{6}$/.test(value)) {
				Ui.say("Koden er seks sifre.", "feil");
				form.querySelector("#kode").focus();
				return;
			}
			busy(form, true);
			try {
				const out = await call("POST", "/api/login/totp", { code: value }, info.csrf);
				location.href = out.next || "/";
			} catch (err) {
				if (err.code === "login_expired") return passwordStep(err.message);
				Ui.say(err.message, "feil");
				form.querySelector("#kode").value = "";
				form.querySelector("#kode").focus();
			} finally {
				busy(form, false);
			}
		});
		if (enrol) {
			const groups = info.secret.match(/.{1,4}/g).join(" ");
			const qr = qrCode(info.uri);
			show("Sett opp tofaktorinnlogging",
				el("p", {}, "Kontoen din gir tilgang til andres opplysninger og krever derfor en kode fra en ",
					"autentiseringsapp i tillegg til passordet (for eksempel Microsoft Authenticator, Google Authenticator eller FreeOTP)."),
				el("ol", {},
					el("li", {}, qr ? "Skann QR-koden med appen, eller skriv inn nøkkelen under." : "Legg til en konto i appen og skriv inn nøkkelen under."),
					el("li", {}, "Skriv inn koden appen viser, og trykk «Bekreft og logg inn».")),
				qr,
				el("p", {}, "Nøkkel (brukernavn ", el("strong", {}, info.username), "):"),
				el("p", {}, el("code", { class: "hemmelighet" }, groups)),
				el("p", {}, el("a", { href: info.uri }, "Åpne i autentiseringsapp på denne enheten")),
				form);
		} else {
			show("Tofaktorkode", form);
		}
		if (message) Ui.say(message, "feil");
		form.querySelector("#kode").focus();
	}

	document.addEventListener("DOMContentLoaded", () => {
		const error = params.get("feil");
		const message = error ? (MESSAGES[error] || MESSAGES.invalid) : null;
		if (params.get("ut")) Ui.say("Du er logget ut.", "ok");
		if (params.get("byttet")) Ui.say("Passordet er byttet. Logg inn med det nye passordet.", "ok");
		const start = params.get("steg") ? codeStep(message) : passwordStep(message);
		start.catch((err) => Ui.say(err.message, "feil"));
	});
})();
