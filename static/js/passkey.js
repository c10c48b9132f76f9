// Passkeys for staff: the browser's WebAuthn prompt, driven by the service's JSON endpoints
// (mynatrust/passkeys.py). The page's [data-passkey] element says which ceremony ("register" or
// "verify"), where its two steps are, and every message in the page's language.
(function () {
  "use strict";

  function toBytes(text) {
    var base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) {
      base64 += "=";
    }
    var binary = window.atob(base64);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i += 1) {
      bytes[i] = binary.charCodeAt(i);
    }
    return bytes.buffer;
  }

  function toText(buffer) {
    if (!buffer) {
      return null;
    }
    var bytes = new Uint8Array(buffer);
    var binary = "";
    for (var i = 0; i < bytes.length; i += 1) {
      binary += String.fromCharCode(bytes[i]);
    }
    return window.btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function withIds(list) {
    return (list || []).map(function (item) {
      return Object.assign({}, item, { id: toBytes(item.id) });
    });
  }

  // The credential as JSON (WebAuthn's registration / authentication response encoding).
  function answer(credential, fields) {
    return {
      id: credential.id,
      rawId: toText(credential.rawId),
      type: credential.type,
      authenticatorAttachment: credential.authenticatorAttachment || null,
      clientExtensionResults: credential.getClientExtensionResults(),
      response: Object.assign({ clientDataJSON: toText(credential.response.clientDataJSON) }, fields),
    };
  }

  function setup(box) {
    var button = box.querySelector("[data-passkey-button]");
    var status = box.querySelector("[data-passkey-status]");
    var data = box.dataset;

    function say(text) {
      status.textContent = text;
    }

    if (!window.PublicKeyCredential || !navigator.credentials) {
      button.disabled = true;
      say(data.msgUnsupported);
      return;
    }

    function post(url, body) {
      return window
        .fetch(url, {
          method: "POST",
          credentials: "same-origin",
          headers: { "Content-Type": "application/json", "X-CSRFToken": data.csrf },
          body: JSON.stringify(body || {}),
        })
        .then(function (response) {
          return response
            .json()
            .catch(function () {
              return {};
            })
            .then(function (json) {
              if (!response.ok) {
                var error = new Error(json.detail || data.msgError);
                error.fromServer = true;
                throw error;
              }
              return json;
            });
        });
    }

    function register(options) {
      options.challenge = toBytes(options.challenge);
      options.user.id = toBytes(options.user.id);
      options.excludeCredentials = withIds(options.excludeCredentials);
      return navigator.credentials.create({ publicKey: options }).then(function (credential) {
        var response = credential.response;
        return answer(credential, {
          attestationObject: toText(response.attestationObject),
          transports: response.getTransports ? response.getTransports() : [],
        });
      });
    }

    function verify(options) {
      options.challenge = toBytes(options.challenge);
      options.allowCredentials = withIds(options.allowCredentials);
      return navigator.credentials.get({ publicKey: options }).then(function (credential) {
        var response = credential.response;
        return answer(credential, {
          authenticatorData: toText(response.authenticatorData),
          signature: toText(response.signature),
          userHandle: toText(response.userHandle),
        });
      });
    }

    button.addEventListener("click", function () {
      button.disabled = true;
      say(data.msgWorking);
      var ceremony = data.passkey === "register" ? register : verify;
      post(data.begin)
        .then(ceremony)
        .then(function (credential) {
          return post(data.complete, credential);
        })
        .then(function (result) {
          say(data.msgDone);
          window.location.assign(result.redirect_url);
        })
        .catch(function (error) {
          button.disabled = false;
          if (error && error.fromServer) {
            say(error.message);
          } else if (error && error.name === "NotAllowedError") {
            say(data.msgCancelled);
          } else {
            say(data.msgError);
          }
        });
    });
  }

  document.querySelectorAll("[data-passkey]").forEach(setup);
})();
