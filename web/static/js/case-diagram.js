/*
 * Case progress diagrams (流程图): renders every
 *   <div class="bpmn-diagram" data-xml-url="..." data-finished='["id"]' data-active='[...]'
 *        data-pending='[...]'>
 * with bpmn-js's NavigatedViewer (global BpmnJS from bpmn-navigated-viewer.production.min.js)
 * and marks each listed BPMN element with ow-finished / ow-active / ow-pending (see app.css).
 *
 * A plain script, no bundler: the page includes the vendor file, then this one. The element
 * gets data-state="loading" | "loaded" | "error" so browser tests can wait for it. The bpmn.io
 * watermark stays visible, as the bpmn-js licence requires.
 */
(function () {
  'use strict';

  var MARKERS = { finished: 'ow-finished', active: 'ow-active', pending: 'ow-pending' };

  var MESSAGES = {
    zh: { error: '流程图加载失败，请刷新页面重试。', loading: '流程图加载中…' },
    en: { error: 'The process diagram could not be loaded. Please reload the page.',
          loading: 'Loading the process diagram…' }
  };

  /** Texts in the page's language (base.html sets <html lang>); Chinese unless English. */
  function messages() {
    return (document.documentElement.lang || '').indexOf('en') === 0 ? MESSAGES.en : MESSAGES.zh;
  }

  /** Element ids from a data-* attribute holding a JSON array; anything else means none. */
  function idsFrom(container, state) {
    try {
      var ids = JSON.parse(container.getAttribute('data-' + state) || '[]');
      return Array.isArray(ids) ? ids : [];
    } catch (err) {
      return [];
    }
  }

  function showText(container, className, text, role) {
    var paragraph = document.createElement('p');
    paragraph.className = className;
    if (role) {
      paragraph.setAttribute('role', role);
    }
    paragraph.textContent = text;
    container.appendChild(paragraph);
    return paragraph;
  }

  function fail(container, viewer, err) {
    if (viewer) {
      viewer.destroy();
    }
    container.textContent = '';
    showText(container, 'diagram-error', messages().error, 'alert');
    container.setAttribute('data-state', 'error');
    container.removeAttribute('aria-busy');
    if (window.console) {
      window.console.error('case-diagram:', err);
    }
  }

  function render(container) {
    var url = container.getAttribute('data-xml-url');
    container.setAttribute('data-state', 'loading');
    container.setAttribute('aria-busy', 'true');
    var loading = showText(container, 'diagram-loading', messages().loading);

    if (typeof window.BpmnJS !== 'function' || !url) {
      fail(container, null, new Error(url ? 'BpmnJS is not loaded' : 'data-xml-url is missing'));
      return Promise.resolve();
    }

    var viewer = new window.BpmnJS({ container: container });

    return fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/xml, text/xml' } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error('HTTP ' + response.status + ' for ' + url);
        }
        return response.text();
      })
      .then(function (xml) {
        return viewer.importXML(xml);
      })
      .then(function () {
        loading.remove();
        var canvas = viewer.get('canvas');
        var registry = viewer.get('elementRegistry');
        canvas.zoom('fit-viewport', 'auto');
        Object.keys(MARKERS).forEach(function (state) {
          idsFrom(container, state).forEach(function (id) {
            // An id the diagram does not have (e.g. a newer model version) must not break the rest.
            if (registry.get(id)) {
              canvas.addMarker(id, MARKERS[state]);
            }
          });
        });
        container.setAttribute('data-state', 'loaded');
        container.removeAttribute('aria-busy');
      })
      .catch(function (err) {
        fail(container, viewer, err);
      });
  }

  /** Draw each diagram; one in a closed <details> (the guide's optional 流程图) when it opens,
   * since drawn hidden it would be fitted to a box of no size. */
  function renderAll() {
    var containers = document.querySelectorAll('.bpmn-diagram[data-xml-url]');
    Array.prototype.forEach.call(containers, function (container) {
      var folded = container.closest('details:not([open])');
      if (!folded) {
        render(container);
        return;
      }
      folded.addEventListener('toggle', function opened() {
        if (folded.open) {
          folded.removeEventListener('toggle', opened);
          render(container);
        }
      });
    });
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', renderAll);
  } else {
    renderAll();
  }
})();
