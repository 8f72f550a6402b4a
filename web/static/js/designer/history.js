/*
 * The history page (/designer/models/<key>/history): element-level diff of two versions and the
 * migration of running cases.
 *
 *   比较      GET  /api/v1/process-models/<key>/diff?from=&to= → added / removed / changed
 *   试迁移    POST /api/v1/process-models/<key>/migrations {to_version, cases, dry_run: true}
 *   迁移      the same with dry_run: false, for the chosen cases, in one request
 *
 * The running cases come from GET /designer/models/<key>/cases (designers see no cases through
 * the clerks' department scoping). Plain browser script.
 */
(function () {
  'use strict';

  var D = window.OWDesigner;
  var T = D.text;
  var h = D.element;

  function byId(id) {
    return document.getElementById(id);
  }

  // ---- diff ---------------------------------------------------------------------------------

  function show(value) {
    if (value === null || value === undefined || value === '') {
      return '—';
    }
    return typeof value === 'string' ? value : JSON.stringify(value);
  }

  /** A change as lines "what: before → after", whatever shape the server gives it. */
  function changeLines(key, change) {
    if (Array.isArray(change) && change.length === 2) {
      return [key + ': ' + show(change[0]) + ' → ' + show(change[1])];
    }
    if (change && typeof change === 'object' && Object.keys(change).length &&
        Object.keys(change).every(function (k) { return Array.isArray(change[k]) && change[k].length === 2; })) {
      // e.g. properties: {role: ["window", "reviewer"]}
      return Object.keys(change).reduce(function (lines, k) {
        return lines.concat(changeLines(key + '.' + k, change[k]));
      }, []);
    }
    if (change && typeof change === 'object') {
      var before = 'from' in change ? change.from : 'old' in change ? change.old : change.before;
      var after = 'to' in change ? change.to : 'new' in change ? change['new'] : change.after;
      if (before !== undefined || after !== undefined) {
        return [key + ': ' + show(before) + ' → ' + show(after)];
      }
    }
    return [key + ': ' + show(change)];
  }

  function diffRow(kind, item) {
    var changes = item.changes || {};
    var details = [];
    Object.keys(changes).forEach(function (key) {
      changeLines(key, changes[key]).forEach(function (line) {
        details.push(h('li', { text: line }));
      });
    });
    return h('tr', { className: 'diff-' + kind, 'data-element-id': item.id }, [
      h('td', { text: T(kind) }),
      h('td', {}, [h('code', { text: item.id || '' })]),
      h('td', { text: (item.type || '').replace(/^bpmn:/, '') }),
      h('td', { text: item.name || '' }),
      h('td', {}, details.length ? [h('ul', { className: 'diff-changes' }, details)] : [])
    ]);
  }

  function compare(event) {
    event.preventDefault();
    var from = byId('diff-from').value;
    var to = byId('diff-to').value;
    var statusNode = byId('diff-status');
    D.setStatus(statusNode, T('loading'), 'busy');
    D.request('GET', D.modelPath('/diff?from=' + encodeURIComponent(from) + '&to=' + encodeURIComponent(to)))
      .then(function (result) {
        if (!result.ok) {
          throw new Error(D.missingRoute(result) ? T('not_available', { status: result.status })
            : D.errorMessage(result));
        }
        var rows = byId('diff-rows');
        rows.textContent = '';
        var count = 0;
        ['added', 'removed', 'changed'].forEach(function (kind) {
          (result.data[kind] || []).forEach(function (item) {
            rows.appendChild(diffRow(kind, item));
            count += 1;
          });
        });
        if (!count) {
          rows.appendChild(h('tr', {}, [h('td', { colspan: '5', className: 'empty', text: T('diff_same') })]));
        }
        byId('diff-result').hidden = false;
        D.setStatus(statusNode, T('diff_summary', { count: count, from: from, to: to }), 'ok');
      })
      .catch(function (err) {
        D.setStatus(statusNode, T('load_failed', { message: err.message }), 'error');
      });
  }

  // ---- migration ------------------------------------------------------------------------------

  var cases = [];

  function checkboxes() {
    return Array.prototype.slice.call(document.querySelectorAll('#migration-rows input[type="checkbox"]'));
  }

  function chosen() {
    return checkboxes().filter(function (box) { return box.checked; }).map(function (box) { return box.value; });
  }

  function renderCases(results) {
    var rows = byId('migration-rows');
    rows.textContent = '';
    if (!cases.length) {
      rows.appendChild(h('tr', {}, [h('td', { colspan: '7', className: 'empty', text: T('no_cases') })]));
      return;
    }
    cases.forEach(function (c) {
      var result = results && results[c.case_no];
      var outcome = '';
      var outcomeClass = '';
      if (result) {
        outcome = result.ok ? result.label : result.label + (result.reason ? '：' + result.reason : '');
        outcomeClass = result.ok ? 'migration-ok' : 'migration-refused';
      }
      rows.appendChild(h('tr', { 'data-case-no': c.case_no }, [
        h('td', {}, [h('input', {
          type: 'checkbox', value: c.case_no, id: 'migrate-' + c.case_no,
          'aria-label': T('choose_case', { case_no: c.case_no })
        })]),
        h('td', {}, [h('label', { 'for': 'migrate-' + c.case_no, text: c.case_no })]),
        h('td', { text: c.service_item_name || '' }),
        h('td', { className: 'num', text: 'v' + c.version }),
        h('td', { text: c.status_label || c.status }),
        h('td', { text: (c.open_steps || []).join('、') || '—' }),
        h('td', { className: 'migration-result ' + outcomeClass, text: outcome })
      ]));
    });
  }

  function loadCases(results) {
    return D.getSession(D.config().cases_url).then(function (result) {
      if (!result.ok) {
        throw new Error(D.errorMessage(result));
      }
      cases = result.data.items || [];
      renderCases(results);
      byId('history').setAttribute('data-cases', String(cases.length));
    }).catch(function (err) {
      D.setStatus(byId('migration-status'), T('load_failed', { message: err.message }), 'error');
    });
  }

  function migrate(dryRun) {
    var statusNode = byId('migration-status');
    var selected = chosen();
    if (!dryRun && !selected.length) {
      D.setStatus(statusNode, T('choose_cases'), 'error');
      return Promise.resolve(null);
    }
    var target = Number(byId('migration-target').value);
    if (!dryRun && !window.confirm(T('confirm_migrate', { count: selected.length, version: target }))) {
      return Promise.resolve(null);
    }
    D.setStatus(statusNode, T('loading'), 'busy');
    var body = { to_version: target, cases: selected.length ? selected : 'all', dry_run: dryRun };
    return D.request('POST', D.modelPath('/migrations'), body).then(function (result) {
      if (!result.ok) {
        throw new Error(D.missingRoute(result) ? T('not_available', { status: result.status })
          : D.errorMessage(result));
      }
      var byCase = {};
      var okCount = 0;
      (result.data.results || []).forEach(function (r) {
        byCase[r.case_no] = {
          ok: r.ok, reason: r.reason,
          label: r.ok ? (dryRun ? T('can_move') : T('moved')) : T('cannot_move')
        };
        okCount += r.ok ? 1 : 0;
      });
      var total = (result.data.results || []).length;
      var message = dryRun ? T('dry_run_summary', { ok: okCount, total: total })
        : T('migrated_summary', { ok: okCount, total: total, version: target });
      var reload = dryRun ? Promise.resolve(renderCases(byCase)) : loadCases(byCase);
      return reload.then(function () {
        if (dryRun && !selected.length) {
          checkboxes().forEach(function (box) { box.checked = !!(byCase[box.value] && byCase[box.value].ok); });
        } else {
          checkboxes().forEach(function (box) { box.checked = selected.indexOf(box.value) >= 0 && !(byCase[box.value] && byCase[box.value].ok && !dryRun); });
        }
        D.setStatus(statusNode, message, okCount === total ? 'ok' : 'error');
        byId('history').setAttribute('data-migration', dryRun ? 'dry-run' : 'moved');
        return result.data.results;
      });
    }).catch(function (err) {
      D.setStatus(statusNode, T('load_failed', { message: err.message }), 'error');
      return null;
    });
  }

  function start() {
    if (!byId('diff-form')) {
      return;
    }
    byId('diff-form').addEventListener('submit', compare);
    byId('migration-dry-run').addEventListener('click', function () { migrate(true); });
    byId('migration-run').addEventListener('click', function () { migrate(false); });
    byId('migration-all').addEventListener('change', function (event) {
      checkboxes().forEach(function (box) { box.checked = event.target.checked; });
    });
    loadCases(null);
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
