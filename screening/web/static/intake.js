// Progressive enhancement of the intake field: a scanner ends each code with Enter, which here
// starts a new line instead of sending the form, so several codes can be scanned one after
// another; Enter on an empty line, or the button, sends them. A live line says how many codes
// are in the list. Without this script the textarea works as it is.
(function () {
  var field = document.getElementById("code");
  var count = document.getElementById("code-count");
  var form = document.getElementById("intake-form");
  if (!field || !count || !form) {
    return;
  }
  var template = count.getAttribute("data-template") || "%(count)s";
  function codes() {
    return field.value.split(/\n/).filter(function (line) {
      return line.trim() !== "";
    }).length;
  }
  function show() {
    var n = codes();
    count.hidden = n === 0;
    count.textContent = template.replace("%(count)s", String(n));
  }
  field.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || event.shiftKey) {
      return;
    }
    var before = field.value.slice(0, field.selectionStart);
    var line = before.slice(before.lastIndexOf("\n") + 1);
    if (line.trim() === "") {
      event.preventDefault();
      form.requestSubmit ? form.requestSubmit() : form.submit();
    }
  });
  field.addEventListener("input", show);
  show();
})();
