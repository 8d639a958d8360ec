// A "Print" button (data-print) opens the browser's print dialog; the print CSS in app.css
// hides the menu and the controls. An external file: the CSP allows no inline script.
document.querySelectorAll("[data-print]").forEach(function (button) {
  button.addEventListener("click", function () { window.print(); });
});
