/* Staff forms are posted once. A second click, or Enter, while the first submission is on
   its way would record the same rapid test, production record or case step twice (a
   failed test twice: two cases). Forms that only read (method get: filters) are free, and
   so is a form whose own script stopped the submission. */
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    const form = event.target;
    if (event.defaultPrevented || (form.getAttribute("method") || "get").toLowerCase() !== "post") return;
    if (form.dataset.sending) { event.preventDefault(); return; }
    form.dataset.sending = "1";
    // an answer that is a download leaves this page in place: usable again after a while
    setTimeout(function () { delete form.dataset.sending; }, 8000);
  });
  // a page shown again from the back/forward cache is a fresh form
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[data-sending]").forEach(function (form) { delete form.dataset.sending; });
  });
})();
