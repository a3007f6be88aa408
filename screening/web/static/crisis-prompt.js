// The crisis prompt below the safety item (templates/_crisis_prompt.html): choosing an answer
// marked data-crisis-prompt="show" puts the help into the polite live region below the item;
// one marked "hide" empties it. After a pregnancy loss or a baby's death (that choice in the
// question before the items) the help is the version that does not speak of "your baby", and it
// is swapped if that choice changes while the help is shown. Focus is never moved, and nothing
// is sent anywhere.
(function () {
  var region = document.getElementById("crisis-prompt");
  var content = document.getElementById("crisis-prompt-content");
  var afterLoss = document.getElementById("crisis-prompt-content-loss");
  var options = document.querySelectorAll("input[data-crisis-prompt]");
  if (!region || !content || !afterLoss || !options.length) {
    return;
  }
  var contextField = region.getAttribute("data-context-field");
  var lossChoice = region.getAttribute("data-loss-choice");
  var contexts = document.querySelectorAll('input[name="' + contextField + '"]');
  var shown = null;
  function update() {
    var chosen = document.querySelector("input[data-crisis-prompt]:checked");
    var show = chosen !== null && chosen.getAttribute("data-crisis-prompt") === "show";
    var context = document.querySelector('input[name="' + contextField + '"]:checked');
    var wanted = context !== null && context.value === lossChoice ? afterLoss : content;
    if (show && shown !== wanted) {
      region.replaceChildren(wanted.content.cloneNode(true));
      shown = wanted;
    } else if (!show && shown !== null) {
      region.replaceChildren();
      shown = null;
    }
  }
  options.forEach(function (option) {
    option.addEventListener("change", update);
  });
  contexts.forEach(function (option) {
    option.addEventListener("change", update);
  });
  update();
})();
