/**
 * 条件构造器 on the approval-chain page: rows of field · operator · value over the chosen
 * item's form fields, written into the level's condition as the Python expression the engine
 * evaluates (`registered_capital >= 1000 and scope == "food"`). The raw condition stays an
 * ordinary input: the builder only writes it, so any expression may still be typed by hand.
 *
 * Works by event delegation, so levels added on the page get a builder too. The fields per
 * item and the texts come from #condition-builder-config (web/chains_admin.py).
 */
(function () {
  'use strict';

  var configNode = document.getElementById('condition-builder-config');
  if (!configNode) {
    return;
  }
  var config = JSON.parse(configNode.textContent);
  var T = config.texts;
  var OPERATORS = [
    ['==', T.eq], ['!=', T.ne], ['>', T.gt], ['>=', T.ge], ['<', T.lt], ['<=', T.le],
    ['in', T.contains], ['empty', T.empty], ['filled', T.filled]
  ];

  function fields() {
    var item = document.getElementById('service_item');
    return (item && config.fields[item.value]) || [];
  }

  function field(name) {
    return fields().filter(function (f) { return f.name === name; })[0];
  }

  function el(tag, props, children) {
    var node = document.createElement(tag);
    Object.keys(props || {}).forEach(function (key) {
      if (key === 'text') {
        node.textContent = props[key];
      } else {
        node.setAttribute(key, props[key]);
      }
    });
    (children || []).forEach(function (child) { node.appendChild(child); });
    return node;
  }

  function option(value, label) {
    return el('option', { value: value, text: label });
  }

  /** The value control of a row: a choice when the field lists its options, else an input. */
  function valueControl(row) {
    var chosen = field(row.querySelector('.builder-field').value);
    var old = row.querySelector('.builder-value');
    var control;
    if (chosen && chosen.options.length) {
      control = el('select', { 'class': 'builder-value', 'aria-label': T.value },
        chosen.options.map(function (o) { return option(String(o.value), o.title); }));
    } else {
      var numeric = chosen && (chosen.type === 'number' || chosen.type === 'integer');
      control = el('input', {
        'class': 'builder-value', 'aria-label': T.value, type: numeric ? 'number' : 'text'
      });
    }
    var operator = row.querySelector('.builder-operator').value;
    control.hidden = operator === 'empty' || operator === 'filled';
    if (old) {
      old.replaceWith(control);
    } else {
      row.insertBefore(control, row.querySelector('.builder-remove'));
    }
  }

  function addRow(builder) {
    var row = el('div', { 'class': 'builder-row', role: 'group', 'aria-label': T.row }, [
      el('select', { 'class': 'builder-field', 'aria-label': T.field },
        fields().map(function (f) { return option(f.name, f.title + ' (' + f.name + ')'); })),
      el('select', { 'class': 'builder-operator', 'aria-label': T.operator },
        OPERATORS.map(function (o) { return option(o[0], o[1]); })),
      el('button', { type: 'button', 'class': 'button button-secondary builder-remove', text: T.remove })
    ]);
    builder.querySelector('.builder-rows').appendChild(row);
    valueControl(row);
    row.querySelector('.builder-field').focus();
  }

  /** One row as Python: the value typed by the field's JSON Schema type. */
  function clause(row) {
    var name = row.querySelector('.builder-field').value;
    var operator = row.querySelector('.builder-operator').value;
    var raw = row.querySelector('.builder-value').value;
    if (!name) {
      return null;
    }
    if (operator === 'empty') {
      return 'not ' + name;
    }
    if (operator === 'filled') {
      return 'bool(' + name + ')';
    }
    var spec = field(name) || { type: 'string' };
    var literal;
    if (spec.type === 'number' || spec.type === 'integer') {
      if (raw.trim() === '' || isNaN(Number(raw))) {
        throw new Error(T.number_needed.replace('%(field)s', spec.title));
      }
      literal = String(Number(raw));
    } else if (spec.type === 'boolean') {
      literal = /^(true|1|是)$/i.test(raw.trim()) ? 'True' : 'False';
    } else {
      literal = JSON.stringify(raw);
    }
    return operator === 'in' ? literal + ' in ' + name : name + ' ' + operator + ' ' + literal;
  }

  function write(builder) {
    var status = builder.querySelector('.builder-status');
    var target = document.getElementById(builder.getAttribute('data-target'));
    var join = builder.querySelector('.builder-join-select').value;
    try {
      var parts = Array.prototype.map.call(builder.querySelectorAll('.builder-row'), clause)
        .filter(Boolean);
      if (!parts.length) {
        throw new Error(T.no_rows);
      }
      target.value = parts.length > 1
        ? parts.map(function (p) { return '(' + p + ')'; }).join(' ' + join + ' ')
        : parts[0];
      status.textContent = T.written;
      target.focus();
    } catch (err) {
      status.textContent = err.message;
    }
  }

  document.addEventListener('click', function (event) {
    var builder = event.target.closest('.condition-builder');
    if (!builder) {
      return;
    }
    if (event.target.closest('.builder-add')) {
      addRow(builder);
    } else if (event.target.closest('.builder-write')) {
      write(builder);
    } else if (event.target.closest('.builder-remove')) {
      event.target.closest('.builder-row').remove();
      builder.querySelector('.builder-add').focus();
    }
  });

  document.addEventListener('change', function (event) {
    var row = event.target.closest('.builder-row');
    if (row && (event.target.matches('.builder-field') || event.target.matches('.builder-operator'))) {
      valueControl(row);
    }
    if (event.target.id === 'service_item') {  // another item, other fields: start over
      Array.prototype.forEach.call(document.querySelectorAll('.builder-row'), function (r) {
        r.remove();
      });
    }
  });

  Array.prototype.forEach.call(document.querySelectorAll('.condition-builder'), function (b) {
    b.hidden = false;
  });
}());
