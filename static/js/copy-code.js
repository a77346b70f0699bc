// Copy buttons on code blocks: progressive enhancement. Without JavaScript (or without the
// Clipboard API) the code stays plain, selectable text and no button is shown.
(function () {
  "use strict";
  if (!navigator.clipboard) return;
  document.querySelectorAll(".prose pre").forEach(function (pre) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "copy-button";
    button.textContent = "Copy";
    button.setAttribute("aria-label", "Copy this code");
    var status = document.createElement("span");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    button.addEventListener("click", function () {
      var code = pre.querySelector("code") || pre;
      navigator.clipboard.writeText(code.innerText).then(
        function () { button.textContent = "Copied"; status.textContent = "Code copied"; },
        function () { button.textContent = "Copy failed"; status.textContent = "Could not copy"; }
      );
      setTimeout(function () { button.textContent = "Copy"; status.textContent = ""; }, 2000);
    });
    var wrap = document.createElement("div");
    wrap.className = "code-wrap";
    pre.parentNode.insertBefore(wrap, pre);
    wrap.appendChild(button);
    wrap.appendChild(pre);
    wrap.appendChild(status);
  });
})();
