// tests/bench/lrs_preload.mjs: fills an LRS with N statements for the query
// benchmark, in batches of 1,000 over 4 concurrent connections, with the
// distributions of lrs_statements.lua (20,000 learners, 50 verbs, 2,000
// activities). Usage: node lrs_preload.mjs URL AUTH N. Prints seconds taken.
const [, , url, auth, nText] = process.argv;
const n = Number(nText);
const rnd = (k) => 1 + Math.floor(Math.random() * k);
function statement() {
  return {
    actor: { objectType: 'Agent', account: { homePage: 'https://vern.example', name: `e-${rnd(20000)}` } },
    verb: { id: `https://vern.example/verbs/v${rnd(50)}` },
    object: { objectType: 'Activity', id: `https://vern.example/activities/a${rnd(2000)}` },
    result: { completion: true },
  };
}
let left = n;
const start = Date.now();
async function worker() {
  while (left > 0) {
    const size = Math.min(1000, left);
    left -= size;
    const body = JSON.stringify(Array.from({ length: size }, statement));
    const r = await fetch(`${url}/xapi/statements`, {
      method: 'POST', body,
      headers: { Authorization: auth, 'X-Experience-API-Version': '1.0.3', 'Content-Type': 'application/json' },
    });
    if (r.status !== 200) throw new Error(`preload: HTTP ${r.status} ${await r.text()}`);
    await r.arrayBuffer().catch(() => {});
  }
}
await Promise.all([worker(), worker(), worker(), worker()]);
console.log(((Date.now() - start) / 1000).toFixed(1));
