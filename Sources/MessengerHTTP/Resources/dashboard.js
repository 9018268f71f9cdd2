// The dashboard's only script: actions through the JSON API (with the session's CSRF token), and a
// refresh of the page's main part every few seconds while nobody is typing in it or selecting rows.
(() => {
  const body = document.body;
  const csrf = body.dataset.csrf || "";
  const base = body.dataset.base || "";
  const notice = document.getElementById("notice");

  function say(text, isError) {
    if (!notice) return;
    notice.textContent = text;
    notice.className = isError ? "notice error" : "notice";
  }

  function toLogin() {
    location.href = base + "/login?next=" + encodeURIComponent(location.pathname + location.search);
  }

  function summary(data) {
    if (data && typeof data.matched === "number") {
      return ` (${data.matched} matched, ${data.done} done, ${data.pending} stopping, ${data.failed_again} failed again, ${data.skipped} skipped)`;
    }
    return data && data.status ? ` (${data.status})` : "";
  }

  document.addEventListener("click", async (event) => {
    const button = event.target.closest("button[data-action]");
    if (!button) return;
    event.preventDefault();
    if (button.dataset.confirm && !window.confirm(button.dataset.confirm)) return;
    const method = button.dataset.method || "POST";
    let url = button.dataset.action;
    let payload;
    if (button.dataset.bulk) {
      const selected = [...document.querySelectorAll("input[name=select]:checked")].map((input) => input.value);
      if (method === "DELETE") {
        if (selected.length) url = url.split("?")[0] + "?ids=" + encodeURIComponent(selected.join(","));
      } else {
        payload = JSON.stringify(selected.length ? { ids: selected } : JSON.parse(button.dataset.bulk));
      }
    }
    button.disabled = true;
    try {
      const response = await fetch(url, {
        method,
        credentials: "same-origin",
        headers: { "X-CSRF-Token": csrf, "X-Requested-With": "fetch", "Content-Type": "application/json" },
        body: payload,
      });
      if (response.status === 401) return toLogin();
      let data = {};
      try { data = await response.json(); } catch (_) { data = {}; }
      say(response.ok ? (button.dataset.done || "Done") + summary(data) : (data.error || `Refused: HTTP ${response.status}`), !response.ok);
    } catch (error) {
      say(`The server cannot be reached: ${error}`, true);
    } finally {
      button.disabled = false;
    }
    refresh(true);
  });

  async function refresh(force) {
    const main = document.getElementById("main");
    if (!main) return;
    const busy = (main.contains(document.activeElement) && document.activeElement !== main && !force)
      || (!force && document.querySelector("input[name=select]:checked"));
    if (busy) return;
    try {
      const response = await fetch(location.href, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } });
      if (response.status === 401 || (response.redirected && new URL(response.url).pathname.endsWith("/login"))) return toLogin();
      if (!response.ok) return;
      const fresh = new DOMParser().parseFromString(await response.text(), "text/html").getElementById("main");
      if (fresh) main.innerHTML = fresh.innerHTML;
    } catch (_) {
      // The next refresh tries again.
    }
  }

  const seconds = Number(body.dataset.refresh || 0);
  if (seconds > 0) setInterval(() => { if (!document.hidden) refresh(false); }, seconds * 1000);
})();
