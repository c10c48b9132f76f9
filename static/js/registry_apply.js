// Application form: show the corporate number only for corporations and the date of birth only for
// sole proprietors. Without JavaScript both stay visible and the server checks them (progressive).
(function () {
  "use strict";
  var radios = document.querySelectorAll('input[name="kind"]');
  var number = document.getElementById("id_corporate_number");
  var birth = document.getElementById("id_representative_birth_date");
  if (!radios.length || !number || !birth) {
    return;
  }
  function group(input) {
    return input.closest("div") || input.parentElement;
  }
  function update() {
    var checked = document.querySelector('input[name="kind"]:checked');
    var kind = checked ? checked.value : "";
    group(number).hidden = kind === "sole_proprietor";
    group(birth).hidden = kind === "corporation";
  }
  radios.forEach(function (radio) {
    radio.addEventListener("change", update);
  });
  update();
})();
