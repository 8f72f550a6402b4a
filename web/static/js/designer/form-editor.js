/*
 * The form editor of the modeler page (表单): a task form's JSON Schema and UI schema in two
 * textareas, with a live preview that the SERVER renders with the clerks' renderer
 * (POST /designer/forms/preview → web.forms.render_form), so what the designer sees is what the
 * window clerk will get. An invalid schema is refused there with the validator's message.
 *
 * Files live in the page's in-memory model files ({"forms/x.schema.json": text, ...}); the
 * modeler saves them with the draft. In the textareas Tab inserts two spaces; Esc, then Tab,
 * leaves the textarea (so the keyboard is never trapped).
 *
 * Plain browser script: window.OWFormEditor(options).
 */
(function () {
  'use strict';

  var D = window.OWDesigner;
  var h = D.element;
  var T = D.text;
  var PREVIEW_DELAY_MS = 350;
  var NAME_PATTERN = /^[a-z][a-z0-9_]{0,63}$/;

  function isSchemaFile(name) {
    return /^forms\/.+\.json$/.test(name) && !/\.uischema\.json$/.test(name);
  }

  function uiFileFor(name) {
    return /\.schema\.json$/.test(name) ? name.replace(/\.schema\.json$/, '.uischema.json') : null;
  }

  /** Tab inserts two spaces (undoable via execCommand); after Esc, Tab moves focus as usual. */
  function indentWithTab(area) {
    var escaped = false;
    area.addEventListener('keydown', function (event) {
      if (event.key === 'Escape') {
        escaped = true;
        return;
      }
      if (event.key === 'Tab' && !escaped && !event.shiftKey && !event.ctrlKey && !event.altKey && !event.metaKey) {
        event.preventDefault();
        if (!document.execCommand || !document.execCommand('insertText', false, '  ')) {
          area.setRangeText('  ', area.selectionStart, area.selectionEnd, 'end');
          area.dispatchEvent(new Event('input'));
        }
        return;
      }
      escaped = false;
    });
    area.addEventListener('blur', function () { escaped = false; });
  }

  /**
   * @param {{files: function(): Object, onChange: function(), select: HTMLSelectElement,
   *          schema: HTMLTextAreaElement, ui: HTMLTextAreaElement, preview: HTMLElement,
   *          schemaError: HTMLElement, uiError: HTMLElement, newButton: HTMLElement,
   *          schemaName: HTMLElement, uiName: HTMLElement}} options
   */
  function FormEditor(options) {
    this.options = options;
    this.current = null;
    this.timer = null;
    this.sequence = 0;
    var self = this;
    indentWithTab(options.schema);
    indentWithTab(options.ui);
    options.select.addEventListener('change', function () { self.open(options.select.value); });
    options.schema.addEventListener('input', function () { self.edited('schema'); });
    options.ui.addEventListener('input', function () { self.edited('ui'); });
    options.newButton.addEventListener('click', function () { self.create(); });
  }

  FormEditor.prototype.schemaFiles = function () {
    return Object.keys(this.options.files()).filter(isSchemaFile).sort();
  };

  /** Refill the file list (after loading or adding files), keeping the open file. */
  FormEditor.prototype.reload = function (preferred) {
    var select = this.options.select;
    var names = this.schemaFiles();
    select.textContent = '';
    names.forEach(function (name) {
      select.appendChild(h('option', { value: name, text: name.replace(/^forms\//, '') }));
    });
    var target = preferred || this.current;
    if (names.indexOf(target) < 0) {
      target = names[0] || null;
    }
    this.open(target);
  };

  FormEditor.prototype.open = function (name) {
    var o = this.options;
    var files = o.files();
    this.current = name || null;
    o.select.value = name || '';
    o.schema.value = name ? files[name] || '' : '';
    var ui = name ? uiFileFor(name) : null;
    o.ui.value = ui && files[ui] !== undefined ? files[ui] : '';
    o.schema.disabled = !name;
    o.ui.disabled = !ui;
    o.schemaName.textContent = name || '';
    o.uiName.textContent = ui || '';
    o.schemaError.textContent = '';
    o.uiError.textContent = '';
    o.schema.dispatchEvent(new CustomEvent('ow-form-opened'));  // the 表单构造器 re-reads it
    if (name) {
      this.preview();
    } else {
      o.preview.textContent = '';
      o.preview.appendChild(h('p', { className: 'empty', text: T('preview_empty') }));
    }
  };

  FormEditor.prototype.edited = function (which) {
    if (!this.current) {
      return;
    }
    var files = this.options.files();
    if (which === 'schema') {
      files[this.current] = this.options.schema.value;
    } else {
      var ui = uiFileFor(this.current);
      if (this.options.ui.value.trim()) {
        files[ui] = this.options.ui.value;
      } else {
        delete files[ui];
      }
    }
    this.options.onChange();
    var self = this;
    clearTimeout(this.timer);
    this.timer = setTimeout(function () { self.preview(); }, PREVIEW_DELAY_MS);
  };

  function parseJson(text, errorNode) {
    try {
      errorNode.textContent = '';
      return { ok: true, value: text.trim() ? JSON.parse(text) : {} };
    } catch (err) {
      errorNode.textContent = T('json_invalid', { message: err.message });
      return { ok: false };
    }
  }

  /** Ask the server to render the form; a stale answer (the text changed since) is dropped. */
  FormEditor.prototype.preview = function () {
    var o = this.options;
    var schema = parseJson(o.schema.value, o.schemaError);
    var ui = parseJson(o.ui.value, o.uiError);
    o.preview.setAttribute('data-state', 'loading');
    if (!schema.ok || !ui.ok) {
      o.preview.setAttribute('data-state', 'invalid');
      return Promise.resolve();
    }
    var sequence = ++this.sequence;
    var self = this;
    return D.postSession(D.config().preview_url, { schema: schema.value, ui_schema: ui.value })
      .then(function (result) {
        if (sequence !== self.sequence) {
          return;
        }
        if (result.ok) {
          o.preview.innerHTML = result.data.html;
          // The clerks' page focuses the first field; in a preview that would steal the focus.
          Array.prototype.forEach.call(o.preview.querySelectorAll('[autofocus]'), function (n) {
            n.removeAttribute('autofocus');
          });
          o.preview.setAttribute('data-state', 'rendered');
        } else {
          var error = (result.data && result.data.error) || {};
          var where = error.details && error.details.path ? ' (' + error.details.path + ')' : '';
          o.schemaError.textContent = T('schema_invalid', { message: (error.message || D.errorMessage(result)) + where });
          o.preview.setAttribute('data-state', 'invalid');
        }
      })
      .catch(function (err) {
        o.schemaError.textContent = T('schema_invalid', { message: err.message });
        o.preview.setAttribute('data-state', 'invalid');
      });
  };

  /** Add forms/<name>.schema.json (and an empty UI schema) to the model, from the name input. */
  FormEditor.prototype.create = function () {
    var input = this.options.newName;
    var name = (input.value || '').trim().replace(/\.schema\.json$|\.json$/, '');
    var errorNode = this.options.newError;
    errorNode.textContent = '';
    if (!NAME_PATTERN.test(name)) {
      errorNode.textContent = T('form_name_invalid');
      input.focus();
      return null;
    }
    var files = this.options.files();
    var file = 'forms/' + name + '.schema.json';
    if (files[file] !== undefined) {
      errorNode.textContent = T('form_exists');
      input.focus();
      return null;
    }
    files[file] = JSON.stringify({
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      title: name,
      type: 'object',
      properties: {
        opinion: { type: 'string', title: T('starter_opinion'), maxLength: 1000 },
        decision: {
          type: 'string',
          title: T('starter_decision'),
          oneOf: [
            { 'const': 'approve', title: T('starter_approve') },
            { 'const': 'return', title: T('starter_return') },
            { 'const': 'reject', title: T('starter_reject') }
          ]
        }
      },
      required: ['decision']
    }, null, 2) + '\n';
    files['forms/' + name + '.uischema.json'] = JSON.stringify({
      'ui:order': ['opinion', 'decision'],
      decision: { 'ui:widget': 'radio' },
      opinion: { 'ui:widget': 'textarea' }
    }, null, 2) + '\n';
    input.value = '';
    this.options.onChange(true);
    this.reload(file);
    this.options.schema.focus();
    return file;
  };

  window.OWFormEditor = FormEditor;
})();
