// The check form: show the server field for "one server", the agency and level for a group.
// Without script every field stays shown (the server ignores those of the other scope).
(function () {
  var scope = document.getElementById("scope");
  if (!scope) { return; }
  function show() {
    document.querySelectorAll("[data-scope]").forEach(function (part) {
      part.hidden = part.getAttribute("data-scope") !== scope.value;
    });
  }
  scope.addEventListener("change", show);
  show();
})();
