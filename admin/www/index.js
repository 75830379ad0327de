/* index.js: the front page sends a signed-in person to the page for their
 * role, and everyone else to the sign-in page. */
"use strict";

(async () => {
	const homes = [["employee", "/min-side"], ["admin", "/admin"], ["hr", "/hr"], ["ombud", "/ombud"], ["leader", "/leder"]];
	try {
		const res = await fetch("/api/me", { headers: { Accept: "application/json" }, credentials: "same-origin" });
		if (res.status === 401) {
			location.replace("/logg-inn");
			return;
		}
		if (!res.ok) return;
		const me = await res.json();
		const home = homes.find(([role]) => me.roles.includes(role));
		if (home) location.replace(home[1]);
	} catch {
		/* Stay on the page: it has the sign-in link. */
	}
})();
