/*
 * 表单构造器: a task form's fields as rows — name, title, type, required, options and a
 * conditional requirement ("required when decision is reject") — written back as JSON Schema
 * into the schema textarea, which stays the source and stays editable by hand. Each change
 * re-writes the textarea and sends it an `input` event, so the form editor stores the file and
 * re-renders the preview exactly as for typed text; typed text re-reads the rows.
 *
 * What the rows do not show survives a round trip: other keywords of a property (maxLength,
 * description …), the schema's other keys and allOf entries that are not a row's condition.
 *
 * Plain browser script: new window.OWFormBuilder(container, schemaTextarea).
 */
(function () {
  'use strict';

  var D = window.OWDesigner;
  var h = D.element;
  var T = D.text;
  var NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
  var TYPES = ['string', 'integer', 'number', 'boolean', 'date', 'choice'];

  /** A row's condition as JSON Schema: if <field> is <value> then <name> is required. */
  function conditionOf(entry) {
    var when = entry && entry['if'] && entry['if'].properties;
    var then = entry && entry.then && entry.then.required;
    var keys = when ? Object.keys(when) : [];
    if (keys.length !== 1 || !then || then.length !== 1 || !('const' in when[keys[0]])) {
      return null;
    }
    return { target: then[0], field: keys[0], value: when[keys[0]]['const'] };
  }

  function kindOf(spec) {
    if (Array.isArray(spec.oneOf)) {
      return 'choice';
    }
    if (spec.type === 'string' && spec.format === 'date') {
      return 'date';
    }
    return TYPES.indexOf(spec.type) >= 0 ? spec.type : 'string';
  }

  function FormBuilder(container, area) {
    this.container = container;
    this.area = area;
    this.schema = null;
    var self = this;
    area.addEventListener('input', function () {
      if (!self.writing) {
        self.refresh();
      }
    });
    area.addEventListener('ow-form-opened', function () { self.refresh(); });
    container.addEventListener('change', function (event) {
      var item = event.target.closest('.builder-field-row');
      if (item) {
        item.querySelector('.builder-options').closest('label').hidden =
          item.querySelector('.builder-kind').value !== 'choice';
        self.write();
      }
    });
    container.addEventListener('click', function (event) {
      var button = event.target.closest('button[data-action]');
      if (button) {
        self.act(button.getAttribute('data-action'), button.closest('.builder-field-row'));
      }
    });
  }

  /** Read the rows from the textarea; a schema that does not parse leaves the rows alone. */
  FormBuilder.prototype.refresh = function () {
    var schema;
    try {
      schema = this.area.value.trim() ? JSON.parse(this.area.value) : null;
    } catch (err) {
      this.container.setAttribute('data-state', 'invalid');
      return;
    }
    this.schema = schema && typeof schema === 'object' ? schema : null;
    this.container.setAttribute('data-state', this.schema ? 'ready' : 'empty');
    this.render();
  };

  FormBuilder.prototype.rows = function () {
    var schema = this.schema || {};
    var properties = schema.properties || {};
    var required = schema.required || [];
    var conditions = (schema.allOf || []).map(conditionOf).filter(Boolean);
    return Object.keys(properties).map(function (name) {
      var spec = properties[name] || {};
      var condition = conditions.filter(function (c) { return c.target === name; })[0];
      return {
        name: name,
        title: spec.title || '',
        kind: kindOf(spec),
        required: required.indexOf(name) >= 0,
        options: (spec.oneOf || []).map(function (o) { return o['const'] + '=' + (o.title || o['const']); }).join('\n'),
        whenField: condition ? condition.field : '',
        whenValue: condition ? String(condition.value) : ''
      };
    });
  };

  function labelled(label, control) {
    return h('label', { className: 'builder-cell' }, [h('span', { text: label }), control]);
  }

  FormBuilder.prototype.render = function () {
    var list = this.container.querySelector('.builder-field-list');
    list.textContent = '';
    if (!this.schema) {
      return;
    }
    var rows = this.rows();
    var names = rows.map(function (r) { return r.name; });
    rows.forEach(function (row, index) {
      var kind = h('select', { className: 'builder-kind' }, TYPES.map(function (t) {
        return h('option', { value: t, text: T('field_type_' + t), selected: t === row.kind });
      }));
      var when = h('select', { className: 'builder-when-field' }, [h('option', { value: '', text: T('always') })]
        .concat(names.filter(function (n) { return n !== row.name; }).map(function (n) {
          return h('option', { value: n, text: n, selected: n === row.whenField });
        })));
      var options = h('textarea', { className: 'builder-options', rows: 3 });
      options.value = row.options;
      var optionsField = labelled(T('field_options'), options);
      optionsField.hidden = row.kind !== 'choice';
      var item = h('li', { className: 'builder-field-row', 'data-name': row.name }, [
        h('fieldset', {}, [
          h('legend', { text: T('field_number', { n: index + 1, name: row.title || row.name }) }),
          labelled(T('field_name'), h('input', { className: 'builder-name', value: row.name })),
          labelled(T('field_title'), h('input', { className: 'builder-title', value: row.title })),
          labelled(T('field_type'), kind),
          h('label', { className: 'builder-cell choice' }, [
            h('input', { type: 'checkbox', className: 'builder-required', checked: row.required }),
            h('span', { text: T('field_required') })
          ]),
          optionsField,
          labelled(T('field_required_when'), when),
          labelled(T('field_required_value'), h('input', { className: 'builder-when-value', value: row.whenValue })),
          h('span', { className: 'builder-tools' }, [
            h('button', { type: 'button', className: 'button button-secondary', 'data-action': 'up', text: '↑', 'aria-label': T('field_up') }),
            h('button', { type: 'button', className: 'button button-secondary', 'data-action': 'down', text: '↓', 'aria-label': T('field_down') }),
            h('button', { type: 'button', className: 'button button-danger', 'data-action': 'remove', text: T('field_remove') })
          ])
        ])
      ]);
      list.appendChild(item);
    });
  };

  /** One row back as a property, keeping the keywords the row does not edit. */
  function property(old, row) {
    var spec = {};
    Object.keys(old || {}).forEach(function (key) {
      if (['type', 'format', 'oneOf', 'title'].indexOf(key) < 0) {
        spec[key] = old[key];
      }
    });
    spec.title = row.title || row.name;
    var type = { date: 'string', choice: 'string' }[row.kind] || row.kind;
    spec.type = type;
    if (row.kind === 'date') {
      spec.format = 'date';
    }
    if (row.kind === 'choice') {
      spec.oneOf = row.options.split('\n').map(function (line) { return line.trim(); }).filter(Boolean)
        .map(function (line) {
          var at = line.indexOf('=');
          var value = at < 0 ? line : line.slice(0, at).trim();
          return { 'const': value, title: at < 0 ? line : line.slice(at + 1).trim() || value };
        });
    }
    if (type !== 'string') {
      delete spec.maxLength;
    }
    return spec;
  }

  function typed(value, spec) {
    if (spec && (spec.type === 'integer' || spec.type === 'number') && value.trim() !== '' && !isNaN(Number(value))) {
      return Number(value);
    }
    if (spec && spec.type === 'boolean') {
      return /^(true|1|是)$/i.test(value.trim());
    }
    return value;
  }

  FormBuilder.prototype.readRows = function () {
    return Array.prototype.map.call(this.container.querySelectorAll('.builder-field-row'), function (item) {
      return {
        oldName: item.getAttribute('data-name'),
        name: item.querySelector('.builder-name').value.trim(),
        title: item.querySelector('.builder-title').value.trim(),
        kind: item.querySelector('.builder-kind').value,
        required: item.querySelector('.builder-required').checked,
        options: item.querySelector('.builder-options').value,
        whenField: item.querySelector('.builder-when-field').value,
        whenValue: item.querySelector('.builder-when-value').value
      };
    });
  };

  /** The rows as JSON Schema into the textarea (and from there the file and the preview). */
  FormBuilder.prototype.write = function (rows) {
    var status = this.container.querySelector('.builder-status');
    rows = rows || this.readRows();
    var bad = rows.filter(function (r) { return !NAME.test(r.name); })[0];
    var names = rows.map(function (r) { return r.name; });
    var twice = names.filter(function (n, i) { return names.indexOf(n) !== i; })[0];
    if (bad || twice) {
      status.textContent = bad ? T('field_name_invalid', { name: bad.name }) : T('field_name_twice', { name: twice });
      return;
    }
    status.textContent = '';
    var schema = this.schema || { type: 'object' };
    var oldProperties = schema.properties || {};
    var properties = {};
    rows.forEach(function (row) { properties[row.name] = property(oldProperties[row.oldName], row); });
    schema.properties = properties;
    schema.required = rows.filter(function (r) { return r.required; }).map(function (r) { return r.name; });
    if (!schema.required.length) {
      delete schema.required;
    }
    var kept = (schema.allOf || []).filter(function (entry) { return !conditionOf(entry); });
    var conditional = rows.filter(function (r) { return r.whenField && properties[r.whenField]; })
      .map(function (r) {
        var when = {};
        when[r.whenField] = { 'const': typed(r.whenValue, properties[r.whenField]) };
        return { 'if': { properties: when, required: [r.whenField] }, then: { required: [r.name] } };
      });
    schema.allOf = kept.concat(conditional);
    if (!schema.allOf.length) {
      delete schema.allOf;
    }
    this.schema = schema;
    Array.prototype.forEach.call(this.container.querySelectorAll('.builder-field-row'), function (item, i) {
      if (rows[i]) {
        item.setAttribute('data-name', rows[i].name);  // a renamed field keeps its keywords
      }
    });
    this.writing = true;
    this.area.value = JSON.stringify(schema, null, 2) + '\n';
    this.area.dispatchEvent(new Event('input'));
    this.writing = false;
  };

  FormBuilder.prototype.act = function (action, item) {
    var rows = this.readRows();
    var self = this;
    if (action === 'add') {
      var n = rows.length + 1;
      while (rows.some(function (r) { return r.name === 'field_' + n; })) {
        n += 1;
      }
      rows.push({ oldName: null, name: 'field_' + n, title: T('field_new'), kind: 'string', required: false, options: '', whenField: '', whenValue: '' });
    } else {
      var index = Array.prototype.indexOf.call(item.parentNode.children, item);
      if (action === 'remove') {
        rows.splice(index, 1);
      } else {
        var to = action === 'up' ? index - 1 : index + 1;
        if (to < 0 || to >= rows.length) {
          return;
        }
        rows.splice(to, 0, rows.splice(index, 1)[0]);
      }
    }
    this.write(rows);
    this.render();
    var focusRow = action === 'add' ? rows.length - 1 : null;
    var list = self.container.querySelector('.builder-field-list');
    if (focusRow !== null && list.children[focusRow]) {
      list.children[focusRow].querySelector('.builder-title').select();
    } else {
      self.container.querySelector('[data-action="add"]').focus();
    }
  };

  window.OWFormBuilder = FormBuilder;
})();
