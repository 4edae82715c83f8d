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
