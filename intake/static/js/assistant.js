/* The intake assistant without page reloads: the same form, posted to the JSON API.
   Without JavaScript (or if anything here fails) the form posts normally and the server
   renders the next turn, so nothing depends on this file. */
(function () {
  "use strict";

  // The final card has autofocus; after the reload below some browsers skip autofocus,
  // so the card (its heading, the fee, the links) is focused and read out here too.
  var result = document.getElementById("result");
  if (result && document.activeElement !== result) {
    result.focus();
  }
  var form = document.getElementById("assistant-form");
  if (!form || !window.fetch || !form.dataset.api) {
    return; // first message of a new conversation: a normal post creates it
  }
  var log = document.getElementById("chat-log");
  var replies = document.getElementById("quick-replies");
  var multiline = (form.dataset.multiline || "").split(" ");
  var lastButton = null;
  var busy = false;

  function field() {
    return form.querySelector("[name=text]");
  }

  function bubble(by, text, error) {
    var item = document.createElement("li");
    item.className = "bubble bubble-" + by + (error ? " bubble-has-error" : "");
    // Who is speaking, for screen readers (as the server-rendered bubbles say it).
    var who = document.createElement("span");
    who.className = "visually-hidden";
    who.textContent = log.getAttribute(by === "user" ? "data-you" : "data-assistant") || "";
    item.appendChild(who);
    if (error) {
      var problem = document.createElement("p");
      problem.className = "bubble-error";
      problem.setAttribute("role", "alert");
      problem.textContent = error;
      item.appendChild(problem);
    }
    var body = document.createElement("p");
    body.className = "bubble-text";
    body.setAttribute("dir", "auto");
    body.textContent = text; // never innerHTML: answers may contain markup
    item.appendChild(body);
    log.appendChild(item);
    // The answer box follows the newest bubble; keep both in sight.
    form.scrollIntoView({ block: "end", behavior: "smooth" });
    return item;
  }

  function showChoices(choices) {
    while (replies.firstChild) {
      replies.removeChild(replies.firstChild);
    }
    (choices || []).forEach(function (choice) {
      var button = document.createElement("button");
      button.type = "submit";
      button.name = "choice";
      button.value = choice.value;
      button.className = "button button-small quick-reply";
      button.textContent = choice.label;
      replies.appendChild(button);
    });
    replies.hidden = !(choices && choices.length);
  }

  function useFieldFor(slot) {
    // Long answers (the vision) get a text area; everything else one line.
    var current = field();
    var wantArea = multiline.indexOf(slot) !== -1;
    if ((current.tagName === "TEXTAREA") === wantArea) {
      return;
    }
    var replacement = document.createElement(wantArea ? "textarea" : "input");
    if (wantArea) {
      replacement.rows = 4;
    } else {
      replacement.type = "text";
      replacement.autocomplete = "off";
    }
    replacement.name = "text";
    replacement.id = current.id;
    replacement.maxLength = 10240;
    replacement.placeholder = current.placeholder;
    current.parentNode.replaceChild(replacement, current);
  }

  function setBusy(value) {
    busy = value;
    form.setAttribute("aria-busy", value ? "true" : "false");
    Array.prototype.forEach.call(form.querySelectorAll("button"), function (button) {
      button.disabled = value;
    });
  }

  form.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("button") : null;
    lastButton = button;
  });

  form.addEventListener("submit", function (event) {
    var button = event.submitter || lastButton;
    lastButton = null;
    var pressed = button && button.name === "choice";
    var text = pressed ? button.value : field().value;
    var said = pressed ? button.textContent : field().value;
    event.preventDefault();
    if (busy) {
      return;
    }
    setBusy(true);
    bubble("user", said);
    var token = document.querySelector('meta[name="csrf-token"]');
    fetch(form.dataset.api, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "X-CSRFToken": token ? token.content : ""
      },
      body: JSON.stringify({ text: text, locale: document.documentElement.lang })
    })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.json();
      })
      .then(function (data) {
        if (data.done) {
          // The server page shows the fee and the letter links: load it.
          window.location.reload();
          return;
        }
        bubble("bot", data.turn.text, data.turn.error);
        showChoices(data.turn.choices);
        useFieldFor(data.turn.slot);
        form.dataset.slot = data.turn.slot;
        setBusy(false);
        field().value = "";
        field().focus();
      })
      .catch(function () {
        // Fall back to an ordinary post of the same answer.
        setBusy(false);
        if (pressed) {
          var hidden = document.createElement("input");
          hidden.type = "hidden";
          hidden.name = "choice";
          hidden.value = text;
          form.appendChild(hidden);
        }
        HTMLFormElement.prototype.submit.call(form);
      });
  });
})();
