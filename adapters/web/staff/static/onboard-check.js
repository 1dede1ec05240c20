/* Nieuw huishouden: each field checked as it is typed or left, by our own server
   (POST data-check: field, value, csrf -> {"field", "error"}), with the same checks and
   the same Dutch words as on submit; the error stands next to the field as the server's
   do (span#NAME-fout, aria-describedby, aria-invalid), announced politely. No rules here:
   without this script the form is checked on submit, as always. */
(function () {
  "use strict";
  var form = document.querySelector("form[data-check]");
  if (!form || !window.fetch) { return; }
  var token = form.querySelector("input[name=csrf]").value;
  var asked = {};

  function spot(field) {  // the field's error text, made (empty) when the server gave none
    var id = field.id + "-fout";
    var span = document.getElementById(id);
    if (!span) {
      span = document.createElement("span");
      span.id = id;
      span.className = "field-error";
      field.parentNode.insertBefore(span, field);
    }
    span.setAttribute("aria-live", "polite");
    return span;
  }

  function show(field, error) {
    var span = spot(field);
    span.textContent = error || "";
    if (error) {
      field.setAttribute("aria-invalid", "true");
      field.setAttribute("aria-describedby", span.id);
    } else {
      field.removeAttribute("aria-invalid");
      field.removeAttribute("aria-describedby");
    }
  }

  function check(field) {
    var n = (asked[field.name] || 0) + 1;
    asked[field.name] = n;
    var body = new URLSearchParams({field: field.name, value: field.value, csrf: token});
    fetch(form.getAttribute("data-check"), {method: "POST", body: body, credentials: "same-origin"})
      .then(function (answer) { return answer.ok ? answer.json() : null; })
      .then(function (result) {
        if (result && asked[field.name] === n) { show(field, result.error); }
      })
      .catch(function () { /* the submit checks it anyway */ });
  }

  var fields = form.querySelectorAll("input[id]:not([type=hidden]), select[id]");
  Array.prototype.forEach.call(fields, function (field) {
    spot(field);
    field.addEventListener("change", function () { check(field); });
    field.addEventListener("blur", function () { check(field); });
    field.addEventListener("input", function () {  // while typing: only to see an error go
      if (field.getAttribute("aria-invalid") === "true") { check(field); }
    });
  });
}());
