/*
 * The live view (/designer/models/<key>/live): a deployed version in bpmn-js's NavigatedViewer
 * (read-only) with a badge per element — cases waiting there now and their average dwell time —
 * from GET /api/v1/process-models/<key>/stats?version=N. The same numbers are in a table
 * under the diagram, for screen readers and for copying. Plain browser script.
 */
(function () {
  'use strict';

  var D = window.OWDesigner;
  var T = D.text;
  var h = D.element;
  var viewer = null;
  var versions = [];

  function byId(id) {
    return document.getElementById(id);
  }

  function hours(value) {
    if (value === null || value === undefined || value === '') {
      return '—';
    }
    var number = Number(value);
    return isNaN(number) ? String(value) : (Math.round(number * 10) / 10).toString();
  }

  function dwellText(stat) {
    var value = stat.avg_dwell_hours;
    return T('avg_dwell') + ' ' + (value === null || value === undefined ? '—' : T('hours', { hours: hours(value) }));
  }

  function badge(stat) {
    var waiting = Number(stat.waiting || 0);
    return h('div', {
      className: 'live-badge' + (waiting ? '' : ' is-idle'),
      title: T('waiting') + ' ' + waiting + ' · ' + dwellText(stat)
    }, [
      h('span', { className: 'live-waiting', text: T('waiting') + ' ' + waiting }),
      h('span', { className: 'live-dwell', text: dwellText(stat) })
    ]);
  }

  function show(version) {
    var root = byId('live');
    var statusNode = byId('live-status');
    root.setAttribute('data-state', 'loading');
    D.setStatus(statusNode, T('loading'), 'busy');
    var entry = versions.filter(function (v) { return String(v.version) === String(version); })[0];
    if (!entry) {
      return Promise.reject(new Error('v' + version));
    }
    var bpmnName = D.bpmnFileName(entry.files.reduce(function (all, n) { all[n] = ''; return all; }, {}));
    return D.versionFile(entry.version, bpmnName).then(function (xml) {
      if (viewer) {
        viewer.destroy();
      }
      viewer = new window.BpmnJS({ container: byId('live-canvas') });
      window.owLive = { viewer: viewer };
      return viewer.importXML(xml);
    }).then(function () {
      viewer.get('canvas').zoom('fit-viewport', 'auto');
      return D.request('GET', D.modelPath('/stats?version=' + encodeURIComponent(entry.version)));
    }).then(function (result) {
      var rows = byId('live-rows');
      rows.textContent = '';
      if (!result.ok) {
        throw new Error(D.missingRoute(result) ? T('not_available', { status: result.status })
          : D.errorMessage(result));
      }
      var elements = (result.data && result.data.elements) || {};
      var registry = viewer.get('elementRegistry');
      var overlays = viewer.get('overlays');
      var ids = Object.keys(elements);
      ids.forEach(function (id) {
        var stat = elements[id] || {};
        var shape = registry.get(id);
        if (shape) {
          overlays.add(id, 'ow-live', { position: { top: -14, right: 20 }, html: badge(stat) });
        }
        rows.appendChild(h('tr', { 'data-element-id': id }, [
          h('td', { text: (shape && shape.businessObject.name) || id }),
          h('td', {}, [h('code', { text: id })]),
          h('td', { className: 'num', text: String(stat.waiting || 0) }),
          h('td', { className: 'num', text: String(stat.completed || 0) }),
          h('td', { className: 'num', text: hours(stat.avg_dwell_hours) })
        ]));
      });
      if (!ids.length) {
        rows.appendChild(h('tr', {}, [h('td', { colspan: '5', className: 'empty', text: T('stats_none') })]));
      }
      root.setAttribute('data-state', 'loaded');
      D.setStatus(statusNode, '', null);
    }).catch(function (err) {
      root.setAttribute('data-state', viewer ? 'loaded-without-stats' : 'error');
      D.setStatus(statusNode, T('load_failed', { message: err.message }), 'error');
    });
  }

  function start() {
    var select = byId('live-version');
    if (!select) {
      return;
    }
    if (typeof window.BpmnJS !== 'function') {
      D.setStatus(byId('live-status'), T('load_failed', { message: 'BpmnJS' }), 'error');
      return;
    }
    D.versions().then(function (found) {
      versions = found;
      select.addEventListener('change', function () { show(select.value); });
      byId('live-refresh').addEventListener('click', function () { show(select.value); });
      return show(select.value);
    }).catch(function (err) {
      byId('live').setAttribute('data-state', 'error');
      D.setStatus(byId('live-status'), T('load_failed', { message: err.message }), 'error');
    });
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
