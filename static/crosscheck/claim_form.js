// Progressive enhancement of the claim form: show N and M only for the
// phrasings that use them. Without this script every input stays visible
// and the server fills and checks the interval all the same.
(function () {
  "use strict";
  var USES_N = ["at_least", "exactly", "between", "at_most"];

  function wrapper(id) {
    var input = document.getElementById(id);
    return input ? input.closest(".edit-field") : null;
  }

  function update() {
    var phrase = document.getElementById("id_quantity");
    var n = wrapper("id_quantity_n");
    var m = wrapper("id_quantity_m");
    if (!phrase || !n || !m) return;
    // A field with an error stays visible, whatever the phrasing.
    n.hidden = USES_N.indexOf(phrase.value) === -1 && !n.classList.contains("edit-field-invalid");
    m.hidden = phrase.value !== "between" && !m.classList.contains("edit-field-invalid");
  }

  document.addEventListener("DOMContentLoaded", function () {
    var phrase = document.getElementById("id_quantity");
    if (!phrase) return;
    phrase.addEventListener("change", update);
    update();
  });
})();
