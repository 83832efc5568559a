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
