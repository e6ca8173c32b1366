/* The intake page: keyboard-wedge scanner input, big verdicts with a sound, the offline
 * queue (localStorage, one UUID per record), the ledger search/export, recall alerts. */
(function () {
  "use strict";
  const $ = (sel) => document.querySelector(sel);
  const root = $("#intake");
  const API = root.dataset.api;
  const HOSTS = JSON.parse(root.dataset.hosts);
  const DEBOUNCE_MS = 2000;
  // localStorage (5 MB an origin): a write may fail once it is full; `set` says so
  const store = {
    get: (k, d) => { try { const v = localStorage.getItem("trc." + k); return v === null ? d : JSON.parse(v); } catch (e) { return d; } },
    set: (k, v) => { try { localStorage.setItem("trc." + k, JSON.stringify(v)); return true; } catch (e) { return false; } },
    drop: (k) => { try { localStorage.removeItem("trc." + k); } catch (e) { /* nothing to free */ } },
  };
  // what the page says comes from the template, in the page's language (Flask-Babel)
  const MSG = JSON.parse($("#intake-messages").textContent);
  const LANG = document.documentElement.lang || "zh-CN";
  const EN = LANG === "en";
  const say = (text, values) => text.replace(/\{(\w+)\}/g, (m, name) => (values && name in values ? String(values[name]) : m));
  const pick = (zh, en) => (EN ? en || zh : zh || en) || "";
  // the ledger is kept in Beijing time (as its exports are), whatever zone the device is set to
  const BEIJING = { timeZone: "Asia/Shanghai" };
  const when = (iso) => new Date(iso).toLocaleString(LANG, BEIJING);
  const label = (verdict) => MSG.labels[verdict] || MSG.labels.malformed;
  const aside = (text) => (!text ? "" : EN ? ` (${text})` : `（${text}）`);
  // the Chinese page keeps an English line under each verdict, for staff who read English
  // (the catalogue's words, from the view; none on the English page)
  const SECOND = MSG.second_labels;
  const OK = new Set(["genuine", "paper"]);
  // how the page names what the verifier or the server decided
  function shown(verdict, reason) {
    if (verdict === "not_activated" || (verdict === "not_genuine" && reason === "not_activated")) return "not_activated";
    return ["unknown_key", "key_compromised"].includes(verdict) ? "not_genuine" : verdict;
  }
  let ring = {}, revocations = null, lastScan = { text: "", at: 0 }, syncing = false;

  function uuid4() {
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  // --- sound: one high beep for OK, a low double buzz for a problem --------------------
  let audio = null;
  function beep(ok) {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      if (audio.state === "suspended") audio.resume().catch(() => {});
      const tones = ok ? [[1200, 0, 0.12]] : [[300, 0, 0.18], [300, 0.25, 0.18]];
      for (const [freq, start, len] of tones) {
        const osc = audio.createOscillator(), gain = audio.createGain();
        osc.type = ok ? "sine" : "square"; osc.frequency.value = freq;
        gain.gain.value = 0.2; osc.connect(gain); gain.connect(audio.destination);
        osc.start(audio.currentTime + start); osc.stop(audio.currentTime + start + len);
      }
    } catch (e) { /* no audio device: the colour still tells */ }
  }

  // --- auth ---------------------------------------------------------------------------
  function token() { return store.get("token", ""); }
  // signed in (session cookie) or a saved inspector token: either may call the API
  function authed() { return !!token() || root.dataset.session === "1"; }
  function headers(json) {
    const h = token() ? { Authorization: "Bearer " + token() } : { "X-CSRFToken": root.dataset.csrf };
    if (json) h["Content-Type"] = "application/json";
    return h;
  }
  // the token was revoked or the session ended: show the sign-in again; what is queued
  // meanwhile is sent once the inspector is back in
  function signedOut() {
    store.set("token", "");
    root.dataset.session = "0";
    $("#setup").hidden = false;
    status();
  }
  async function api(path, options) {
    const response = await fetch(API + path, options);
    const body = (response.headers.get("Content-Type") || "").includes("json") ? await response.json() : null;
    if (!response.ok) {
      const err = new Error((body && pick(body.message_zh || body.message, body.message_en)) || response.statusText);
      err.http = response.status; err.code = body && body.error;
      throw err;
    }
    return body;
  }

  // --- keys and revocation list, cached for offline use --------------------------------
  async function loadCachedKeys() {
    const jwks = store.get("jwks", null), jws = store.get("revocations", null);
    if (jwks) ring = await TRCVerifier.loadKeyRing(jwks);
    if (jws) { try { revocations = await TRCVerifier.verifyRevocationJws(jws, ring); } catch (e) { revocations = null; } }
  }
  async function refreshKeys() {
    try {
      const jwks = await (await fetch(root.dataset.jwks, { cache: "no-store" })).json();
      const newRing = await TRCVerifier.loadKeyRing(jwks);
      const jws = await (await fetch(root.dataset.revocations, { cache: "no-store" })).text();
      const list = await TRCVerifier.verifyRevocationJws(jws, newRing);
      if (revocations && list.version < revocations.version) return; // never go back
      ring = newRing; revocations = list;
      store.set("jwks", jwks); store.set("revocations", jws);
      store.set("revocations_checked_at", Date.now()); // freshness counts from here, not from the list's issued_at
    } catch (e) { /* offline: keep the cached copy */ }
    status();
  }

  // --- the offline queue -----------------------------------------------------------------
  // The queue comes before every cache: to store it, the received-items cache is given up.
  // What the storage still cannot take stays in this page (and is sent from here) and the
  // inspector is told, never lost without a word.
  let unsaved = [];
  const queue = () => store.get("queue", []).concat(unsaved);
  function saveQueue(records) {
    if (store.set("queue", records) || (store.drop("received"), store.set("queue", records))) {
      unsaved = [];
    } else {
      const kept = new Set(store.get("queue", []).map((r) => r.uuid));
      unsaved = records.filter((r) => !kept.has(r.uuid));
    }
    $("#storage-problem").hidden = !unsaved.length;
    $("#storage-problem").textContent = unsaved.length ? MSG.storage_full : "";
    return !unsaved.length;
  }
  function enqueue(record) { return saveQueue(queue().concat([record])); }
  window.addEventListener("beforeunload", (event) => { if (unsaved.length) { event.preventDefault(); event.returnValue = ""; } });
  async function sync() {
    if (syncing || !authed()) return;
    const pending = queue();
    if (!pending.length) return;
    syncing = true;
    try {
      const batch = pending.slice(0, 200);
      const body = await api("/intake", { method: "POST", headers: headers(true), body: JSON.stringify({ records: batch }) });
      const done = new Set(body.results.map((r) => r.uuid));
      saveQueue(queue().filter((r) => !done.has(r.uuid)));
      for (const r of body.results) updateHistory(r.uuid, r.verdict, r);
      if (queue().length) setTimeout(sync, 0);
      else loadLedger();
    } catch (e) { if (e.http === 401) signedOut(); /* else still offline */ }
    finally { syncing = false; status(); }
  }

  // --- showing a verdict -------------------------------------------------------------------
  function show(verdict, detail, offline, warned) {
    const box = $("#verdict");
    const ok = OK.has(verdict) && !warned;
    box.className = "intake-verdict verdict-" + verdict + (ok ? " ok" : " problem") + (warned ? " warned" : "");
    box.dataset.verdict = verdict;
    box.dataset.provisional = String(Boolean(offline && verdict === "genuine" && revocationsStale()));
    $("#verdict-title").textContent = label(verdict);
    $("#verdict-en").textContent = [SECOND[verdict], offline ? MSG.offline_check : ""].filter(Boolean).join(" · ");
    $("#verdict-detail").textContent = detail || "";
    beep(ok);
  }
  /** The detail under a server's verdict: what to do when it is not OK, then the goods. */
  function describe(result) {
    const r = result.record;
    const message = pick(result.message_zh, result.message_en);
    const warnings = (result.warnings || []).map((w) => pick(w.message_zh, w.message_en));
    if (!r) return [message, ...warnings].filter(Boolean).join(" · ");
    const parts = OK.has(result.verdict) ? [] : [message, pick(r.reason_zh, r.reason_en)];
    parts.push(...warnings, r.product, r.unit && Number(r.quantity) > 0 ? `${r.quantity} ${r.unit}` : "", r.certificate_number, r.origin);
    if (result.previous_at) parts.push(say(MSG.first_received, { time: when(result.previous_at) }));
    return parts.filter(Boolean).join(" · ");
  }
  function historyText(li) {
    return `${li.dataset.time} ${label(li.dataset.verdict)}${aside(li.dataset.state)} ${li.dataset.text}`;
  }
  function addHistory(id, text, verdict, offline) {
    const li = document.createElement("li");
    li.dataset.uuid = id; li.dataset.verdict = verdict;
    li.dataset.time = new Date().toLocaleTimeString(LANG, BEIJING); li.dataset.text = text.slice(-40);
    li.dataset.state = offline ? MSG.pending_sync : "";
    li.className = "history-" + verdict;
    li.textContent = historyText(li);
    $("#history").prepend(li);
    while ($("#history").children.length > 50) $("#history").lastChild.remove();
  }
  function updateHistory(id, verdict, result) {
    if (result.record && result.record.serial) markReceived(result.record.serial);
    const li = document.querySelector(`#history li[data-uuid="${id}"]`);
    if (!li) return;
    li.dataset.verdict = shown(verdict, result.reason); li.className = "history-" + li.dataset.verdict;
    if (li.dataset.state) li.dataset.state = MSG.synced;
    li.textContent = historyText(li);
  }
  // Items received here lately, for the offline over-scan check (the server's check after
  // sync is the full one): only the last RECEIVED_DAYS days and at most RECEIVED_MAX items,
  // so a busy market never fills the browser's storage with it.
  // Kept in the page too, so it still works while the storage has no room for it.
  const RECEIVED_DAYS = 7, RECEIVED_MAX = 10000;
  let received = null;
  function recentlyReceived() {
    const cutoff = Date.now() - RECEIVED_DAYS * 86400000;
    const seen = received || store.get("received", {});
    let entries = Object.entries(seen && typeof seen === "object" ? seen : {}).filter(([, at]) => at >= cutoff);
    if (entries.length > RECEIVED_MAX) entries = entries.sort((a, b) => b[1] - a[1]).slice(0, RECEIVED_MAX);
    return Object.fromEntries(entries);
  }
  function markReceived(serial) {
    received = recentlyReceived();
    received[serial] = Date.now();
    if (!store.set("received", received)) store.drop("received"); // a cache: the queue needs the room more
  }

  // --- one scan ----------------------------------------------------------------------------
  async function handleScan(raw) {
    const text = raw.trim();
    if (!text) return;
    const now = Date.now();
    if (text.toUpperCase() === lastScan.text && now - lastScan.at < DEBOUNCE_MS) {
      $("#scan-note").textContent = MSG.double_scan;
      return;
    }
    lastScan = { text: text.toUpperCase(), at: now };
    $("#scan-note").textContent = "";
    const local = await TRCVerifier.verify(text, ring, revocations, HOSTS);
    if (local.status === "malformed") { show("malformed", MSG.reasons[local.reason] || local.reason); addHistory("", text, "malformed"); return; }
    const record = {
      uuid: uuid4(), code: text, supplier: $("#supplier").value, inspector: $("#inspector").value,
      received_at: new Date().toISOString(),
    };
    let lostSignIn = false;
    if (navigator.onLine && authed()) {
      try {
        const body = await api("/intake", { method: "POST", headers: headers(true), body: JSON.stringify({ records: [record] }) });
        const result = body.results[0];
        const verdict = shown(result.verdict, result.reason);
        show(verdict, describe(result), false);
        addHistory(record.uuid, text, verdict, false);
        if (result.record && result.record.serial) markReceived(result.record.serial);
        loadLedger();
        return;
      } catch (e) {
        // a refusal of this request is said as it is; a server that cannot take it now
        // (5xx: its database down, a restart; 429) is treated like no network: checked
        // here and queued, never lost
        // signed out meanwhile (401): the same, and the sign-in shows again
        if (e.http === 401) { lostSignIn = true; signedOut(); }
        else if (e.http && e.http < 500 && e.http !== 429) { refused(e, text); return; }
      }
    }
    // offline: the signature and the cached revocation list decide; the server re-checks on sync
    let verdict = shown(local.status, local.reason);
    if (verdict === "genuine" && recentlyReceived()[local.serial]) verdict = "over_scanned";
    // the ledger's verdicts: a code that is not genuine, for whatever reason, is "not_genuine"
    record.offline_verdict = verdict === "not_activated" ? "not_genuine" : verdict;
    const saved = enqueue(record);
    if (verdict === "genuine") markReceived(local.serial);
    let note = MSG.queued;
    // a reason code in words (the server's own); a revocation's reason is already words
    if (verdict !== "genuine" && local.reason) note = MSG.reasons[local.reason] || local.reason;
    if (verdict === "not_activated") note = MSG.labels.not_activated;
    if (verdict === "genuine" && revocationsStale()) note = say(MSG.stale, { hours: MAX_AGE_HOURS });
    if (lostSignIn) note = MSG.signed_out;
    if (!saved) note = MSG.storage_full;
    show(verdict, note, true);
    $("#verdict").dataset.saved = String(saved);
    addHistory(record.uuid, text, verdict, true);
    status();
  }
  // the server refused the request itself (not the code): the wrong account, say, or a
  // market that is gone; nothing was recorded, and the page says why
  function refused(error, text) {
    const account = ["no_market", "market_required", "forbidden"].includes(error.code) || error.http === 403;
    show("refused", account ? MSG.no_market : error.message);
    addHistory("", text, "refused", false);
    if (account) accountProblem();
  }
  function accountProblem() {
    $("#account-problem").textContent = MSG.no_market;
    $("#account-problem").hidden = false;
    root.dataset.noMarket = "true";
    $("#setup").hidden = false; // a token of the market's inspector may be entered here
  }

  // --- how current the cached revocation list is (the offline grace period) ---------------
  const MAX_AGE_HOURS = Number(root.dataset.revocationsMaxAge || 24);
  function revocationsAgeHours() {
    const checked = store.get("revocations_checked_at", null);
    return revocations && checked ? (Date.now() - checked) / 3600000 : null;
  }
  function revocationsStale() {
    const age = revocationsAgeHours();
    return age === null || age > MAX_AGE_HOURS;
  }

  // --- status line, alerts, ledger ---------------------------------------------------------
  function status() {
    const online = navigator.onLine;
    const el = $("#net-status");
    const age = revocationsAgeHours();
    const checked = age === null ? "" : age < 1 ? MSG.checked_within_hour : say(MSG.checked_hours_ago, { hours: Math.floor(age) });
    const list = say(MSG.revocations, { version: revocations ? revocations.version : "–" }) + aside(checked);
    el.textContent = [online ? MSG.online : MSG.offline, say(MSG.queue, { n: queue().length }), list].join(" · ");
    el.dataset.online = String(online); el.dataset.queue = String(queue().length);
    el.dataset.revocationsStale = String(revocationsStale());
    el.dataset.storage = unsaved.length ? "full" : "ok";
  }
  let marketTimer = null, marketRetry = 2000;
  async function loadMarket() {
    if (!authed()) return;
    try {
      const body = await api("/intake/market", { headers: headers(false) });
      $("#market-name").textContent = body.market.name;
      $("#account-problem").hidden = true; delete root.dataset.noMarket;
      const list = $("#alerts"); list.replaceChildren();
      for (const alert of body.alerts) {
        const li = document.createElement("li");
        li.className = "recall-alert"; li.dataset.alert = alert.id;
        // an item another market received first is marked: moved on, or a copied code
        const lines = alert.lines.map((l) => say(MSG.recall_line, {
          product: l.product, number: l.certificate_number, items: l.items, quantity: `${l.quantity} ${l.unit}`,
        }) + (l.other_market ? MSG.recall_other_market : "")).join(EN ? "; " : "；");
        if (alert.lines.some((l) => l.other_market)) li.dataset.otherMarket = "true";
        li.textContent = say(MSG.recall, { reason: alert.reason, lines }) + " ";
        const ack = document.createElement("button");
        ack.type = "button"; ack.textContent = MSG.acknowledge;
        ack.addEventListener("click", async () => {
          await api(`/intake/alerts/${alert.id}/ack`, { method: "POST", headers: headers(true), body: JSON.stringify({ inspector: $("#inspector").value }) });
          loadMarket(); focusScan();
        });
        li.append(ack); list.append(li);
      }
      marketRetry = 2000;
    } catch (e) {
      // an account that has no market here (a producer, a supervisor): say so at once
      if (e.http && e.http < 500 && ![401, 429].includes(e.http)) { accountProblem(); return; }
      // offline, or a request that failed on the way: try again soon, not only in a minute
      if (navigator.onLine && authed()) {
        clearTimeout(marketTimer);
        marketTimer = setTimeout(loadMarket, marketRetry);
        marketRetry = Math.min(marketRetry * 2, 60000);
      }
    }
  }
  function ledgerQuery() {
    const form = $("#ledger-form"), params = new URLSearchParams();
    for (const name of ["from", "to", "product", "supplier", "certificate"]) {
      const v = form.elements[name].value.trim(); if (v) params.set(name, v);
    }
    return params;
  }
  // One search at a time: every scan asks for the ledger again, and a pile of labels scanned
  // at once would race; an older answer arriving last would show the ledger short of the
  // newest lines. Asked again meanwhile, it searches once more when the current one is done.
  let ledgerBusy = false, ledgerAgain = false;
  async function loadLedger() {
    if (!authed()) return;
    if (ledgerBusy) { ledgerAgain = true; return; }
    ledgerBusy = true; ledgerAgain = false;
    try {
      const body = await api("/intake/ledger?" + ledgerQuery(), { headers: headers(false) });
      const rows = $("#ledger-rows"); rows.replaceChildren();
      for (const r of body.records) {
        const tr = document.createElement("tr"); tr.dataset.uuid = r.uuid;
        const reason = pick(r.reason_zh, r.reason_en);
        const verdict = (MSG.labels[r.verdict] || r.verdict) + aside(reason);
        const cells = [when(r.received_at), r.supplier, r.product, r.unit && Number(r.quantity) > 0 ? `${r.quantity} ${r.unit}` : "", r.origin, r.certificate_number, verdict, r.inspector];
        cells.forEach((v, i) => {
          const td = document.createElement("td"); td.textContent = v;
          if (i === 4) td.className = "wrap";
          if (i === 6) { td.className = "wrap"; td.dataset.verdict = r.verdict; td.dataset.reason = r.reason || ""; }
          tr.append(td);
        });
        rows.append(tr);
      }
      // the page lists the newest lines only: say so, so older ones are not taken as missing
      $("#ledger-count").textContent = String(body.records.length) + (body.more ? "+" : "");
      $("#ledger-limited").textContent = body.more ? say(MSG.ledger_limited, { n: body.limit }) : "";
      $("#ledger-limited").hidden = !body.more;
    } catch (e) { /* offline */ }
    finally {
      ledgerBusy = false;
      if (ledgerAgain) loadLedger();
    }
  }
  async function exportLedger(kind) {
    // the file's verdicts in the page's language (its headers say both)
    const params = ledgerQuery(); params.set("format", kind); params.set("lang", EN ? "en" : "zh_CN");
    const note = $("#ledger-export-note");
    const refused = (text) => { note.textContent = text; note.hidden = false; };
    note.hidden = true;
    let response;
    try {
      response = await fetch(API + "/intake/ledger?" + params, { headers: headers(false) });
    } catch (e) { refused(MSG.export_needs_network); return; }
    if (!response.ok) {
      // the server's words (e.g. too many lines: narrow the dates), never a silent button
      const body = await response.json().catch(() => ({}));
      refused(pick(body.message_zh || body.message, body.message_en) || MSG.export_failed);
      return;
    }
    const url = URL.createObjectURL(await response.blob());
    // the server's name (market and day), so a week of exports are not intake (1) … (6)
    const named = /filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") || "");
    const a = document.createElement("a");
    a.href = url; a.download = named ? named[1] : `intake.${kind}`; document.body.append(a); a.click(); a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }

  // --- paper certificates and the phone camera ---------------------------------------------
  async function submitPaper(event) {
    event.preventDefault();
    const form = event.target, data = new FormData(form);
    data.set("uuid", uuid4()); data.set("inspector", $("#inspector").value);
    data.set("received_at", new Date().toISOString());
    try {
      const response = await fetch(API + "/intake/paper", { method: "POST", headers: headers(false), body: data });
      const body = await response.json();
      if (!response.ok) { show("refused", pick(body.message_zh || body.message, body.message_en)); return; }
      const warned = (body.warnings || []).length > 0;
      show(body.verdict, describe(body), false, warned);
      $("#verdict").dataset.warnings = (body.warnings || []).map((w) => w.code).join(" ");
      form.reset(); loadLedger();
    } catch (e) { show("refused", MSG.paper_needs_network); }
    focusScan();
  }
  async function decodePhoto(event) {
    const file = event.target.files[0];
    if (!file) return;
    if (!("BarcodeDetector" in window)) { $("#scan-note").textContent = MSG.no_qr_decoder; return; }
    const codes = await new window.BarcodeDetector({ formats: ["qr_code"] }).detect(await createImageBitmap(file));
    event.target.value = "";
    if (codes.length) handleScan(codes[0].rawValue);
    else $("#scan-note").textContent = MSG.no_qr_found;
  }

  // --- wiring ------------------------------------------------------------------------------
  const input = $("#scan-input");
  function focusScan() { input.focus(); }
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter") { event.preventDefault(); const v = input.value; input.value = ""; handleScan(v); }
  });
  // keep focus in the scan field unless the inspector is typing elsewhere
  document.addEventListener("keydown", (event) => {
    const t = document.activeElement;
    if (!t || t === document.body) { focusScan(); }
    void event;
  }, true);
  document.addEventListener("click", (event) => {
    if (!event.target.closest("input, select, textarea, button, a, label, summary")) focusScan();
  });
  $("#token-form").addEventListener("submit", (event) => {
    event.preventDefault();
    store.set("token", $("#token").value.trim()); $("#token").value = "";
    store.set("inspector", $("#inspector").value);
    $("#setup").hidden = authed(); loadMarket(); loadLedger(); sync(); focusScan();
  });
  $("#inspector").value = store.get("inspector", "");
  $("#inspector").addEventListener("change", () => store.set("inspector", $("#inspector").value));
  $("#paper-form").addEventListener("submit", submitPaper);
  $("#camera").addEventListener("change", decodePhoto);
  $("#ledger-form").addEventListener("submit", (event) => { event.preventDefault(); loadLedger(); });
  $("#export-csv").addEventListener("click", () => exportLedger("csv"));
  $("#export-xlsx").addEventListener("click", () => exportLedger("xlsx"));
  window.addEventListener("online", () => { status(); sync(); refreshKeys(); loadMarket(); });
  window.addEventListener("offline", status);
  $("#setup").hidden = authed();

  (async function start() {
    await loadCachedKeys();
    status();
    await refreshKeys();
    loadMarket(); loadLedger(); sync();
    setInterval(() => { if (navigator.onLine) { sync(); } }, 5000);
    setInterval(() => { if (navigator.onLine) { refreshKeys(); loadMarket(); } }, 60000);
    root.dataset.ready = "true";
    focusScan();
  })();
})();
