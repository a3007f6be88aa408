// The staff entry page (/intake/entry): in an item's radio group, the keys 0 to 3 choose its
// first to fourth option in the printed order and move focus to the next item (after the last,
// to the button), so a paper form is entered with one key an answer. Without this script the
// radios and the button work as they are.
(function () {
  "use strict";
  var items = document.querySelector("[data-entry-items]");
  if (!items) {
    return;
  }
  var groups = Array.prototype.slice.call(items.querySelectorAll("fieldset"));

  function focusGroup(group) {
    var target = group.querySelector('input[type="radio"]:checked') ||
      group.querySelector('input[type="radio"]');
    target.focus();
  }

  items.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey || event.key.length !== 1) {
      return;
    }
    var position = "0123".indexOf(event.key);
    var group = event.target.closest("fieldset");
    var index = groups.indexOf(group);
    if (position < 0 || index < 0) {
      return;
    }
    var radios = group.querySelectorAll('input[type="radio"]');
    if (position >= radios.length) {
      return;
    }
    event.preventDefault();
    radios[position].checked = true;
    radios[position].dispatchEvent(new Event("change", { bubbles: true }));
    if (index + 1 < groups.length) {
      focusGroup(groups[index + 1]);
    } else {
      document.getElementById("send").focus();
    }
  });
}());
