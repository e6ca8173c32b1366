/* Kiosk and phone issuing: start → product → weight → confirm → printed, in few big taps. */
(function () {
  "use strict";
  const body = document.body;
  const mode = body.dataset.mode;
  const agent = body.dataset.agent;
  const idleSeconds = parseInt(body.dataset.idle, 10) || 90;
  const maxLabels = parseInt(body.dataset.maxLabels, 10) || 200;
  const printWait = parseFloat(body.dataset.printWait) || 20;  // seconds before "not answering"
  const PREVIEW_WAIT_MS = 1500;  // the confirm screen waits this long at most for its preview
  const messages = JSON.parse(document.getElementById("messages").textContent);
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const state = { catalog: null, product: null, items: 1, job: null, poll: null, scale: null, tests: null, issue: null };
  const $ = (id) => document.getElementById(id);

  function show(name) {
    document.querySelectorAll(".screen").forEach((s) => s.classList.toggle("active", s.id === "screen-" + name));
    state.screen = name;
    if (name === "start") { $("identifier").focus(); }
    if (name === "weight") { startScale(); } else { stopScale(); }
  }

  function banner(text) {
    const el = $("banner");
    el.textContent = text || "";
    el.hidden = !text;
  }

  async function api(method, url, data, extraHeaders) {
    let response;
    try {
      response = await fetch(url, {
        method: method,
        headers: Object.assign({ "Content-Type": "application/json", "X-CSRFToken": csrf, "Accept": "application/json" }, extraHeaders || {}),
        body: data === undefined ? undefined : JSON.stringify(data),
        credentials: "same-origin",
      });
    } catch (err) {
      throw new Error(messages.network);
    }
    const text = await response.text();
    const answer = text ? JSON.parse(text) : {};
    if (!response.ok) {
      const lang = document.documentElement.lang === "en" ? "message_en" : "message_zh";
      const error = new Error(answer[lang] || answer.message || messages.network);
      error.status = response.status;
      error.code = answer.error;
      throw error;
    }
    return answer;
  }

  // --- idle: back to the start screen -------------------------------------------------
  let idleTimer = null;
  function touch() {
    clearTimeout(idleTimer);
    idleTimer = setTimeout(restart, idleSeconds * 1000);
  }
  ["click", "keydown", "touchstart", "input"].forEach((e) => document.addEventListener(e, touch, true));

  // One key per issue the producer confirmed: tapping again after an answer lost on a
  // flaky network is the same issue to the server (its first certificate and print job
  // come back), never a second one. New inputs make a new issue, and a new key.
  function issueKey(payload) {
    const text = JSON.stringify(payload);
    if (!state.issue || state.issue.payload !== text) {
      const bytes = new Uint8Array(16);
      crypto.getRandomValues(bytes);  // randomUUID needs https; a LAN kiosk may be on http
      state.issue = { payload: text, key: Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("") };
    }
    return state.issue.key;
  }

  // A producer signed in to the web pages opens /phone already signed in: no card, no PIN.
  // Starting over keeps it on its products; 退出 takes it back to its pages.
  const webProducer = body.dataset.signedIn || "";

  async function enter(name) {
    $("who").textContent = name;
    state.catalog = await api("GET", "/kiosk/api/catalog");
    renderCatalog();
    show("products");
  }

  async function restart(signout) {
    clearInterval(state.poll);
    if (state.preview) { URL.revokeObjectURL(state.preview); state.preview = null; }
    state.product = null; state.items = 1; state.job = null; state.tests = null; state.issue = null;
    $("identifier").value = ""; $("pin").value = ""; $("quantity").value = "";
    targetSignin("identifier");
    $("who").textContent = "";
    banner("");
    if (webProducer && !signout) {
      // the page signs in again from the web session when its own has lapsed
      try { await enter(webProducer); } catch (e) { location.assign(location.pathname); }
      return;
    }
    try { await api("POST", "/kiosk/api/signout", {}); } catch (e) { /* offline: the session expires by itself */ }
    if (webProducer) { location.assign(body.dataset.home); return; }
    show("start");
  }

  // --- keypads ------------------------------------------------------------------------
  // The sign-in keypad types into the field last touched, the identifier at first: a kiosk
  // has no on-screen keyboard, so a producer without a card types the producer number (or
  // ID-card number) here, then touches 密码 for the PIN. A card scanner types the card and
  // Enter, which moves on to the PIN. Its C key becomes X after an ID number's 17 digits.
  const signinFields = ["identifier", "pin"];
  let signinTarget = "identifier";
  function targetSignin(id) {
    signinTarget = id;
    signinFields.forEach((field) => $(field).classList.toggle("keypad-target", field === id));
    updateIdKey();
  }
  function updateIdKey() {
    const clear = document.querySelector('.keypad[data-target="signin"] .key[data-role="clear"]');
    if (!clear) return;
    const wantsX = signinTarget === "identifier" && /^[0-9]{17}$/.test($("identifier").value);
    clear.dataset.key = wantsX ? "X" : "C";
    clear.textContent = wantsX ? "X" : "C";
  }
  signinFields.forEach((field) => {
    $(field).addEventListener("focus", () => targetSignin(field));
    $(field).addEventListener("input", updateIdKey);
  });
  targetSignin("identifier");

  document.querySelectorAll(".keypad").forEach((pad) => {
    // A tapped key does not take the focus: a card scanner typing after a stray tap still
    // types into the sign-in field, not into the button.
    if (pad.dataset.target === "signin") pad.addEventListener("mousedown", (event) => event.preventDefault());
    pad.addEventListener("click", (event) => {
      const key = event.target.dataset.key;
      if (!key) return;
      const input = $(pad.dataset.target === "signin" ? signinTarget : pad.dataset.target);
      if (key === "⌫") input.value = input.value.slice(0, -1);
      else if (key === "C") input.value = "";
      else if (key === "." && input.value.includes(".")) return;  // one decimal point
      else if (key === "." && !input.value) input.value = "0.";
      else input.value += key;
      input.dispatchEvent(new Event("input"));
    });
  });

  // --- sign in ------------------------------------------------------------------------
  $("identifier").addEventListener("keydown", (event) => {
    if (event.key === "Enter") { event.preventDefault(); $("pin").focus(); targetSignin("pin"); }
  });
  $("signin").addEventListener("submit", async (event) => {
    event.preventDefault();
    banner("");
    try {
      const answer = await api("POST", "/kiosk/api/signin", { identifier: $("identifier").value, pin: $("pin").value });
      await enter(answer.producer.name);
    } catch (err) {
      $("pin").value = "";
      banner(err.message);
    }
  });

  function renderCatalog() {
    const grid = $("products");
    grid.innerHTML = "";
    $("products-none").hidden = state.catalog.products.length > 0;
    state.catalog.products.forEach((product) => {
      const button = document.createElement("button");
      button.className = "product";
      button.dataset.productId = product.id;
      button.innerHTML = '<span class="icon"></span><span class="name"></span>';
      button.querySelector(".icon").textContent = product.icon;
      button.querySelector(".name").textContent = product.name;
      button.title = product.name;
      button.addEventListener("click", () => chooseProduct(product));
      grid.appendChild(button);
    });
    $("promise").textContent = document.documentElement.lang === "en" ? state.catalog.promise_en : state.catalog.promise;
    const basis = $("basis");
    basis.querySelectorAll("label").forEach((l) => l.remove());
    state.catalog.basis.forEach((option, index) => {
      const label = document.createElement("label");
      label.className = "check";
      label.innerHTML = '<input type="checkbox"><span></span>';
      label.querySelector("input").value = option.code;
      label.querySelector("input").checked = index === 0;
      label.querySelector("span").textContent = document.documentElement.lang === "en" ? option.en : option.zh;
      basis.appendChild(label);
    });
  }

  function chooseProduct(product) {
    state.product = product;
    state.tests = null;
    $("weight-product").textContent = product.name;
    $("unit").textContent = product.unit;
    show("weight");
  }

  // --- scale (read from the kiosk agent on this machine) ------------------------------
  function startScale() {
    stopScale();
    if (mode !== "kiosk") { $("scale-state").textContent = messages.no_scale; return; }
    const read = async () => {
      try {
        const response = await fetch(agent + "/scale", { cache: "no-store" });
        const reading = await response.json();
        if (reading.weight === null) { $("scale-state").textContent = messages.no_scale; return; }
        if (reading.stable && state.product && state.product.unit === "kg") {
          $("quantity").value = reading.weight;
          $("scale-state").textContent = messages.stable;
        } else {
          $("scale-state").textContent = messages.unstable;
        }
      } catch (err) {
        $("scale-state").textContent = messages.no_scale;
        stopScale();
      }
    };
    read();
    state.scale = setInterval(read, 700);
  }
  function stopScale() { clearInterval(state.scale); state.scale = null; }

  // The server's rule (parse_quantity), said on this screen: digits with one optional
  // decimal point and at most three decimals, more than 0 and under ten billion.
  function weightProblem(text) {
    if (!text.trim()) return messages.need_weight;
    if (!/^(\d+(\.\d{0,3})?|\.\d{1,3})$/.test(text.trim())) return messages.bad_weight;
    const value = Number(text);
    if (!(value > 0)) return messages.need_weight;
    if (value >= 1e10) return messages.too_much;
    return null;
  }
  $("weight-next").addEventListener("click", async () => {
    const problem = weightProblem($("quantity").value);
    if (problem) { banner(problem); return; }
    banner("");
    // What is being promised, in large type beside the heading: the label preview alone is
    // small print for an elderly producer checking the weight before committing.
    $("confirm-what").textContent = `${state.product.name} ${$("quantity").value.trim()} ${state.product.unit}`;
    showTests();
    // The screen comes with its preview in place: drawn a moment later, the preview pushed
    // 我承诺，打印 down by a quarter of a 1024×600 screen, under a finger about to tap it. A
    // slow link gets the screen after PREVIEW_WAIT_MS all the same, the preview following.
    await Promise.race([updatePreview(), new Promise((done) => setTimeout(done, PREVIEW_WAIT_MS))]);
    if (state.screen === "weight") show("confirm");  // not after 返回 (or a sign-out) meanwhile
  });

  // --- confirm ------------------------------------------------------------------------
  function chosenBasis() {
    return Array.from($("basis").querySelectorAll("input:checked")).map((i) => i.value);
  }
  // Fetched rather than set as the image's src, so a label that cannot print says why (the
  // same refusal the issue would get) instead of showing a broken picture.
  async function updatePreview() {
    const params = new URLSearchParams({ product_id: state.product.id, quantity: $("quantity").value.trim(), unit: state.product.unit });
    $("basis").querySelectorAll("input:checked").forEach((i) => params.append("basis", i.nextElementSibling.textContent));
    const asked = params.toString();
    state.previewAsked = asked;
    let image = null;
    let problem = null;
    try {
      const response = await fetch("/kiosk/api/preview.png?" + asked, { credentials: "same-origin", cache: "no-store" });
      if (response.ok) {
        image = await response.blob();
      } else {
        const answer = await response.json().catch(() => ({}));
        problem = (document.documentElement.lang === "en" ? answer.message_en : answer.message_zh) || messages.network;
      }
    } catch (err) {
      problem = messages.network;
    }
    if (state.previewAsked !== asked) return;  // a newer preview is on its way
    if (state.preview) URL.revokeObjectURL(state.preview);
    state.preview = image ? URL.createObjectURL(image) : null;
    $("preview").hidden = !image;
    if (image) {
      $("preview").src = state.preview;
      await $("preview").decode().catch(() => {});  // drawn once decoded, not a frame later
    }
    if (problem) banner(problem);
  }
  $("basis").addEventListener("change", () => { updatePreview(); showTests(); });

  // --- tests backing a tested basis (自行检测合格 / 委托检测合格) -------------------------
  function needsTest() {
    const codes = chosenBasis();
    return state.catalog.basis.some((option) => option.requires_test && codes.includes(option.code));
  }
  function chosenTests() {
    return Array.from($("tests-list").querySelectorAll("input:checked")).map((i) => parseInt(i.value, 10));
  }
  function testText(test) {
    const en = document.documentElement.lang === "en";
    const parts = [test.tested_at, en ? test.method_en : test.method_zh];
    if (test.target) parts.push(test.target);
    if (test.inhibition_rate !== null) parts.push(messages.inhibition + " " + test.inhibition_rate + "%");
    parts.push(en ? test.result_en : test.result_zh);
    return parts.join(" · ");
  }
  async function showTests() {
    // a class, not CSS :has(), so kiosks on browsers older than Chromium 105 get two columns
    $("screen-confirm").classList.toggle("with-tests", needsTest());
    if (!needsTest()) { $("tests").hidden = true; return; }
    $("tests").hidden = false;
    if (state.tests === null) {
      const product = state.product;
      let tests = [];
      try {
        tests = (await api("GET", "/kiosk/api/tests?product_id=" + product.id)).tests;
      } catch (err) {
        banner(err.message);
      }
      if (state.product !== product) return;
      state.tests = tests;
      const list = $("tests-list");
      list.innerHTML = "";
      tests.forEach((test, index) => {
        const label = document.createElement("label");
        label.className = "check";
        label.innerHTML = '<input type="checkbox"><span></span>';
        label.querySelector("input").value = test.id;
        label.querySelector("input").checked = index === 0;  // the newest: usually this morning's
        label.querySelector("span").textContent = testText(test);
        list.appendChild(label);
      });
    }
    $("tests-none").hidden = state.tests.length > 0;
  }
  document.querySelectorAll("[data-step]").forEach((button) => button.addEventListener("click", () => {
    state.items = Math.min(maxLabels, Math.max(1, state.items + parseInt(button.dataset.step, 10)));
    $("items").textContent = state.items;
  }));

  $("confirm-go").addEventListener("click", async () => {
    const basis = chosenBasis();
    if (!basis.length) { banner(messages.need_basis); return; }
    const tests = needsTest() ? chosenTests() : [];
    if (needsTest() && !tests.length) {
      // Sure to be refused (test_required): say what to do here instead of asking the server.
      banner(state.tests === null || state.tests.length ? messages.need_test : messages.no_tests);
      return;
    }
    banner("");
    $("confirm-go").disabled = true;
    try {
      const payload = {
        mode: mode, product_id: state.product.id, quantity: $("quantity").value, unit: state.product.unit,
        basis: basis, items: state.items, tests: tests,
      };
      const answer = await api("POST", "/kiosk/api/issue", payload, { "Idempotency-Key": issueKey(payload) });
      state.issue = null;  // issued: the next confirmation is a new issue
      $("done-number").textContent = messages.number + answer.certificate.number;
      if (mode === "phone") { showPhoneResult(answer); return; }
      state.job = answer.job.id;
      state.printStarted = Date.now();
      $("printing-title").textContent = messages.printing;
      $("printing-detail").textContent = "";
      $("printing-done").hidden = true;
      show("printing");
      state.poll = setInterval(pollJob, 800);
    } catch (err) {
      banner(err.message);
      // A refusal about the tests (one just used at another kiosk, say): the list on screen
      // is stale, so offer again what may still be linked, under the refusal's words.
      if (err.code && err.code.startsWith("test_")) { state.tests = null; showTests(); }
    } finally {
      $("confirm-go").disabled = false;
    }
  });

  function showPhoneResult(answer) {
    $("done-title").textContent = messages.issued;
    $("phone-result").hidden = false;
    $("label-image").src = answer.label_url;
    $("dl-png").href = answer.label_url;
    $("dl-pdf").href = answer.labels_pdf_url;
    $("dl-cpcl").href = answer.label_url.replace("label.png", "printer-bytes?driver=cpcl");
    $("dl-tspl").href = answer.label_url.replace("label.png", "printer-bytes?driver=tspl");
    show("done");
  }

  // The printing screen always ends somewhere the producer can leave: printed, a failure
  // that says what to do, or (the printer or this kiosk's agent not answering) a plain word
  // that the certificate is saved and can be reprinted. The button then takes them back.
  function printingStuck(title) {
    $("printing-title").textContent = title;
    $("printing-detail").textContent = $("done-number").textContent;
    $("printing-done").hidden = false;
  }
  async function pollJob() {
    const waited = (Date.now() - state.printStarted) / 1000 >= printWait;
    let job;
    try {
      job = await api("GET", "/kiosk/api/jobs/" + state.job);
      banner("");
    } catch (err) {
      banner(err.message);
      if (waited) printingStuck(messages.no_answer);
      return;
    }
    if (job.state === "printed") {
      clearInterval(state.poll);
      $("done-title").textContent = messages.printed;
      show("done");
      setTimeout(() => { if (state.screen === "done") restart(); }, 15000);
    } else if (job.state === "failed" || job.state === "uncertain" || job.state === "cancelled") {
      clearInterval(state.poll);
      printingStuck(job.state === "uncertain" ? messages.failed : messages.failed_nothing);
    } else if (job.waiting_reasons && job.waiting_reasons.length) {
      const reason = job.waiting_reasons[0];
      $("printing-title").textContent = messages[reason] || (messages.waiting + reason);
      if (waited) $("printing-done").hidden = false;  // paper comes; the labels print by themselves
    } else if (!job.agent_online) {
      printingStuck(messages.agent_offline);  // keeps polling: it prints if the agent comes back
    } else if (waited && job.state === "queued") {
      printingStuck(messages.no_answer);  // the agent is heard from but does not take the job
    } else {
      $("printing-title").textContent = messages.printing;  // claimed: a long run takes a while
      if (waited) $("printing-done").hidden = false;
    }
  }

  // --- navigation ---------------------------------------------------------------------
  document.querySelectorAll("[data-action]").forEach((button) => button.addEventListener("click", () => {
    const action = button.dataset.action;
    if (action === "back") show(button.dataset.to);
    if (action === "restart" || action === "signout") restart(action === "signout");
  }));

  touch();
  show("start");
  if (webProducer) enter(webProducer).catch((err) => banner(err.message));
})();
