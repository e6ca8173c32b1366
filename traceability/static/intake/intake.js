/* The intake page: keyboard-wedge scanner input, big verdicts with a sound, the offline
 * queue (localStorage, one UUID per record), the ledger search/export, recall alerts. */
(function () {
  "use strict";
  const $ = (sel) => document.querySelector(sel);
  const root = $("#intake");
  const API = root.dataset.api;
  const HOSTS = JSON.parse(root.dataset.hosts);
  const DEBOUNCE_MS = 2000;
  const store = {
    get: (k, d) => { try { const v = localStorage.getItem("trc." + k); return v === null ? d : JSON.parse(v); } catch (e) { return d; } },
    set: (k, v) => localStorage.setItem("trc." + k, JSON.stringify(v)),
  };
  const LABELS = {
    genuine: ["真品", "Genuine"],
    revoked: ["已撤销", "Revoked"],
    not_genuine: ["无法验证", "Not genuine"],
    unknown_key: ["无法验证", "Not genuine"],
    key_compromised: ["无法验证", "Not genuine"],
    other_market: ["已被其他市场收货", "Already received by another market"],
    over_scanned: ["重复收货", "Over-scanned"],
    malformed: ["无法识别", "Not a certificate code"],
    paper: ["纸质合格证已登记", "Paper certificate recorded"],
  };
  const OK = new Set(["genuine", "paper"]);
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
    if (!response.ok) { const err = new Error((body && body.message) || response.statusText); err.http = response.status; throw err; }
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
  const queue = () => store.get("queue", []);
  function enqueue(record) { const q = queue(); q.push(record); store.set("queue", q); }
  async function sync() {
    if (syncing || !authed()) return;
    const pending = queue();
    if (!pending.length) return;
    syncing = true;
    try {
      const batch = pending.slice(0, 200);
      const body = await api("/intake", { method: "POST", headers: headers(true), body: JSON.stringify({ records: batch }) });
      const done = new Set(body.results.map((r) => r.uuid));
      store.set("queue", queue().filter((r) => !done.has(r.uuid)));
      for (const r of body.results) updateHistory(r.uuid, r.verdict, r);
      if (queue().length) setTimeout(sync, 0);
      else loadLedger();
    } catch (e) { if (e.http === 401) signedOut(); /* else still offline */ }
    finally { syncing = false; status(); }
  }

  // --- showing a verdict -------------------------------------------------------------------
  function show(verdict, detail, offline) {
    const box = $("#verdict");
    const [zh, en] = LABELS[verdict] || LABELS.malformed;
    box.className = "intake-verdict verdict-" + verdict + (OK.has(verdict) ? " ok" : " problem");
    box.dataset.verdict = verdict;
    box.dataset.provisional = String(Boolean(offline && verdict === "genuine" && revocationsStale()));
    $("#verdict-title").textContent = zh;
    $("#verdict-en").textContent = en + (offline ? " · 离线查验 offline" : "");
    $("#verdict-detail").textContent = detail || "";
    beep(OK.has(verdict));
  }
  function describe(result) {
    const r = result.record;
    if (!r) return result.message_zh || "";
    const parts = [r.product, r.quantity && `${r.quantity} ${r.unit}`, r.certificate_number, r.origin].filter(Boolean);
    if (result.previous_at) parts.push("首次收货 " + new Date(result.previous_at).toLocaleString());
    if (r.reason && r.verdict === "revoked") parts.push(r.reason);
    return parts.join(" · ");
  }
  function addHistory(id, text, verdict, offline) {
    const li = document.createElement("li");
    li.dataset.uuid = id; li.dataset.verdict = verdict;
    li.className = "history-" + verdict;
    li.textContent = `${new Date().toLocaleTimeString()} ${(LABELS[verdict] || LABELS.malformed)[0]}${offline ? "（待同步）" : ""} ${text.slice(-40)}`;
    $("#history").prepend(li);
    while ($("#history").children.length > 50) $("#history").lastChild.remove();
  }
  function updateHistory(id, verdict, result) {
    const li = document.querySelector(`#history li[data-uuid="${id}"]`);
    if (!li) return;
    li.dataset.verdict = verdict; li.className = "history-" + verdict;
    li.textContent = li.textContent.replace(/^(\S+) \S+（待同步）/, `$1 ${(LABELS[verdict] || LABELS.malformed)[0]}（已同步）`);
    if (result.record && result.record.serial) markReceived(result.record.serial);
  }
  function markReceived(serial) {
    const seen = store.get("received", {});
    seen[serial] = Date.now(); store.set("received", seen);
  }

  // --- one scan ----------------------------------------------------------------------------
  async function handleScan(raw) {
    const text = raw.trim();
    if (!text) return;
    const now = Date.now();
    if (text.toUpperCase() === lastScan.text && now - lastScan.at < DEBOUNCE_MS) {
      $("#scan-note").textContent = "已忽略 2 秒内的重复扫描 / double scan ignored";
      return;
    }
    lastScan = { text: text.toUpperCase(), at: now };
    $("#scan-note").textContent = "";
    const local = await TRCVerifier.verify(text, ring, revocations, HOSTS);
    if (local.status === "malformed") { show("malformed", local.reason); addHistory("", text, "malformed"); return; }
    const record = {
      uuid: uuid4(), code: text, supplier: $("#supplier").value, inspector: $("#inspector").value,
      received_at: new Date().toISOString(),
    };
    let lostSignIn = false;
    if (navigator.onLine && authed()) {
      try {
        const body = await api("/intake", { method: "POST", headers: headers(true), body: JSON.stringify({ records: [record] }) });
        const result = body.results[0];
        show(result.verdict, describe(result), false);
        addHistory(record.uuid, text, result.verdict, false);
        if (result.record && result.record.serial) markReceived(result.record.serial);
        loadLedger();
        return;
      } catch (e) {
        // a refusal of this request is said as it is; a server that cannot take it now
        // (5xx: its database down, a restart; 429) is treated like no network: checked
        // here and queued, never lost
        // signed out meanwhile (401): the same, and the sign-in shows again
        if (e.http === 401) { lostSignIn = true; signedOut(); }
        else if (e.http && e.http < 500 && e.http !== 429) { show("malformed", e.message); return; }
      }
    }
    // offline: the signature and the cached revocation list decide; the server re-checks on sync
    let verdict = ["unknown_key", "key_compromised"].includes(local.status) ? "not_genuine" : local.status;
    if (verdict === "genuine" && store.get("received", {})[local.serial]) verdict = "over_scanned";
    if (verdict === "genuine") markReceived(local.serial);
    record.offline_verdict = verdict;
    enqueue(record);
    let note = local.reason && verdict !== "genuine" ? local.reason : "已保存，联网后自动同步 / queued";
    if (verdict === "genuine" && revocationsStale()) {
      note = `撤销列表超过 ${MAX_AGE_HOURS} 小时未更新，结果待联网确认 / revocation list over ${MAX_AGE_HOURS} h old: to be confirmed online`;
    }
    if (lostSignIn) note = "登录已失效：本次扫码已保存，重新登录或输入令牌后自动同步 / signed out: kept, sent once you sign in again";
    show(verdict, note, true);
    addHistory(record.uuid, text, verdict, true);
    status();
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
    const when = age === null ? "" : age < 1 ? "（1 小时内核对）" : `（${Math.floor(age)} 小时前核对）`;
    el.textContent = (online ? "在线 online" : "离线 offline") + ` · 待同步 ${queue().length} · 撤销列表 v${revocations ? revocations.version : "–"}${when}`;
    el.dataset.online = String(online); el.dataset.queue = String(queue().length);
    el.dataset.revocationsStale = String(revocationsStale());
  }
  let marketTimer = null, marketRetry = 2000;
  async function loadMarket() {
    if (!authed()) return;
    try {
      const body = await api("/intake/market", { headers: headers(false) });
      $("#market-name").textContent = body.market.name;
      const list = $("#alerts"); list.replaceChildren();
      for (const alert of body.alerts) {
        const li = document.createElement("li");
        li.className = "recall-alert"; li.dataset.alert = alert.id;
        const items = alert.lines.map((l) => `${l.product} ${l.certificate_number}（${l.items} 件，${l.quantity} ${l.unit}）`).join("；");
        li.textContent = `召回 RECALL：${alert.reason}。本市场收到：${items} `;
        const ack = document.createElement("button");
        ack.type = "button"; ack.textContent = "已知悉 Acknowledge";
        ack.addEventListener("click", async () => {
          await api(`/intake/alerts/${alert.id}/ack`, { method: "POST", headers: headers(true), body: JSON.stringify({ inspector: $("#inspector").value }) });
          loadMarket(); focusScan();
        });
        li.append(ack); list.append(li);
      }
      marketRetry = 2000;
    } catch (e) {
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
  async function loadLedger() {
    if (!authed()) return;
    try {
      const body = await api("/intake/ledger?" + ledgerQuery(), { headers: headers(false) });
      const rows = $("#ledger-rows"); rows.replaceChildren();
      for (const r of body.records) {
        const tr = document.createElement("tr"); tr.dataset.uuid = r.uuid;
        for (const v of [new Date(r.received_at).toLocaleString(), r.supplier, r.product, r.unit ? `${r.quantity} ${r.unit}` : "", r.origin, r.certificate_number, (LABELS[r.verdict] || [r.verdict])[0], r.inspector]) {
          const td = document.createElement("td"); td.textContent = v; tr.append(td);
        }
        rows.append(tr);
      }
      $("#ledger-count").textContent = String(body.records.length);
    } catch (e) { /* offline */ }
  }
  async function exportLedger(kind) {
    const params = ledgerQuery(); params.set("format", kind);
    const response = await fetch(API + "/intake/ledger?" + params, { headers: headers(false) });
    if (!response.ok) return;
    const url = URL.createObjectURL(await response.blob());
    const a = document.createElement("a");
    a.href = url; a.download = `intake.${kind}`; document.body.append(a); a.click(); a.remove();
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
      if (!response.ok) { show("malformed", body.message_zh || body.message); return; }
      show("paper", describe(body)); form.reset(); loadLedger();
    } catch (e) { show("malformed", "纸质登记需要联网 / paper intake needs the network"); }
    focusScan();
  }
  async function decodePhoto(event) {
    const file = event.target.files[0];
    if (!file) return;
    if (!("BarcodeDetector" in window)) { $("#scan-note").textContent = "此浏览器不能识别照片中的二维码，请使用扫码枪 / no QR decoder here"; return; }
    const codes = await new window.BarcodeDetector({ formats: ["qr_code"] }).detect(await createImageBitmap(file));
    event.target.value = "";
    if (codes.length) handleScan(codes[0].rawValue);
    else $("#scan-note").textContent = "照片中没有找到二维码 / no QR code found";
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
