/*
 * The decision table editor (/designer/decisions/<key>/<file>.dmn): dmn-js Modeler (global
 * DmnJS from dmn-modeler.production.min.js) over one .dmn file of the model's draft (or of its
 * newest version). 保存草稿 / Ctrl+S writes the file into the draft with the model's other files
 * (PUT /api/v1/process-models/<key>/draft). The bpmn.io watermark stays. Plain browser script.
 */
(function () {
  'use strict';

  var D = window.OWDesigner;
  var T = D.text;
  var h = D.element;
  var files = null;
  var dmn = null;
  var dirty = false;
  var saves = 0;

  function byId(id) {
    return document.getElementById(id);
  }

  var root = byId('decision');
  var file = root.getAttribute('data-file');
  var statusNode = byId('decision-status');

  function viewLabel(view) {
    var kind = { drd: T('dmn_drd'), decisionTable: T('dmn_table'), literalExpression: T('dmn_literal') }[view.type] || view.type;
    return kind + (view.element && view.element.name ? '：' + view.element.name : '');
  }

  function renderViews() {
    var group = byId('dmn-views');
    group.textContent = '';
    var active = dmn.getActiveView();
    dmn.getViews().forEach(function (view) {
      var button = h('button', {
        type: 'button', className: 'button button-secondary',
        'aria-pressed': active && active.element === view.element && active.type === view.type ? 'true' : 'false',
        text: viewLabel(view)
      });
      button.addEventListener('click', function () { dmn.open(view); });
      group.appendChild(button);
    });
  }

  function trackChanges() {
    var viewer = dmn.getActiveViewer();
    if (viewer && !viewer.__owTracked) {
      viewer.__owTracked = true;
      viewer.get('eventBus').on('commandStack.changed', function () {
        dirty = true;
        root.setAttribute('data-dirty', 'true');
      });
    }
  }

  function save() {
    if (!dmn || !files) {
      return Promise.resolve(false);
    }
    D.setStatus(statusNode, T('saving'), 'busy');
    return dmn.saveXML({ format: true }).then(function (result) {
      files[file] = result.xml;
      return D.saveDraft(files);
    }).then(function (result) {
      if (!result.ok) {
        throw new Error(D.missingRoute(result) ? T('not_available', { status: result.status })
          : D.errorMessage(result));
      }
      dirty = false;
      saves += 1;
      root.setAttribute('data-dirty', 'false');
      root.setAttribute('data-saved', String(saves));
      D.setStatus(statusNode, T('saved'), 'ok');
      return true;
    }).catch(function (err) {
      D.setStatus(statusNode, T('save_failed', { message: err.message }), 'error');
      return false;
    });
  }

  function start() {
    byId('save-decision').addEventListener('click', function () { save(); });
    D.onSaveShortcut(save);
    window.addEventListener('beforeunload', function (event) {
      if (dirty) {
        event.preventDefault();
        event.returnValue = T('confirm_leave');
      }
    });
    if (typeof window.DmnJS !== 'function') {
      root.setAttribute('data-state', 'error');
      D.setStatus(statusNode, T('load_failed', { message: 'DmnJS' }), 'error');
      return;
    }
    D.setStatus(statusNode, T('loading'), 'busy');
    D.loadModel().then(function (loaded) {
      files = loaded.files;
      if (files[file] === undefined) {
        throw new Error(T('no_such_file', { file: file }));
      }
      var translated = { additionalModules: [window.OWTranslate.module] };
      dmn = new window.DmnJS({  // dmn-js drops common.additionalModules: one per view type
        container: byId('dmn-canvas'),
        drd: translated,
        decisionTable: translated,
        literalExpression: translated,
        boxedExpression: translated
      });
      window.owDecision = { modeler: dmn, files: files, save: save };
      dmn.on('views.changed', function () {
        renderViews();
        trackChanges();
      });
      return dmn.importXML(files[file]);
    }).then(function () {
      var table = dmn.getViews().filter(function (v) { return v.type === 'decisionTable'; })[0];
      return table ? dmn.open(table) : null;
    }).then(function () {
      renderViews();
      trackChanges();
      root.setAttribute('data-state', 'loaded');
      D.setStatus(statusNode, '', null);
    }).catch(function (err) {
      root.setAttribute('data-state', 'error');
      D.setStatus(statusNode, T('load_failed', { message: err.message }), 'error');
    });
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
