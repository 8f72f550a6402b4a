/*
 * The side panel of the modeler (元素属性): what OneWindow reads from a diagram, per element.
 *
 *   lane           → name = a department's name (picker)
 *   user task      → role, approvalChain, form (formJsonSchemaFilename/formUiSchemaFilename, or
 *                    form = none), clock, dueWorkingDays
 *   other tasks    → clock
 *   events         → clock; end events: result (0–7); timers: duration / date / cycle
 *   sequence flow  → condition expression (bpmn:conditionExpression), default flow of a gateway
 *
 * OneWindow's properties are spiffworkflow:properties/spiffworkflow:property extension elements
 * (DESIGN.md "Conventions inside BPMN files"). Every change is one modeling command
 * (updateProperties / updateModdleProperties), so Ctrl+Z undoes it like any diagram edit.
 * Properties the panel does not know (e.g. visit) are kept as they are.
 *
 * Plain browser script: window.OWSidePanel(modeler, container, options).
 */
(function () {
  'use strict';

  var D = window.OWDesigner;
  var h = D.element;
  var T = D.text;

  var PANEL_PROPERTIES = ['role', 'approvalChain', 'formJsonSchemaFilename', 'formUiSchemaFilename',
    'form', 'clock', 'dueWorkingDays', 'result'];
  var NO_FORM = '__none__';
  var TIMER_KINDS = ['timeDuration', 'timeDate', 'timeCycle'];

  function is(bo, type) {
    return !!(bo && bo.$instanceOf && bo.$instanceOf(type));
  }

  function spiffContainer(bo) {
    var values = (bo.extensionElements && bo.extensionElements.values) || [];
    for (var i = 0; i < values.length; i++) {
      if (is(values[i], 'spiffworkflow:Properties')) {
        return values[i];
      }
    }
    return null;
  }

  /** The element's spiffworkflow properties as [{name, value}], in document order. */
  function propertiesOf(bo) {
    var found = spiffContainer(bo);
    return ((found && found.properties) || []).map(function (p) {
      return { name: p.name, value: p.value };
    });
  }

  function propertyValue(bo, name) {
    var list = propertiesOf(bo);
    for (var i = 0; i < list.length; i++) {
      if (list[i].name === name) {
        return list[i].value || '';
      }
    }
    return '';
  }

  function timerDefinition(bo) {
    return (bo.eventDefinitions || []).filter(function (d) {
      return is(d, 'bpmn:TimerEventDefinition');
    })[0] || null;
  }

  function typeLabel(bo) {
    var type = (bo.$type || '').replace(/^bpmn:/, '');
    var label = T('type_' + type);
    return label === 'type_' + type ? type : label;
  }

  /**
   * @param {Object} modeler  bpmn-js Modeler
   * @param {HTMLElement} container
   * @param {{files: function(): Object, onChange: function()}} options
   */
  function SidePanel(modeler, container, options) {
    this.modeler = modeler;
    this.container = container;
    this.options = options;
    this.modeling = modeler.get('modeling');
    this.moddle = modeler.get('moddle');
    this.current = null;
    this.fields = [];

    var self = this;
    var eventBus = modeler.get('eventBus');
    eventBus.on('selection.changed', function (event) {
      var selected = event.newSelection || [];
      self.render(selected.length === 1 ? selected[0] : null);
    });
    eventBus.on('elements.changed', function (event) {
      if (!self.current) {
        return;
      }
      var changed = event.elements.some(function (e) { return e === self.current; });
      if (changed) {
        if (!modeler.get('elementRegistry').get(self.current.id)) {
          self.render(null);
        } else {
          self.refresh();
        }
      }
    });
    eventBus.on('import.done', function () { self.render(null); });
  }

  // ---- writing ----------------------------------------------------------------------------------

  /**
   * Set (or, with '' / null, remove) spiffworkflow properties in ONE command: the element gets
   * a new extensionElements holding a new spiffworkflow:properties; its other extension
   * elements are carried over untouched. Undo restores the previous objects as they were.
   */
  SidePanel.prototype.setProperties = function (element, changes) {
    var moddle = this.moddle;
    var bo = element.businessObject;
    var oldValues = (bo.extensionElements && bo.extensionElements.values) || [];
    var oldContainer = spiffContainer(bo);
    var list = propertiesOf(bo);

    Object.keys(changes).forEach(function (name) {
      var value = changes[name];
      var index = -1;
      list.forEach(function (p, i) { if (p.name === name && index < 0) { index = i; } });
      if (value === null || value === undefined || value === '') {
        list = list.filter(function (p) { return p.name !== name; });
      } else if (index >= 0) {
        list[index].value = String(value);
      } else {
        list.push({ name: name, value: String(value) });
      }
    });

    var values = oldValues.filter(function (v) { return v !== oldContainer; });
    var container = null;
    var extension;
    if (list.length) {
      container = moddle.create('spiffworkflow:Properties');
      container.properties = list.map(function (p) {
        var property = moddle.create('spiffworkflow:Property', { name: p.name, value: p.value });
        property.$parent = container;
        return property;
      });
      var at = oldContainer ? oldValues.indexOf(oldContainer) : values.length;
      values.splice(Math.min(at, values.length), 0, container);
    }
    if (values.length) {
      extension = moddle.create('bpmn:ExtensionElements', { values: values });
      extension.$parent = bo;
      if (container) {
        container.$parent = extension;
      }
    }
    this.modeling.updateProperties(element, { extensionElements: extension });
  };

  SidePanel.prototype.setName = function (element, name) {
    this.modeling.updateProperties(element, { name: name || undefined });
  };

  SidePanel.prototype.setCondition = function (element, body) {
    var expression;
    if (body) {
      expression = this.moddle.create('bpmn:FormalExpression', { body: body });
    }
    this.modeling.updateProperties(element, { conditionExpression: expression });
  };

  SidePanel.prototype.setDefaultFlow = function (element, isDefault) {
    var source = element.source;
    if (!source) {
      return;
    }
    var current = source.businessObject['default'];
    if (isDefault && current !== element.businessObject) {
      this.modeling.updateProperties(source, { 'default': element.businessObject });
    } else if (!isDefault && current === element.businessObject) {
      this.modeling.updateProperties(source, { 'default': undefined });
    }
  };

  SidePanel.prototype.setTimer = function (element, kind, body) {
    var definition = timerDefinition(element.businessObject);
    if (!definition) {
      return;
    }
    var changes = {};
    var moddle = this.moddle;
    TIMER_KINDS.forEach(function (k) { changes[k] = undefined; });
    if (body) {
      changes[kind] = moddle.create('bpmn:FormalExpression', { body: body });
    }
    this.modeler.get('modeling').updateModdleProperties(element, definition, changes);
  };

  /** The form select's value → the properties it stands for. */
  SidePanel.prototype.setForm = function (element, value) {
    if (!value) {
      this.setProperties(element, { formJsonSchemaFilename: null, formUiSchemaFilename: null, form: null });
      return;
    }
    if (value === NO_FORM) {
      this.setProperties(element, { formJsonSchemaFilename: null, formUiSchemaFilename: null, form: 'none' });
      return;
    }
    var files = this.options.files();
    var ui = value.replace(/\.schema\.json$/, '.uischema.json');
    var hasUi = ui !== value && (('forms/' + ui) in files || ui in files);
    this.setProperties(element, {
      formJsonSchemaFilename: value,
      formUiSchemaFilename: hasUi ? ui : null,
      form: null
    });
  };

  // ---- reading ----------------------------------------------------------------------------------

  function formValue(bo) {
    if (propertyValue(bo, 'form') === 'none') {
      return NO_FORM;
    }
    return propertyValue(bo, 'formJsonSchemaFilename');
  }

  function timerKind(bo) {
    var definition = timerDefinition(bo);
    for (var i = 0; definition && i < TIMER_KINDS.length; i++) {
      if (definition[TIMER_KINDS[i]]) {
        return TIMER_KINDS[i];
      }
    }
    return 'timeDuration';
  }

  function timerBody(bo) {
    var definition = timerDefinition(bo);
    var expression = definition && definition[timerKind(bo)];
    return (expression && expression.body) || '';
  }

  /** Form files of the model, as the bare names the properties hold (SpiffArena style). */
  function formChoices(files, current) {
    var names = Object.keys(files).filter(function (name) {
      return /\.json$/.test(name) && !/\.uischema\.json$/.test(name);
    }).map(function (name) { return name.replace(/^forms\//, ''); }).sort();
    if (current && current !== NO_FORM && names.indexOf(current) < 0) {
      names.push(current);
    }
    return names;
  }

  // ---- rendering --------------------------------------------------------------------------------

  SidePanel.prototype.render = function (element) {
    this.current = element;
    this.fields = [];
    this.container.textContent = '';
    if (!element || element.type === 'label') {
      this.current = element && element.labelTarget ? element.labelTarget : null;
      if (!this.current) {
        this.container.appendChild(h('p', { className: 'empty', text: T('no_selection') }));
        return;
      }
      element = this.current;
    }
    var bo = element.businessObject;
    var self = this;
    var body = [];

    body.push(h('h2', { className: 'side-panel-title', text: typeLabel(bo) }));
    body.push(h('dl', { className: 'side-panel-meta' }, [
      h('dt', { text: T('element_id') }), h('dd', {}, [h('code', { text: element.id })])
    ]));

    if (is(bo, 'bpmn:Lane')) {
      body.push(this.departmentField(element));
    } else if (!is(bo, 'bpmn:Process') && !is(bo, 'bpmn:Collaboration')) {
      body.push(this.textField('prop-name', T('name'), function () { return bo.name || ''; },
        function (value) { self.setName(element, value); }));
    }

    if (is(bo, 'bpmn:UserTask')) {
      body.push(this.selectField('prop-role', T('role'), function () {
        return [{ value: '', label: T('role_none') }].concat(D.config().roles);
      }, function () { return propertyValue(bo, 'role'); },
      function (value) { self.setProperties(element, { role: value }); }));
      body.push(this.textField('prop-approval-chain', T('approval_chain'),
        function () { return propertyValue(bo, 'approvalChain'); },
        function (value) { self.setProperties(element, { approvalChain: value.trim() }); },
        { list: 'approval-chain-keys' }));
      body.push(this.datalist('approval-chain-keys', D.config().approval_chains || []));
      body.push(this.selectField('prop-form', T('form'), function () {
        var files = self.options.files();
        var choices = [{ value: '', label: T('form_unset') }, { value: NO_FORM, label: T('form_none') }];
        return choices.concat(formChoices(files, propertyValue(bo, 'formJsonSchemaFilename'))
          .map(function (name) { return { value: name, label: name }; }));
      }, function () { return formValue(bo); }, function (value) { self.setForm(element, value); }));
    }

    if (is(bo, 'bpmn:Task') || is(bo, 'bpmn:Event')) {
      body.push(this.selectField('prop-clock', T('clock'), function () { return D.config().clocks; },
        function () { return propertyValue(bo, 'clock'); },
        function (value) { self.setProperties(element, { clock: value }); }));
    }

    if (is(bo, 'bpmn:UserTask')) {
      body.push(this.textField('prop-due', T('due_days'),
        function () { return propertyValue(bo, 'dueWorkingDays'); },
        function (value) { self.setProperties(element, { dueWorkingDays: value.trim() }); },
        { type: 'number', min: '0', step: '1', inputmode: 'numeric' }));
    }

    if (is(bo, 'bpmn:EndEvent')) {
      body.push(this.selectField('prop-result', T('result'), function () {
        return [{ value: '', label: T('result_none') }].concat(D.config().results);
      }, function () { return propertyValue(bo, 'result'); },
      function (value) { self.setProperties(element, { result: value }); }));
    }

    if (timerDefinition(bo)) {
      body.push(this.timerFields(element));
    }

    if (is(bo, 'bpmn:SequenceFlow')) {
      body.push(this.textareaField('prop-condition', T('condition'), function () {
        return (bo.conditionExpression && bo.conditionExpression.body) || '';
      }, function (value) { self.setCondition(element, value.trim()); }, T('condition_help')));
      var source = element.source && element.source.businessObject;
      if (is(source, 'bpmn:ExclusiveGateway') || is(source, 'bpmn:InclusiveGateway')) {
        body.push(this.checkboxField('prop-default', T('default_flow'), function () {
          return element.source.businessObject['default'] === bo;
        }, function (checked) { self.setDefaultFlow(element, checked); }));
      }
    }

    var others = propertiesOf(bo).filter(function (p) { return PANEL_PROPERTIES.indexOf(p.name) < 0; });
    if (others.length) {
      body.push(h('h3', { className: 'side-panel-sub', text: T('other_properties') }));
      body.push(h('ul', { className: 'other-properties' }, others.map(function (p) {
        return h('li', {}, [h('code', { text: p.name + ' = ' + p.value })]);
      })));
    }
    body.forEach(function (node) { if (node) { self.container.appendChild(node); } });
    this.refresh();
  };

  /** Put the model's values into the fields (except the one being edited). */
  SidePanel.prototype.refresh = function () {
    this.fields.forEach(function (field) {
      if (field.node !== document.activeElement) {
        field.update();
      }
    });
  };

  /** Redraw the current element's panel (e.g. after form files were added). */
  SidePanel.prototype.rerender = function () {
    var focused = document.activeElement && this.container.contains(document.activeElement)
      ? document.activeElement.id : null;
    this.render(this.current);
    if (focused && document.getElementById(focused)) {
      document.getElementById(focused).focus();
    }
  };

  SidePanel.prototype.wrap = function (id, label, control, help) {
    var children = [h('label', { 'for': id, text: label }), control];
    if (help) {
      control.setAttribute('aria-describedby', id + '-help');
      children.push(h('p', { className: 'field-help', id: id + '-help', text: help }));
    }
    return h('div', { className: 'field' }, children);
  };

  SidePanel.prototype.textField = function (id, label, read, commit, attributes) {
    var input = h('input', Object.assign({ id: id, type: 'text' }, attributes || {}));
    // Enter commits, and so does leaving the field; the same value is never written twice.
    function changed() {
      if (input.value !== read()) {
        commit(input.value);
      }
    }
    input.addEventListener('change', changed);
    input.addEventListener('keydown', function (event) {
      if (event.key === 'Enter') {
        event.preventDefault();
        changed();
      }
    });
    this.fields.push({ node: input, update: function () { input.value = read(); } });
    return this.wrap(id, label, input);
  };

  SidePanel.prototype.textareaField = function (id, label, read, commit, help) {
    var area = h('textarea', { id: id, rows: '3', className: 'code-editor', spellcheck: 'false' });
    area.addEventListener('change', function () {
      if (area.value.trim() !== read().trim()) {
        commit(area.value);
      }
    });
    this.fields.push({ node: area, update: function () { area.value = read(); } });
    return this.wrap(id, label, area, help);
  };

  SidePanel.prototype.selectField = function (id, label, choices, read, commit) {
    var select = h('select', { id: id });
    select.addEventListener('change', function () {
      if (select.value !== read()) {
        commit(select.value);
      }
    });
    this.fields.push({
      node: select,
      update: function () {
        var value = read();
        var options = choices();
        if (value && !options.some(function (o) { return o.value === value; })) {
          options = options.concat([{ value: value, label: value }]);
        }
        select.textContent = '';
        options.forEach(function (o) {
          select.appendChild(h('option', { value: o.value, text: o.label }));
        });
        select.value = value;
      }
    });
    return this.wrap(id, label, select);
  };

  SidePanel.prototype.checkboxField = function (id, label, read, commit) {
    var box = h('input', { id: id, type: 'checkbox' });
    box.addEventListener('change', function () { commit(box.checked); });
    this.fields.push({ node: box, update: function () { box.checked = !!read(); } });
    return h('div', { className: 'field field-checkbox' }, [box, h('label', { 'for': id, text: label })]);
  };

  SidePanel.prototype.datalist = function (id, values) {
    if (document.getElementById(id)) {
      return null;
    }
    return h('datalist', { id: id }, values.map(function (v) { return h('option', { value: v }); }));
  };

  /** Lanes are departments: the lane's name is chosen among the departments' names. */
  SidePanel.prototype.departmentField = function (element) {
    var self = this;
    var bo = element.businessObject;
    return this.selectField('prop-department', T('department'), function () {
      var options = [{ value: '', label: T('department_choose') }];
      var name = bo.name || '';
      var departments = D.config().departments || [];
      departments.forEach(function (d) { options.push({ value: d, label: d }); });
      if (name && departments.indexOf(name) < 0) {
        options.push({ value: name, label: name + ' ' + T('department_unknown') });
      }
      return options;
    }, function () { return bo.name || ''; }, function (value) { self.setName(element, value); });
  };

  SidePanel.prototype.timerFields = function (element) {
    var self = this;
    var bo = element.businessObject;
    var wrapper = h('fieldset', { className: 'form-section' }, [h('legend', { text: T('timer') })]);
    var kind = h('select', { id: 'prop-timer-kind' });
    TIMER_KINDS.forEach(function (k) {
      var key = { timeDuration: 'timer_duration', timeDate: 'timer_date', timeCycle: 'timer_cycle' }[k];
      kind.appendChild(h('option', { value: k, text: T(key) }));
    });
    var expression = h('input', { id: 'prop-timer-expression', type: 'text', className: 'code-input' });
    function commit() {
      if (kind.value !== timerKind(bo) || expression.value.trim() !== timerBody(bo)) {
        self.setTimer(element, kind.value, expression.value.trim());
      }
    }
    kind.addEventListener('change', commit);
    expression.addEventListener('change', commit);
    expression.addEventListener('keydown', function (event) {
      if (event.key === 'Enter') {
        event.preventDefault();
        commit();
      }
    });
    this.fields.push({ node: kind, update: function () { kind.value = timerKind(bo); } });
    this.fields.push({ node: expression, update: function () { expression.value = timerBody(bo); } });
    wrapper.appendChild(this.wrap('prop-timer-kind', T('timer_kind'), kind));
    wrapper.appendChild(this.wrap('prop-timer-expression', T('timer_expression'), expression, T('timer_help')));
    return wrapper;
  };

  SidePanel.NO_FORM = NO_FORM;
  SidePanel.propertiesOf = propertiesOf;
  window.OWSidePanel = SidePanel;
})();
