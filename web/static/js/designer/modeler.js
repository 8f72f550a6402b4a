/*
 * The modeler page (/designer/models/<key>): bpmn-js Modeler + our side panel + the form editor
 * + the model's decision tables, over the model's draft (or its newest version).
 *
 *   保存草稿 / Ctrl+S  saveXML({format: true}) → PUT /api/v1/process-models/<key>/draft {files}
 *   校验               POST .../validate {files} → problems listed; a click selects the element
 *   部署               (change note required) save, then POST .../deploy {note}
 *
 * The model is kept in memory as {file name: text}: the .bpmn file comes from the modeler on
 * save, forms from the form editor, .dmn files from the decision page (saved into the draft).
 * The bpmn.io watermark stays, as the bpmn-js licence requires.
 *
 * #workbench gets data-state="loading|loaded|error" and data-saved / data-deployed counters so
 * browser tests can wait for them; window.owDesigner exposes the modeler for them too.
 */
(function () {
  'use strict';

  var D = window.OWDesigner;
  var T = D.text;
  var h = D.element;
  var PROBLEM_MARKER = 'ow-problem';
  var DMN_NAME = /^[a-z][a-z0-9_]{0,63}$/;

  var state = { files: {}, bpmnName: null, dirty: false, source: null, marked: [], saves: 0 };
  var modeler = null;
  var panel = null;
  var forms = null;
  var saving = null;

  function byId(id) {
    return document.getElementById(id);
  }

  var workbench = byId('workbench');
  var statusNode = byId('designer-status');

  function status(message, kind) {
    D.setStatus(statusNode, message, kind);
  }

  function markDirty() {
    state.dirty = true;
    workbench.setAttribute('data-dirty', 'true');
  }

  function markClean() {
    state.dirty = false;
    workbench.setAttribute('data-dirty', 'false');
  }

  // ---- tabs (流程图 / 表单 / 决策表) ------------------------------------------------------------

  function tabs() {
    return Array.prototype.slice.call(document.querySelectorAll('.designer-tabs [role="tab"]'));
  }

  function selectTab(tab, focus) {
    tabs().forEach(function (other) {
      var selected = other === tab;
      other.setAttribute('aria-selected', selected ? 'true' : 'false');
      other.tabIndex = selected ? 0 : -1;
      byId(other.getAttribute('aria-controls')).hidden = !selected;
    });
    if (focus) {
      tab.focus();
    }
    if (tab.id === 'tab-diagram' && modeler) {
      modeler.get('canvas').resized();
    }
  }

  function initTabs() {
    tabs().forEach(function (tab, index, all) {
      tab.addEventListener('click', function () { selectTab(tab, false); });
      tab.addEventListener('keydown', function (event) {
        var next = null;
        if (event.key === 'ArrowRight') {
          next = all[(index + 1) % all.length];
        } else if (event.key === 'ArrowLeft') {
          next = all[(index - 1 + all.length) % all.length];
        } else if (event.key === 'Home') {
          next = all[0];
        } else if (event.key === 'End') {
          next = all[all.length - 1];
        }
        if (next) {
          event.preventDefault();
          selectTab(next, true);
        }
      });
    });
  }

  // ---- loading ---------------------------------------------------------------------------------

  function describeSource(loaded) {
    var node = byId('draft-source');
    if (loaded.source === 'draft') {
      node.textContent = T('source_draft', { user: loaded.updated_by || '', at: (loaded.updated_at || '').replace('T', ' ').slice(0, 16) });
    } else {
      node.textContent = T('source_version', { version: loaded.base_version });
    }
  }

  function load() {
    if (typeof window.BpmnJS !== 'function') {
      return Promise.reject(new Error('BpmnJS is not loaded'));
    }
    return D.moddleDescriptor().then(function (descriptor) {
      modeler = new window.BpmnJS({
        container: byId('canvas'),
        moddleExtensions: { spiffworkflow: descriptor },
        additionalModules: [window.OWTranslate.module]
      });
      panel = new window.OWSidePanel(modeler, byId('side-panel'), {
        files: function () { return state.files; }
      });
      forms = new window.OWFormEditor({
        files: function () { return state.files; },
        onChange: function (structural) {
          markDirty();
          if (structural) {
            panel.rerender();
          }
        },
        select: byId('form-file'),
        schema: byId('schema-text'),
        ui: byId('ui-schema-text'),
        preview: byId('form-preview'),
        schemaError: byId('schema-error'),
        uiError: byId('ui-schema-error'),
        schemaName: byId('schema-file-name'),
        uiName: byId('ui-schema-file-name'),
        newButton: byId('new-form'),
        newName: byId('new-form-name'),
        newError: byId('new-form-error')
      });
      new window.OWFormBuilder(byId('form-builder'), byId('schema-text'));
      modeler.on('commandStack.changed', markDirty);
      window.owDesigner = {
        modeler: modeler, state: state, panel: panel, forms: forms,
        save: save, validate: validate, deploy: deploy
      };
      return D.loadModel();
    }).then(function (loaded) {
      state.files = loaded.files;
      state.source = loaded.source;
      state.bpmnName = D.bpmnFileName(state.files);
      describeSource(loaded);
      if (!state.bpmnName) {
        throw new Error(T('no_bpmn'));
      }
      state.loadedXml = state.files[state.bpmnName];
      return modeler.importXML(state.loadedXml);
    }).then(function (result) {
      if (result.warnings && result.warnings.length && window.console) {
        window.console.warn('designer: import warnings', result.warnings);
      }
      modeler.get('canvas').zoom('fit-viewport', 'auto');
      forms.reload();
      renderDmnList();
      markClean();
    });
  }

  // ---- save / validate / deploy ---------------------------------------------------------------

  /**
   * The files as they are now. The diagram is serialized from the modeler only when it holds an
   * edit: bpmn-js writes XML its own way, so a model sent back re-serialized but unchanged would
   * hash differently and deploy as a new version (undoing every edit restores the loaded text).
   */
  function currentFiles() {
    if (!modeler.get('commandStack').canUndo()) {
      state.files[state.bpmnName] = state.loadedXml;
      return Promise.resolve(state.files);
    }
    return modeler.saveXML({ format: true }).then(function (result) {
      state.files[state.bpmnName] = result.xml;
      return state.files;
    });
  }

  /** Save the draft; resolves true when saved. */
  function save() {
    if (saving) {
      return saving;
    }
    status(T('saving'), 'busy');
    saving = currentFiles().then(function (files) {
      return D.saveDraft(files);
    }).then(function (result) {
      if (result.ok) {
        markClean();
        state.source = 'draft';
        state.saves += 1;
        workbench.setAttribute('data-saved', String(state.saves));
        byId('draft-source').textContent = T('source_saved');
        status(T('saved'), 'ok');
        return true;
      }
      status(D.missingRoute(result) ? T('not_available', { status: result.status })
        : T('save_failed', { message: D.errorMessage(result) }), 'error');
      return false;
    }).catch(function (err) {
      status(T('save_failed', { message: err.message }), 'error');
      return false;
    }).then(function (ok) {
      saving = null;
      return ok;
    });
    return saving;
  }

  function clearProblems() {
    var canvas = modeler.get('canvas');
    var registry = modeler.get('elementRegistry');
    state.marked.forEach(function (id) {
      if (registry.get(id)) {
        canvas.removeMarker(id, PROBLEM_MARKER);
      }
    });
    state.marked = [];
    byId('problem-list').textContent = '';
    byId('note-list').textContent = '';
    byId('problems').hidden = true;
  }

  function problemLabel(problem) {
    var where = problem.file || '';
    if (problem.line) {
      where += ':' + problem.line;
    }
    return (where ? where + ' ' : '') + (problem.element_id ? '[' + problem.element_id + '] ' : '') + problem.message;
  }

  /** Select the problem's element on the canvas (or open the form file it is about). */
  function focusProblem(problem) {
    var registry = modeler.get('elementRegistry');
    var element = problem.element_id && registry.get(problem.element_id);
    if (element) {
      selectTab(byId('tab-diagram'), false);
      modeler.get('selection').select(element);
      modeler.get('canvas').scrollToElement(element);
      return;
    }
    if (problem.file && state.files[problem.file] !== undefined && /\.json$/.test(problem.file)) {
      selectTab(byId('tab-forms'), false);
      var schemaFile = problem.file.replace(/\.uischema\.json$/, '.schema.json');
      forms.reload(schemaFile);
      var area = /\.uischema\.json$/.test(problem.file) ? byId('ui-schema-text') : byId('schema-text');
      area.focus();
      if (problem.line) {
        var offset = area.value.split('\n').slice(0, problem.line - 1).join('\n').length;
        area.setSelectionRange(offset, offset);
      }
    }
  }

  function showProblems(problems, notes) {
    clearProblems();
    var list = byId('problem-list');
    var canvas = modeler.get('canvas');
    var registry = modeler.get('elementRegistry');
    (problems || []).forEach(function (problem) {
      if (problem.element_id && registry.get(problem.element_id) && state.marked.indexOf(problem.element_id) < 0) {
        canvas.addMarker(problem.element_id, PROBLEM_MARKER);
        state.marked.push(problem.element_id);
      }
      var button = h('button', {
        type: 'button', className: 'problem-link', 'data-element-id': problem.element_id || null,
        text: problemLabel(problem)
      });
      button.addEventListener('click', function () { focusProblem(problem); });
      list.appendChild(h('li', {}, [button]));
    });
    (notes || []).forEach(function (note) {
      var textValue = typeof note === 'string' ? note : problemLabel(note);
      byId('note-list').appendChild(h('li', { text: textValue }));
    });
    byId('problems').hidden = !(problems && problems.length) && !(notes && notes.length);
    byId('problems-heading').textContent = problems && problems.length
      ? T('problems', { count: problems.length }) : T('valid');
  }

  function validate() {
    status(T('validating'), 'busy');
    return currentFiles().then(function (files) {
      return D.request('POST', D.modelPath('/validate'), { files: files });
    }).then(function (result) {
      var problems = result.ok ? result.data.problems
        : result.data && result.data.error && result.data.error.details && result.data.error.details.problems;
      if (result.ok || problems) {
        showProblems(problems || [], result.ok ? result.data.notes : []);
        status(problems && problems.length ? T('problems', { count: problems.length }) : T('valid'),
          problems && problems.length ? 'error' : 'ok');
        workbench.setAttribute('data-validated', problems && problems.length ? 'problems' : 'ok');
        return problems || [];
      }
      status(D.missingRoute(result) ? T('not_available', { status: result.status })
        : T('load_failed', { message: D.errorMessage(result) }), 'error');
      return null;
    }).catch(function (err) {
      status(T('load_failed', { message: err.message }), 'error');
      return null;
    });
  }

  function deploy() {
    var noteInput = byId('deploy-note');
    var note = noteInput.value.trim();
    if (!note) {
      noteInput.setAttribute('aria-invalid', 'true');
      status(T('note_required'), 'error');
      noteInput.focus();
      return Promise.resolve(null);
    }
    noteInput.removeAttribute('aria-invalid');
    return save().then(function (saved) {
      if (!saved) {
        return null;
      }
      status(T('deploying'), 'busy');
      return D.request('POST', D.modelPath('/deploy'), { note: note }).then(function (result) {
        if (result.ok) {
          clearProblems();
          var version = result.data.version;
          status(result.status === 201 ? T('deployed', { version: version })
            : T('deploy_same', { version: version }), 'ok');
          workbench.setAttribute('data-deployed', String(version));
          statusNode.appendChild(document.createTextNode(' '));
          statusNode.appendChild(h('a', { href: D.config().history_url, text: T('open_history') }));
          state.source = 'version';
          byId('draft-source').textContent = T('source_version', { version: version });
          noteInput.value = '';
          return result.data;
        }
        var details = result.data && result.data.error && result.data.error.details;
        if (details && details.problems) {
          showProblems(details.problems, []);
          status(T('deploy_refused'), 'error');
          workbench.setAttribute('data-validated', 'problems');
          return null;
        }
        status(D.missingRoute(result) ? T('not_available', { status: result.status })
          : T('save_failed', { message: D.errorMessage(result) }), 'error');
        return null;
      });
    }).catch(function (err) {
      status(T('save_failed', { message: err.message }), 'error');
      return null;
    });
  }

  // ---- decision tables ---------------------------------------------------------------------------

  function decisionUrl(file) {
    return D.config().decision_url.replace('__FILE__', encodeURIComponent(file));
  }

  function renderDmnList() {
    var list = byId('dmn-list');
    list.textContent = '';
    var names = Object.keys(state.files).filter(function (n) { return /\.dmn$/.test(n); }).sort();
    if (!names.length) {
      list.appendChild(h('li', { className: 'empty', text: T('no_dmn') }));
    }
    names.forEach(function (name) {
      list.appendChild(h('li', {}, [h('a', { href: decisionUrl(name), text: name })]));
    });
  }

  function starterDmn(name) {
    return [
      '<?xml version="1.0" encoding="UTF-8"?>',
      '<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" ' +
        'xmlns:dmndi="https://www.omg.org/spec/DMN/20191111/DMNDI/" ' +
        'xmlns:dc="http://www.omg.org/spec/DMN/20180521/DC/" ' +
        'id="Definitions_' + name + '" name="' + name + '" namespace="http://onewindow/dmn">',
      '  <decision id="' + name + '" name="' + name + '">',
      '    <decisionTable id="DecisionTable_' + name + '" hitPolicy="FIRST">',
      '      <input id="Input_1" label="applicant_kind">',
      '        <inputExpression id="InputExpression_1" typeRef="string">',
      '          <text>applicant_kind</text>',
      '        </inputExpression>',
      '      </input>',
      '      <output id="Output_1" label="fee" name="fee" typeRef="number" />',
      '      <rule id="Rule_1">',
      '        <inputEntry id="InputEntry_1"><text>"enterprise"</text></inputEntry>',
      '        <outputEntry id="OutputEntry_1"><text>0</text></outputEntry>',
      '      </rule>',
      '      <rule id="Rule_2">',
      '        <inputEntry id="InputEntry_2"><text>-</text></inputEntry>',
      '        <outputEntry id="OutputEntry_2"><text>0</text></outputEntry>',
      '      </rule>',
      '    </decisionTable>',
      '  </decision>',
      '  <dmndi:DMNDI>',
      '    <dmndi:DMNDiagram id="DMNDiagram_' + name + '">',
      '      <dmndi:DMNShape id="DMNShape_' + name + '" dmnElementRef="' + name + '">',
      '        <dc:Bounds height="80" width="180" x="160" y="100" />',
      '      </dmndi:DMNShape>',
      '    </dmndi:DMNDiagram>',
      '  </dmndi:DMNDI>',
      '</definitions>',
      ''
    ].join('\n');
  }

  function newDecision() {
    var input = byId('new-dmn-name');
    var errorNode = byId('new-dmn-error');
    var name = (input.value || '').trim().replace(/\.dmn$/, '');
    errorNode.textContent = '';
    if (!DMN_NAME.test(name)) {
      errorNode.textContent = T('form_name_invalid');
      input.focus();
      return Promise.resolve(false);
    }
    var file = name + '.dmn';
    if (state.files[file] !== undefined) {
      errorNode.textContent = T('dmn_exists');
      input.focus();
      return Promise.resolve(false);
    }
    state.files[file] = starterDmn(name);
    markDirty();
    renderDmnList();
    return save().then(function (saved) {
      if (saved) {
        window.location.href = decisionUrl(file);
      }
      return saved;
    });
  }

  // ---- start -------------------------------------------------------------------------------------

  function start() {
    initTabs();
    byId('save-draft').addEventListener('click', function () { save(); });
    byId('validate-model').addEventListener('click', function () { validate(); });
    byId('deploy-model').addEventListener('click', function () { deploy(); });
    byId('deploy-note').addEventListener('keydown', function (event) {
      if (event.key === 'Enter') {
        event.preventDefault();
        deploy();
      }
    });
    byId('new-dmn').addEventListener('click', function () { newDecision(); });
    D.onSaveShortcut(function () { if (modeler) { save(); } });
    window.addEventListener('beforeunload', function (event) {
      if (state.dirty) {
        event.preventDefault();
        event.returnValue = T('confirm_leave');
      }
    });
    status(T('loading'), 'busy');
    load().then(function () {
      workbench.setAttribute('data-state', 'loaded');
      status('', null);
    }).catch(function (err) {
      workbench.setAttribute('data-state', 'error');
      status(T('load_failed', { message: err.message }), 'error');
      if (window.console) {
        window.console.warn('designer:', err);
      }
    });
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
