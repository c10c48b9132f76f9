// Draft form: choosing a 士業 qualification suggests its registration number as the agent's
// identifier, and the title becomes optional. Without JavaScript the server checks both (progressive).
(function () {
  "use strict";
  var qualification = document.getElementById("id_agent_qualification");
  var kind = document.getElementById("id_agent_identifier_kind");
  var title = document.getElementById("id_agent_title");
  if (!qualification || !kind || !title) {
    return;
  }
  var registration = kind.querySelector('option[value="qualification_registration_number"]');
  function update() {
    var qualified = qualification.value !== "";
    if (registration) {
      registration.disabled = !qualified;
    }
    if (qualified && kind.value === "employee_number") {
      kind.value = "qualification_registration_number";
    } else if (!qualified && kind.value === "qualification_registration_number") {
      kind.value = "employee_number";
    }
    title.required = !qualified;
  }
  qualification.addEventListener("change", update);
  update();
})();
