// The resident's files, straight into the upload inbox (issue 15 items 5 and 7).
//
// Progressive enhancement of the complaint form and the review request form: without this
// script they post their files as multipart/form-data through the service, as they always did.
// With it, on submit, the script asks the service for one upload form per chosen file
// (POST /complaints/uploads), posts each file to its form's URL with the form's fields (the
// attachments bucket on AWS, POST /uploads/{slot} locally), says how it is going next to the
// file input (an aria-live region, each line naming its file), and then sends the page's form
// with the slots (hidden inputs named `attachments`) instead of the files' bytes. The service
// checks the files as it always does, and a file refused comes back next to the input.
// If anything else goes wrong (the forms cannot be had, the network fails), the page's form is
// sent as before, with the files in it.
//
// Served from our own origin (/assets/upload.js): no inline script, no eval, nothing from
// another site, so the pages keep a strict Content-Security-Policy.
(function () {
  'use strict';

  var MAX_FILES = 5;
  var MAX_BYTES = 10 * 1024 * 1024;
  var FORMS_URL = '/complaints/uploads';

  if (!window.FormData || !window.XMLHttpRequest || !window.fetch || !window.Promise) return;

  function submitPlainly(form) {
    HTMLFormElement.prototype.submit.call(form);
  }

  /** The live region under the file input (made once, so a message added later is read out). */
  function statusOf(input) {
    var id = input.id + '-upload-status';
    var status = document.getElementById(id);
    if (!status) {
      status = document.createElement('div');
      status.id = id;
      status.setAttribute('aria-live', 'polite');
      input.insertAdjacentElement('afterend', status);
    }
    return status;
  }

  function say(status, lines) {
    while (status.firstChild) status.removeChild(status.firstChild);
    lines.forEach(function (line) {
      var p = document.createElement('p');
      p.className = line.error ? 'error-message' : 'hint';
      if (line.error) {
        var hidden = document.createElement('span');
        hidden.className = 'visually-hidden';
        hidden.textContent = 'Error: ';
        p.appendChild(hidden);
      }
      p.appendChild(document.createTextNode(line.text));
      status.appendChild(p);
    });
  }

  /** Marks the input as in error, described by the status lines too. */
  function markInvalid(input, status, invalid) {
    var described = (input.getAttribute('aria-describedby') || '')
      .split(' ')
      .filter(function (id) { return id && id !== status.id; });
    if (invalid) {
      described.push(status.id);
      input.setAttribute('aria-invalid', 'true');
    } else if (!document.getElementById(input.id + '-error')) {
      input.removeAttribute('aria-invalid');
    }
    if (described.length) input.setAttribute('aria-describedby', described.join(' '));
    else input.removeAttribute('aria-describedby');
  }

  /** A refusal the resident can act on (the file itself is wrong), as opposed to a fault. */
  function Refused(text) {
    this.text = text;
  }

  function askForForms(count) {
    return fetch(FORMS_URL, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ count: count }),
    }).then(function (res) {
      if (res.status !== 201) throw new Error('upload forms: ' + res.status);
      return res.json();
    }).then(function (body) {
      if (!body || !Array.isArray(body.forms) || body.forms.length !== count) {
        throw new Error('upload forms: unexpected answer');
      }
      return body.forms;
    });
  }

  /** Posts `file` with `form` (its fields first, the file last); reports progress in percent. */
  function post(form, file, progress) {
    return new Promise(function (resolve, reject) {
      var data = new FormData();
      form.fields.forEach(function (pair) { data.append(pair[0], pair[1]); });
      data.append('file', file, file.name);
      var xhr = new XMLHttpRequest();
      xhr.open('POST', form.url);
      xhr.upload.onprogress = function (e) {
        if (e.lengthComputable) progress(Math.floor((e.loaded / e.total) * 100));
      };
      xhr.onload = function () {
        if (xhr.status >= 200 && xhr.status < 300) resolve(form.slot);
        else if (xhr.status === 413 || /EntityTooLarge/.test(xhr.responseText || '')) {
          reject(new Refused(file.name + ' is larger than 10 MB: choose a smaller file'));
        } else reject(new Error('upload: ' + xhr.status));
      };
      xhr.onerror = function () { reject(new Error('upload: network error')); };
      xhr.onabort = xhr.onerror;
      xhr.send(data);
    });
  }

  // Only the slots this script added: those the page itself carries (files added one at a
  // time on the files step, without this script) stay with the form.
  function removeSlots(form) {
    var old = form.querySelectorAll('input[type="hidden"][name="attachments"][data-upload-script]');
    Array.prototype.forEach.call(old, function (el) { el.parentNode.removeChild(el); });
  }

  function enhance(form, input) {
    var status = statusOf(input);
    var sending = false;
    var plain = false;

    // Back from the next page (the browser's cache): the input is usable again, and the slots
    // sent before (already taken, or emptied) are not sent again.
    window.addEventListener('pageshow', function () {
      input.disabled = false;
      sending = false;
      plain = false;
      removeSlots(form);
    });

    form.addEventListener('submit', function (event) {
      if (plain) return;
      var files = Array.prototype.slice.call(input.files || []);
      if (files.length === 0) return;
      event.preventDefault();
      if (sending) return;

      if (files.length > MAX_FILES) {
        say(status, [{ error: true, text: 'Choose at most ' + MAX_FILES + ' files: you chose ' + files.length }]);
        markInvalid(input, status, true);
        return;
      }
      var large = files.filter(function (f) { return f.size > MAX_BYTES; });
      if (large.length) {
        say(status, large.map(function (f) {
          return { error: true, text: f.name + ' is larger than 10 MB: choose a smaller file' };
        }));
        markInvalid(input, status, true);
        return;
      }

      sending = true;
      markInvalid(input, status, false);
      var shown = files.map(function (f) { return { text: 'Waiting to send ' + f.name }; });
      say(status, shown);
      var step = files.map(function () { return -1; });

      askForForms(files.length).then(function (forms) {
        return Promise.all(files.map(function (file, i) {
          shown[i] = { text: 'Sending ' + file.name + ': 0%' };
          say(status, shown);
          return post(forms[i], file, function (percent) {
            // Read out in quarters, not every few bytes.
            var quarter = Math.floor(percent / 25);
            if (quarter === step[i]) return;
            step[i] = quarter;
            shown[i] = { text: 'Sending ' + file.name + ': ' + percent + '%' };
            say(status, shown);
          }).then(function (slot) {
            shown[i] = { text: file.name + ' sent' };
            say(status, shown);
            return slot;
          }, function (e) {
            if (e instanceof Refused) {
              shown[i] = { error: true, text: e.text };
              say(status, shown);
            }
            throw e;
          });
        }));
      }).then(function (slots) {
        removeSlots(form);
        slots.forEach(function (slot) {
          var hidden = document.createElement('input');
          hidden.type = 'hidden';
          hidden.name = 'attachments';
          hidden.value = slot;
          hidden.setAttribute('data-upload-script', '');
          form.appendChild(hidden);
        });
        // The files are in the inbox: the form carries their slots, not their bytes.
        input.disabled = true;
        shown.push({ text: 'Your files are with us. Sending the form...' });
        say(status, shown);
        submitPlainly(form);
      }, function (e) {
        sending = false;
        if (e instanceof Refused) {
          markInvalid(input, status, true);
          return;
        }
        // Anything else: send the form as it would go without this script, files and all.
        plain = true;
        say(status, [{ text: 'Sending your files with the form instead...' }]);
        submitPlainly(form);
      });
    });
  }

  var inputs = document.querySelectorAll('form input[type="file"][name="attachments"]');
  Array.prototype.forEach.call(inputs, function (input) {
    if (input.form && input.id) enhance(input.form, input);
  });
})();
