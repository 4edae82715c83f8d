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
