// The crisis prompt below the safety item (templates/_crisis_prompt.html): choosing an answer
// marked data-crisis-prompt="show" puts the help into the polite live region below the item;
// one marked "hide" empties it. Focus is never moved, and nothing is sent anywhere.
(function () {
  var region = document.getElementById("crisis-prompt");
  var content = document.getElementById("crisis-prompt-content");
  var options = document.querySelectorAll("input[data-crisis-prompt]");
  if (!region || !content || !options.length) {
    return;
  }
  function update() {
    var chosen = document.querySelector("input[data-crisis-prompt]:checked");
    var show = chosen !== null && chosen.getAttribute("data-crisis-prompt") === "show";
    if (show && !region.hasChildNodes()) {
      region.appendChild(content.content.cloneNode(true));
    } else if (!show && region.hasChildNodes()) {
      region.replaceChildren();
    }
  }
  options.forEach(function (option) {
    option.addEventListener("change", update);
  });
  update();
})();
