// Progressive enhancement only: every page works without this file.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const text = button.getAttribute("data-copy");
  navigator.clipboard.writeText(text).then(() => {
    const done = button.getAttribute("data-copied");
    if (done) {
      const before = button.textContent;
      button.textContent = done;
      setTimeout(() => { button.textContent = before; }, 1500);
    }
  });
});
// The language selector submits itself when changed; its button remains for no-JS use.
document.addEventListener("change", (event) => {
  if (event.target.matches("select[data-autosubmit]")) event.target.form.submit();
});
// Line ranges in file views: #L10-L20 marks lines 10 to 20; shift-click extends.
(() => {
  const mark = () => {
    document.querySelectorAll("tr.selected").forEach((r) => r.classList.remove("selected"));
    const m = location.hash.match(/^#L(\d+)(?:-L(\d+))?$/);
    if (!m) return;
    const a = Number(m[1]);
    const b = Number(m[2] || m[1]);
    for (let i = Math.min(a, b); i <= Math.max(a, b); i++) {
      const row = document.getElementById("L" + i);
      if (row) row.classList.add("selected");
    }
  };
  let anchor = null;
  document.addEventListener("click", (event) => {
    const link = event.target.closest("a[data-line]");
    if (!link) return;
    const line = Number(link.getAttribute("data-line"));
    if (event.shiftKey && anchor !== null) {
      event.preventDefault();
      history.replaceState(null, "", `#L${Math.min(anchor, line)}-L${Math.max(anchor, line)}`);
      mark();
    } else {
      anchor = line;
    }
  });
  window.addEventListener("hashchange", mark);
  document.addEventListener("DOMContentLoaded", mark);
})();
// Pull-request files: a "+" beside a line opens the comment form under it; shift-click
// another line's "+" of the same file and side to comment on the range between them.
(() => {
  const KEY = "hatchery-comment-line";
  document.addEventListener("click", (event) => {
    const link = event.target.closest("a.line-comment");
    if (!link) return;
    const url = new URL(link.href, location.href);
    const where = `${location.pathname}|${url.searchParams.get("path")}|${url.searchParams.get("side")}`;
    const line = Number(url.searchParams.get("line"));
    let first = null;
    try { first = JSON.parse(sessionStorage.getItem(KEY) || "null"); } catch (_) { first = null; }
    if (event.shiftKey && first && first.where === where && first.line !== line) {
      event.preventDefault();
      const end = Math.max(first.line, line);
      url.searchParams.set("line", String(end));
      url.searchParams.set("start_line", String(Math.min(first.line, line)));
      url.hash = url.hash.replace(/\d+$/, String(end));
      location.href = url.toString();
      return;
    }
    sessionStorage.setItem(KEY, JSON.stringify({ where, line }));
  });
})();
// Security keys and passkeys (WebAuthn): adding one on the two-factor settings page, and the
// second step of signing in. The server sends the options as JSON with binary fields in
// base64url and takes the browser's answer the same way; the page's CSRF token goes along
// in the X-CSRF-Token header. Without WebAuthn the forms stay hidden and a note says why.
(() => {
  if (!(window.PublicKeyCredential && navigator.credentials)) return;
  document.querySelectorAll("[data-webauthn-register], [data-webauthn-sign-in]").forEach((el) => { el.hidden = false; });
  document.querySelectorAll("[data-webauthn-missing]").forEach((el) => { el.hidden = true; });
  const toBytes = (s) => {
    const b64 = s.replace(/-/g, "+").replace(/_/g, "/");
    const bin = atob(b64 + "===".slice((b64.length + 3) % 4));
    return Uint8Array.from(bin, (c) => c.charCodeAt(0)).buffer;
  };
  const toText = (buf) => {
    let bin = "";
    new Uint8Array(buf).forEach((b) => { bin += String.fromCharCode(b); });
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  };
  // Absent rather than null: WebIDL refuses null for optional members.
  const withoutNulls = (o) => JSON.parse(JSON.stringify(o), (_, v) => (v === null ? undefined : v));
  const post = async (box, url, body) => {
    const token = box.querySelector("input[name=_csrf]").value;
    const res = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "content-type": "application/json", "x-csrf-token": token },
      body: JSON.stringify(body),
    });
    let data = {};
    try { data = await res.json(); } catch (_) { data = {}; }
    if (!res.ok) throw new Error(data.error || String(res.status));
    return data;
  };
  const answer = (cred) => {
    const r = cred.response;
    const response = { clientDataJSON: toText(r.clientDataJSON) };
    if (r.attestationObject) response.attestationObject = toText(r.attestationObject);
    if (r.authenticatorData) {
      response.authenticatorData = toText(r.authenticatorData);
      response.signature = toText(r.signature);
      if (r.userHandle) response.userHandle = toText(r.userHandle);
    }
    return { id: cred.id, rawId: toText(cred.rawId), type: cred.type, response, extensions: {} };
  };
  const run = async (box, start, body, ceremony) => {
    const error = box.querySelector("[data-webauthn-error]");
    error.hidden = true;
    let options;
    try {
      options = withoutNulls(await post(box, start, body)).publicKey;
    } catch (e) {
      error.textContent = e.message;
      error.hidden = false;
      return;
    }
    options.challenge = toBytes(options.challenge);
    let cred;
    try {
      cred = await ceremony(options);
    } catch (_) {
      error.textContent = box.getAttribute("data-webauthn-failed");
      error.hidden = false;
      return;
    }
    try {
      const done = await post(box, box.getAttribute("data-webauthn-finish"), answer(cred));
      location.href = done.redirect;
    } catch (e) {
      error.textContent = e.message;
      error.hidden = false;
    }
  };
  document.addEventListener("submit", (event) => {
    const box = event.target.closest("[data-webauthn-register]");
    if (!box) return;
    event.preventDefault();
    const name = box.querySelector("input[name=name]").value;
    run(box, box.getAttribute("data-webauthn-register"), { name }, (options) => {
      options.user.id = toBytes(options.user.id);
      (options.excludeCredentials || []).forEach((c) => { c.id = toBytes(c.id); });
      return navigator.credentials.create({ publicKey: options });
    });
  });
  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-webauthn-sign-in] button");
    if (!button) return;
    const box = button.closest("[data-webauthn-sign-in]");
    run(box, box.getAttribute("data-webauthn-sign-in"), {}, (options) => {
      (options.allowCredentials || []).forEach((c) => { c.id = toBytes(c.id); });
      return navigator.credentials.get({ publicKey: options });
    });
  });
})();

// A page showing work in progress (an import) reloads itself until the work is done.
document.addEventListener("DOMContentLoaded", () => {
  const el = document.querySelector("[data-reload-after]");
  if (!el) return;
  const ms = Number(el.getAttribute("data-reload-after"));
  if (ms > 0) setTimeout(() => location.reload(), ms);
});
