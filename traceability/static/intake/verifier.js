/* Offline verifier for TRC1 item codes (docs/code-format.md), the same rules as
 * traceability/codes: parse (§7) → key known → Ed25519 signature → key compromise →
 * pre-printed roll not activated → revocation → genuine (§11). Keys and the revocation
 * list come from the cached /.well-known/jwks.json and /.well-known/revocations.jws (whose
 * signature is checked, and whose entries are checked as strictly as the Python reader's:
 * a malformed entry makes the whole list invalid, §10). */
(function (global) {
  "use strict";
  const B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  const MAX_SCAN = 512;
  const enc = new TextEncoder();

  function b32encode(bytes) {
    let out = "", bits = 0, value = 0;
    for (const b of bytes) {
      value = (value << 8) | b; bits += 8;
      while (bits >= 5) { out += B32[(value >>> (bits - 5)) & 31]; bits -= 5; }
    }
    if (bits > 0) out += B32[(value << (5 - bits)) & 31];
    return out;
  }
  function b32decode(text) {
    if (!/^[A-Z2-7]*$/.test(text) || [1, 3, 6].includes(text.length % 8)) return null;
    const out = []; let bits = 0, value = 0;
    for (const c of text) {
      value = ((value << 5) | B32.indexOf(c)) & 0xffff; bits += 5;
      if (bits >= 8) { out.push((value >>> (bits - 8)) & 255); bits -= 8; }
    }
    const bytes = new Uint8Array(out);
    return b32encode(bytes) === text ? bytes : null; // canonical: pad bits zero
  }
  function b64urlEncode(bytes) {
    let s = ""; for (const b of bytes) s += String.fromCharCode(b);
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function b64urlDecode(text) {
    if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) return null;
    let s;
    try { s = atob(text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4)); }
    catch (e) { return null; }
    const bytes = Uint8Array.from(s, (c) => c.charCodeAt(0));
    return b64urlEncode(bytes) === text ? bytes : null;
  }

  class ScanError extends Error { constructor(code) { super(code); this.code = code; } }

  const CODE_RE = /^([A-Z2-7]{10})([A-Z2-7]{16})\.([A-Z2-7]{4})\.([A-Z2-7]{103})$/;
  function parseCode(text) {
    const m = /^[\x00-\x7f]*$/.test(text) ? CODE_RE.exec(text.toUpperCase()) : null;
    if (!m) throw new ScanError("malformed");
    const sig = b32decode(m[4]);
    if (!sig) throw new ScanError("non_canonical");
    return { group: m[1], item: m[2], kid: m[3], signature: sig };
  }
  function gtinOk(digits) {
    if (!/^(\d{8}|\d{12}|\d{13}|\d{14})$/.test(digits)) return false;
    const d = digits.padStart(14, "0");
    let sum = 0;
    for (let i = 0; i < 13; i++) sum += Number(d[i]) * (i % 2 === 0 ? 3 : 1);
    return (10 - (sum % 10)) % 10 === Number(d[13]);
  }
  function parseScannedText(text, acceptedHosts) {
    if (text.length > MAX_SCAN) throw new ScanError("too_long");
    const s = text.replace(/^[\s]+|[\s]+$/g, "");
    if (!/^[\x21-\x7e]+$/.test(s)) throw new ScanError("malformed");
    if (!s.includes("/")) return { code: parseCode(s), form: "code", host: null };
    const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)([^?#]*)(\?[^#]*)?(#.*)?$/.exec(s);
    if (!m || !["http", "https"].includes(m[1].toLowerCase()) || m[5] !== undefined) throw new ScanError("malformed");
    const authority = m[2];
    if (!authority || authority.includes("@")) throw new ScanError("malformed");
    const hm = /^([^:]+)(?::(\d*))?$/.exec(authority);
    if (!hm) throw new ScanError("malformed");
    const host = hm[1].toLowerCase() + (hm[2] ? ":" + Number(hm[2]) : "");
    if (acceptedHosts && !acceptedHosts.includes(host)) throw new ScanError("wrong_host");
    const query = m[4] ? m[4].slice(1) : "";
    const seg = m[3].split("/");
    const n = seg.length;
    if (n >= 3 && (seg[n - 2] === "C" || seg[n - 2] === "c") && !query) {
      return { code: parseCode(seg[n - 1]), form: "url", host };
    }
    if (n >= 7 && seg[n - 6] === "01" && seg[n - 4] === "10" && seg[n - 2] === "21") {
      if (!gtinOk(seg[n - 5])) throw new ScanError("invalid_gtin");
      const values = query.split("&").filter((p) => p.split("=")[0] === "8030").map((p) => p.slice(5));
      if (values.length !== 1 || values[0].length !== 90) throw new ScanError("malformed");
      const group = seg[n - 3], item = seg[n - 1];
      let kid = values[0].slice(0, 4), sigText = values[0].slice(4);
      const letters = (group + item).replace(/[^A-Za-z]/g, "");
      if (letters && letters === letters.toLowerCase()) {
        sigText = [...sigText].map((c) => (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase())).join("");
      }
      const sig = b64urlDecode(sigText);
      if (!sig) throw new ScanError(/^[A-Za-z0-9_-]{86}$/.test(sigText) ? "non_canonical" : "malformed");
      const g = group.toUpperCase(), i = item.toUpperCase(), k = kid.toUpperCase();
      if (!/^[A-Z2-7]{10}$/.test(g) || !/^[A-Z2-7]{16}$/.test(i) || !/^[A-Z2-7]{4}$/.test(k) || sig.length !== 64) {
        throw new ScanError("malformed");
      }
      return { code: { group: g, item: i, kid: k, signature: sig }, form: "gs1", host };
    }
    throw new ScanError("malformed");
  }

  async function deriveKid(raw) {
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", raw));
    return b32encode(digest.slice(0, 3)).slice(0, 4);
  }

  /** JWK Set → {kid: [CryptoKey…]}; keys that break the rules of §8 are skipped. */
  async function loadKeyRing(jwks) {
    const ring = {};
    for (const jwk of (jwks && jwks.keys) || []) {
      if (jwk.kty !== "OKP" || jwk.crv !== "Ed25519" || "d" in jwk) continue;
      if ((jwk.use && jwk.use !== "sig") || (jwk.alg && jwk.alg !== "EdDSA")) continue;
      const raw = b64urlDecode(jwk.x || "");
      if (!raw || raw.length !== 32 || (await deriveKid(raw)) !== jwk.kid) continue;
      const key = await crypto.subtle.importKey("raw", raw, { name: "Ed25519" }, false, ["verify"]);
      (ring[jwk.kid] = ring[jwk.kid] || []).push(key);
    }
    return ring;
  }
  async function anyVerifies(keys, signature, message) {
    for (const key of keys || []) {
      if (await crypto.subtle.verify({ name: "Ed25519" }, key, signature, message)) return true;
    }
    return false;
  }

  /** Verify the compact JWS of the revocation list; returns its payload or throws. */
  async function verifyRevocationJws(jws, ring) {
    const parts = String(jws).trim().split(".");
    if (parts.length !== 3) throw new Error("malformed_jws");
    const headerBytes = b64urlDecode(parts[0]), payloadBytes = b64urlDecode(parts[1]), sig = b64urlDecode(parts[2]);
    if (!headerBytes || !payloadBytes || !sig) throw new Error("malformed_jws");
    const header = JSON.parse(new TextDecoder().decode(headerBytes));
    if (header.alg !== "EdDSA" || "crit" in header || typeof header.kid !== "string") throw new Error("malformed_jws");
    if (header.typ !== "trc-revocations+jwt") throw new Error("wrong_type");
    if (!(await anyVerifies(ring[header.kid], sig, enc.encode(parts[0] + "." + parts[1])))) throw new Error("bad_signature");
    return checkRevocationList(JSON.parse(new TextDecoder().decode(payloadBytes)));
  }

  // --- the list's payload, checked like traceability/codes/revocation.py from_payload ---
  const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})$/;
  function malformed(what) { throw new Error("malformed_list: " + what); }
  function when(entry, name) {
    const v = entry[name];
    if (typeof v !== "string" || !ISO_WITH_ZONE.test(v) || Number.isNaN(Date.parse(v.replace(" ", "T")))) malformed(name);
    return v;
  }
  function b32Field(value, length, name) {
    if (typeof value !== "string" || value.length !== length || !/^[A-Z2-7]*$/.test(value)) malformed(name);
    return value;
  }
  function entries(list, name) {
    const v = list[name] === undefined ? [] : list[name];
    if (!Array.isArray(v) || !v.every((e) => e !== null && typeof e === "object" && !Array.isArray(e))) malformed(name);
    return v;
  }
  function listOf(entry, name) {
    const v = entry[name] === undefined ? [] : entry[name];
    if (!Array.isArray(v)) malformed(name);
    return v;
  }
  function text(entry, name) {
    const v = entry[name] === undefined ? "" : entry[name];
    if (typeof v !== "string") malformed(name);
    return v;
  }
  /** The verified payload as a list with lookup tables; throws on any malformed field. */
  function checkRevocationList(list) {
    if (list === null || typeof list !== "object") malformed("payload");
    if (!Number.isInteger(list.version) || list.version < 0) malformed("version");
    when(list, "issued_at");
    const groups = new Map(), items = new Map(), compromised = new Map(), pending = new Map();
    for (const e of entries(list, "revoked_groups")) {
      groups.set(b32Field(e.g, 10, "g"), { reason: text(e, "reason"), at: when(e, "at") });
    }
    for (const e of entries(list, "revoked_items")) {
      items.set(b32Field(e.s, 26, "s"), { reason: text(e, "reason"), at: when(e, "at") });
    }
    for (const e of entries(list, "compromised_keys")) {
      const valid = new Set(listOf(e, "valid_groups").map((g) => b32Field(g, 10, "valid_groups")));
      compromised.set(b32Field(e.kid, 4, "kid"), { since: when(e, "since"), valid });
    }
    for (const e of entries(list, "retired_keys")) { b32Field(e.kid, 4, "kid"); when(e, "since"); } // informational
    for (const e of entries(list, "pending_groups")) {
      pending.set(b32Field(e.g, 10, "g"), new Set(listOf(e, "activated").map((i) => b32Field(i, 16, "activated"))));
    }
    Object.defineProperty(list, "index", { value: { groups, items, compromised, pending }, enumerable: false });
    return list;
  }

  /** The verdict for scanned text: {status, reason, serial, kid, group}. */
  async function verify(text, ring, list, acceptedHosts) {
    let parsed;
    try { parsed = parseScannedText(text, acceptedHosts); }
    catch (e) { if (e instanceof ScanError) return { status: "malformed", reason: e.code }; throw e; }
    const c = parsed.code;
    const base = { serial: c.group + c.item, kid: c.kid, group: c.group, form: parsed.form };
    if (!ring[c.kid]) return { ...base, status: "unknown_key", reason: "unknown_key" };
    const message = enc.encode("TRC1." + c.group + c.item + "." + c.kid);
    if (!(await anyVerifies(ring[c.kid], c.signature, message))) return { ...base, status: "not_genuine", reason: "bad_signature" };
    if (list) {
      const index = list.index || checkRevocationList(list).index;
      const compromised = index.compromised.get(c.kid);
      if (compromised && !compromised.valid.has(c.group)) {
        return { ...base, status: "key_compromised", reason: "key_compromised", at: compromised.since };
      }
      const activated = index.pending.get(c.group);
      if (activated && !activated.has(c.item)) return { ...base, status: "not_activated", reason: "not_activated" };
      const hit = index.items.get(base.serial) || index.groups.get(c.group);
      if (hit) return { ...base, status: "revoked", reason: hit.reason, at: hit.at };
    }
    return { ...base, status: "genuine", reason: null };
  }

  global.TRCVerifier = { parseScannedText, loadKeyRing, verifyRevocationJws, checkRevocationList, verify, b32decode, b32encode, b64urlDecode };
})(window);
