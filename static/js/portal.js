// The portal's few behaviours. Every page works without them; they make it calmer with JavaScript on.

// Copy buttons: <button data-copy-target="input-id">. Without JavaScript the value stays selectable text.
document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-copy-target]");
  if (!button) return;
  const input = document.getElementById(button.dataset.copyTarget);
  const status = button.closest("article, section, div")?.parentElement?.querySelector("[data-copy-status]");
  input.select();
  try {
    await navigator.clipboard.writeText(input.value);
    button.textContent = "Copied";
    if (status) status.textContent = "Copied to the clipboard.";
  } catch {
    if (status) status.textContent = "Select the text and copy it with your keyboard.";
  }
});

// A busy button: disabled (a second click sends nothing) and showing Pico's spinner (aria-busy).
function setBusy(form, submitter, busy) {
  const buttons = form.querySelectorAll("button[type=submit], button:not([type]), input[type=submit]");
  buttons.forEach((button) => { button.disabled = busy; });
  const shown = submitter || buttons[0];
  if (shown) {
    if (busy) shown.setAttribute("aria-busy", "true");
    else shown.removeAttribute("aria-busy");
  }
}

// Plain forms (POST and navigation): one submission only. The buttons are disabled after the browser
// has read the form, so the clicked button's name and value still go with it.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (event.defaultPrevented || form.hasAttribute("hx-post") || form.hasAttribute("hx-get")) return;
  if (form.dataset.submitting) {
    event.preventDefault();
    return;
  }
  form.dataset.submitting = "true";
  const submitter = event.submitter;
  setTimeout(() => setBusy(form, submitter, true), 0);
});

// Back/Forward from the bfcache shows the page as it was left: give the buttons back.
window.addEventListener("pageshow", () => {
  document.querySelectorAll("form[data-submitting]").forEach((form) => {
    delete form.dataset.submitting;
    setBusy(form, null, false);
  });
});

// htmx actions: the form's buttons are busy and the region being replaced is marked busy until the answer.
document.addEventListener("htmx:beforeRequest", (event) => {
  const form = event.detail.elt.closest("form");
  if (form && form.method === "post") setBusy(form, event.detail.requestConfig?.triggeringEvent?.submitter, true);
  event.detail.target?.setAttribute("aria-busy", "true");
});
document.addEventListener("htmx:afterRequest", (event) => {
  const form = event.detail.elt.closest("form");
  if (form && form.method === "post" && form.isConnected) setBusy(form, null, false);
  event.detail.target?.removeAttribute("aria-busy");
  // A confirmation dialog has done its job once its form was sent.
  event.detail.elt.closest("dialog[data-confirm-dialog]")?.remove();
});

// Confirmation dialogs sent by the server (portal/confirm.py) open as soon as they arrive.
function openConfirmDialogs(root) {
  root.querySelectorAll?.("dialog[data-confirm-dialog]:not([open])").forEach((dialog) => {
    dialog.showModal();
    dialog.addEventListener("close", () => dialog.remove());
  });
}
document.addEventListener("htmx:load", (event) => openConfirmDialogs(event.detail.elt.parentElement || document));
document.addEventListener("click", (event) => {
  const cancel = event.target.closest("[data-dialog-cancel]");
  if (cancel) {
    event.preventDefault();
    cancel.closest("dialog").close();
  }
});

// Filter forms kept in the URL (hx-push-url): after Back or Forward restores a page from htmx's history
// cache, the inputs show the filters of that URL, not whatever was typed last.
function syncFiltersFromUrl() {
  const params = new URLSearchParams(window.location.search);
  document.querySelectorAll("form[data-url-filters]").forEach((form) => {
    form.querySelectorAll("input[name], select[name]").forEach((field) => {
      if (field.type === "hidden") return;
      field.value = params.get(field.name) ?? "";
    });
  });
}
document.addEventListener("htmx:historyRestore", syncFiltersFromUrl);
window.addEventListener("popstate", () => setTimeout(syncFiltersFromUrl, 0));

// The staff navigation's count of apps waiting, updated after a decision (HX-Trigger: reviewCountChanged).
document.addEventListener("reviewCountChanged", (event) => {
  const link = document.querySelector("[data-review-count]");
  if (link && event.detail?.label) link.textContent = event.detail.label;
});
